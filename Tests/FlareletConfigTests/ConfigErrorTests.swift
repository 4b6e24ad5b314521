import FlareletJSON
import Testing

@testable import FlareletConfig

struct ErrorCase: Sendable, CustomTestStringConvertible {
    var toml: String
    var line: Int
    var column: Int
    var keyPath: String?
    var message: String
    var kind: ConfigError.Kind = .invalidValue

    var testDescription: String { "\(self.line):\(self.column) \(self.keyPath ?? "-")" }
}

struct ConfigErrorTests {
    static let cases: [ErrorCase] = [
        ErrorCase(
            toml: "name = 5\n",
            line: 1,
            column: 8,
            keyPath: "name",
            message: #"expected a string for "name", but got an integer (5)"#
        ),
        ErrorCase(
            toml: "name = \"w\"\nmain = \"index.ts\"\ncompatibility_date = 2024-01-01\n",
            line: 3,
            column: 22,
            keyPath: "compatibility_date",
            message: #""compatibility_date" must be a quoted "yyyy-mm-dd" string"#
        ),
        ErrorCase(
            toml: "name = \"w\"\ncompatibility_date = \"2024-13-01\"\n",
            line: 2,
            column: 22,
            keyPath: "compatibility_date",
            message: #""compatibility_date" must be a quoted "yyyy-mm-dd" string"#
        ),
        ErrorCase(
            toml: "name = \"w\"\ncompatibility_date = \"2023-02-29\"\n",
            line: 2,
            column: 22,
            keyPath: "compatibility_date",
            message: #""compatibility_date" must be a quoted "yyyy-mm-dd" string"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n\n[env.staging]\ncompatibility_date = \"2024-1-01\"\n",
            line: 4,
            column: 22,
            keyPath: "env.staging.compatibility_date",
            message: #""env.staging.compatibility_date" must be a quoted "yyyy-mm-dd" string"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[[d1_databases]]\nbinding = \"DB\"\n\n[[d1_databases]]\ndatabase_name = \"other\"\n",
            line: 5,
            column: 1,
            keyPath: "d1_databases[1]",
            message: #""d1_databases[1]" bindings should have a string "binding" field"#,
            kind: .missingKey
        ),
        ErrorCase(
            toml: "name = \"w\"\nkv_namespaces = [\n  { binding = \"A\", id = \"a\" },\n  { id = \"b\" },\n]\n",
            line: 4,
            column: 3,
            keyPath: "kv_namespaces[1]",
            message: #""kv_namespaces[1]" bindings should have a string "binding" field"#,
            kind: .missingKey
        ),
        ErrorCase(
            toml: "name = \"w\"\n[[kv_namespaces]]\nbinding = 1\n",
            line: 3,
            column: 11,
            keyPath: "kv_namespaces[0].binding",
            message: #"expected a string for "kv_namespaces[0].binding", but got an integer (1)"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[triggers]\ncrons = \"0 2 * * *\"\n",
            line: 3,
            column: 9,
            keyPath: "triggers.crons",
            message: #"expected an array of strings for "triggers.crons", but got a string ("0 2 * * *")"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[triggers]\ncrons = [\n  \"0 2 * * *\", # daily\n  5,\n]\n",
            line: 5,
            column: 3,
            keyPath: "triggers.crons[1]",
            message: #"expected a string for "triggers.crons[1]", but got an integer (5)"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[dev]\nport = 70_000\n",
            line: 3,
            column: 8,
            keyPath: "dev.port",
            message: #"expected an integer from 0 to 65535 for "dev.port", but got an integer (70000)"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[dev]\nip = \"0.0.0.0\"\nport = \"8787\"\n",
            line: 4,
            column: 8,
            keyPath: "dev.port",
            message: #"expected an integer from 0 to 65535 for "dev.port", but got a string ("8787")"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n\n[env.staging]\nname = 5\n",
            line: 4,
            column: 8,
            keyPath: "env.staging.name",
            message: #"expected a string for "env.staging.name", but got an integer (5)"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[env.\"my env\"]\nmain = true\n",
            line: 3,
            column: 8,
            keyPath: #"env."my env".main"#,
            message: #"expected a string for "env."my env".main", but got a boolean (true)"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[[env.staging.d1_databases]]\nbinding = \"DB\"\ndatabase_name = 5\n",
            line: 4,
            column: 17,
            keyPath: "env.staging.d1_databases[0].database_name",
            message: #"expected a string for "env.staging.d1_databases[0].database_name", but got an integer (5)"#
        ),
        ErrorCase(
            toml: "name = \"w\"\ncompatibility_flags = \"nodejs_compat\"\n",
            line: 2,
            column: 23,
            keyPath: "compatibility_flags",
            message: #"expected an array of strings for "compatibility_flags", but got a string ("nodejs_compat")"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[d1_databases]\nbinding = \"DB\"\n",
            line: 2,
            column: 1,
            keyPath: "d1_databases",
            message: #"expected an array of tables for "d1_databases", but got a table; write [[d1_databases]] sections"#
        ),
        ErrorCase(
            toml: "name = \"w\"\nvars = \"x\"\n",
            line: 2,
            column: 8,
            keyPath: "vars",
            message: #"expected a table for "vars", but got a string ("x")"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[env]\nstaging = 5\n",
            line: 3,
            column: 11,
            keyPath: "env.staging",
            message: #"expected a table for "env.staging", but got an integer (5)"#
        ),
        ErrorCase(
            toml: "[vars]\nTEXT = \"\"\"\nname = 5\n[env.fake]\n\"\"\"\n[dev]\nport = -1\n",
            line: 7,
            column: 8,
            keyPath: "dev.port",
            message: #"expected an integer from 0 to 65535 for "dev.port", but got an integer (-1)"#
        ),
        ErrorCase(
            toml: "name = \"w\"\nmain = \"unterminated\n",
            line: 2,
            column: 21,
            keyPath: nil,
            message: "invalid TOML: Error while parsing string: unescaped control characters other than TAB (U+0009) are explicitly prohibited",
            kind: .syntax
        ),
        ErrorCase(
            toml: "name = \"a\"\nname = \"b\"\n",
            line: 2,
            column: 8,
            keyPath: nil,
            message: "invalid TOML: Error while parsing key-value pair: cannot redefine existing string 'name'",
            kind: .syntax
        ),
    ]

    @Test(arguments: Self.cases)
    func locatedError(_ errorCase: ErrorCase) throws {
        let error = try #require(parseError(errorCase.toml))
        #expect(error.file == "wrangler.toml")
        #expect(error.line == errorCase.line)
        #expect(error.column == errorCase.column)
        #expect(error.keyPath == errorCase.keyPath)
        #expect(error.kind == errorCase.kind)
        #expect(error.message == errorCase.message)
        #expect(error.description == "wrangler.toml:\(errorCase.line):\(errorCase.column): \(errorCase.message)")
    }

    @Test func nameFiveMentionsNameLineOneAndExpectedAString() throws {
        let error = try #require(loadError("name = 5\n"))
        #expect(error.line == 1)
        #expect(error.description.hasSuffix(#"wrangler.toml:1:8: expected a string for "name", but got an integer (5)"#))
        #expect(error.description.contains("expected a string"))
    }

    @Test func messagesUseTheFileNameAsGiven() throws {
        do {
            _ = try RawConfig.parse(text: "name = 5", file: "config/dev.toml", directory: "/p/config")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == #"config/dev.toml:1:8: expected a string for "name", but got an integer (5)"#)
        }
    }

    @Test func missingName() throws {
        let error = try #require(loadError("main = \"index.ts\"\n"))
        #expect(error.kind == .missingKey)
        #expect(error.keyPath == "name")
        #expect(error.line == nil)
        #expect(error.description.hasSuffix(#"/wrangler.toml: missing required field "name": add name = "<worker name>" at the top level"#))
    }

    @Test func unreadableFile() throws {
        try withDirectory([:]) { (directory: String) throws in
            #expect(throws: ConfigError(.unreadableFile, message: "Could not read missing.toml: no such file")) {
                _ = try WranglerConfig.load(path: "missing.toml", env: nil, workingDirectory: directory)
            }
        }
    }

    @Test func unknownKeysWarnAndIgnoredKeysDoNot() throws {
        let toml = """
            name = "w"
            account_id = "abc"
            workers_dev = true
            preview_urls = false
            route = "example.com/*"
            routes = [{ pattern = "a.example.com", custom_domain = true }]
            keep_vars = true
            send_metrics = false
            minify = true
            usage_model = "bundled"
            colour = "blue"
            [limits]
            cpu_ms = 50
            [observability]
            enabled = true
            [placement]
            mode = "smart"
            [build]
            command = "make"
            [[rules]]
            type = "Text"
            globs = ["**/*.txt"]
            [[r2_buckets]]
            binding = "B"
            bucket_name = "b"
            [dev]
            ip = "127.0.0.1"
            port = 8788
            local_protocol = "http"
            live = true
            [[d1_databases]]
            binding = "DB"
            remote = false
            shard = 1
            [triggers]
            crons = []
            schedule = "x"
            """
        let (config, _) = try load(toml)
        #expect(
            config.warnings == [
                #"Unexpected fields found in top-level field: "colour""#,
                #"Unexpected fields found in d1_databases[0] field: "shard""#,
                #"Unexpected fields found in triggers field: "schedule""#,
                #"Unexpected fields found in dev field: "live""#,
            ]
        )
        #expect(config.dev == DevConfig(ip: "127.0.0.1", port: 8788))
        #expect(config.crons.isEmpty)
    }

    @Test(arguments: ["wrangler.json", "wrangler.jsonc"])
    func jsonConfigNextToTomlWarns(jsonName: String) throws {
        let (config, _) = try load("name = \"w\"\n", files: [jsonName: "{}"])
        #expect(
            config.warnings == [
                "Found \(jsonName) next to wrangler.toml: wrangler would use \(jsonName) instead, but Flarelet reads wrangler.toml."
            ]
        )
    }

    @Test func tomlDatesInVarsBecomeStrings() throws {
        let (config, _) = try load("name = \"w\"\n[vars]\nDAY = 1979-05-27\nAT = 1979-05-27T07:32:00Z\nTIME = 07:32:00\n")
        #expect(
            named(config.vars) == [
                NamedValue("DAY", "1979-05-27"), NamedValue("AT", "1979-05-27T07:32:00Z"), NamedValue("TIME", "07:32:00"),
            ]
        )
    }
}
