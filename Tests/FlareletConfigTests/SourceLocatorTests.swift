import Testing

@testable import FlareletConfig

struct SourceLocatorTests {
    static let tricky = #"""
        "quoted key" = "value with # hash and \" quote"
        'literal.key' = 'its'
        dotted . key = 1 # comment with [brackets] and "quotes"
        nested = [ [1, 2], [ "]", '[' ], { a = { b = "}" } } ]
        multi = """
        not = "a key"
        [not.a.table]
        """
        literal_multi = '''
        ''' # closes
        four = """ends with a quote""""
        [ env . "my env" ] # header comment
        name = "x"
        [[env."my env".d1_databases]]
        binding = "A"
        [[env."my env".d1_databases]]
        binding = "B"
        [env."my env".d1_databases.extra]
        k = 1
        [[arr]]
        [[arr.sub]]
        v = 1
        [[arr]]
        [[arr.sub]]
        v = 2
        """#

    @Test func recordsPositionsOfTrickyConstructs() throws {
        let locator = SourceLocator(text: Self.tricky)
        func position(_ path: String) -> String? {
            locator.entry(for: path).map { "\($0.key.line):\($0.key.column)/\($0.value.line):\($0.value.column)" }
        }
        #expect(position(#""quoted key""#) == "1:1/1:16")
        #expect(position("\"literal.key\"") == "2:1/2:17")
        #expect(position("dotted.key") == "3:1/3:16")
        #expect(position("dotted") == "3:1/3:1")
        #expect(position("nested[0][1]") == "4:16/4:16")
        #expect(position("nested[1][1]") == "4:27/4:27")
        #expect(position("nested[2].a.b") == "4:42/4:46")
        #expect(position("multi") == "5:1/5:9")
        #expect(position("not") == nil)
        #expect(position("literal_multi") == "9:1/9:17")
        #expect(position("four") == "11:1/11:8")
        #expect(position(#"env."my env""#) == "12:1/12:1")
        #expect(position(#"env."my env".name"#) == "13:1/13:8")
        #expect(position(#"env."my env".d1_databases[0].binding"#) == "15:1/15:11")
        #expect(position(#"env."my env".d1_databases[1]"#) == "16:1/16:1")
        #expect(position(#"env."my env".d1_databases[1].binding"#) == "17:1/17:11")
        #expect(position(#"env."my env".d1_databases[1].extra.k"#) == "19:1/19:5")
        #expect(position("arr[0].sub[0].v") == "22:1/22:5")
        #expect(position("arr[1].sub[0].v") == "25:1/25:5")
        // An implicitly created table points at its first descendant.
        #expect(position("env") == "12:1/12:1")
    }

    @Test func trickyDocumentParses() throws {
        let raw = try RawConfig.parse(text: Self.tricky, file: "wrangler.toml", directory: "/p")
        let env = try #require(raw.environment(named: "my env"))
        #expect(env.name == "x")
        #expect(env.d1Databases?.map(\.binding) == ["A", "B"])
        #expect(raw.warnings.count == 8)
    }
}
