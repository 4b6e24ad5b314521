import FlareletJSON
import Testing

@testable import FlareletConfig

struct VarsTests {
    static let typed = """
        name = "w"

        [vars]
        ZED = "last-alphabetically-first-in-file"
        COUNT = 5
        RATIO = 0.5
        ENABLED = true
        LIST = ["a", 1, false]
        EMPTY = ""
        MULTI = \"\"\"
        line one
        line two\"\"\"
        LITERAL = 'C:\\path'

        [vars.TABLE]
        b = 2
        a = "x"
        nested = { z = 1, y = [] }
        """

    @Test func varsAreTypedAndKeepDocumentOrder() throws {
        let (config, _) = try load(Self.typed)
        #expect(
            named(config.vars) == [
                NamedValue("ZED", "last-alphabetically-first-in-file"),
                NamedValue("COUNT", .number(5)),
                NamedValue("RATIO", .number(0.5)),
                NamedValue("ENABLED", .bool(true)),
                NamedValue("LIST", .array([.string("a"), .number(1), .bool(false)])),
                NamedValue("EMPTY", .string("")),
                NamedValue("MULTI", .string("line one\nline two")),
                NamedValue("LITERAL", .string("C:\\path")),
                NamedValue(
                    "TABLE",
                    .object(
                        JSONObject([
                            ("b", .number(2)),
                            ("a", .string("x")),
                            ("nested", .object(JSONObject([("z", .number(1)), ("y", .array([]))]))),
                        ])
                    )
                ),
            ]
        )
        #expect(config.secretNames == [])
        #expect(config.devVarsFiles == [])
    }

    @Test func dottedAndQuotedVarKeys() throws {
        let toml = """
            name = "w"
            vars.B = "b"
            vars."A KEY" = "a"
            vars.C.x = 1
            """
        let (config, _) = try load(toml)
        #expect(
            named(config.vars) == [
                NamedValue("B", "b"), NamedValue("A KEY", "a"), NamedValue("C", .object(JSONObject([("x", .number(1))]))),
            ]
        )
    }

    static let withVars = """
        name = "w"
        [vars]
        A = "from-toml"
        B = 2
        C = "keep"
        [env.staging]
        vars = { A = "staging-toml", B = 3 }
        """

    @Test func devVarsOverrideVarsAsText() throws {
        let devVars = """
            # comment
            A=from-dev-vars
            export B = 42
            NEW="multi\\nline" # trailing comment
            """
        let (config, directory) = try load(Self.withVars, files: [".dev.vars": devVars])
        #expect(
            named(config.vars) == [
                NamedValue("A", "from-dev-vars"), NamedValue("B", "42"), NamedValue("C", "keep"), NamedValue("NEW", "multi\nline"),
            ]
        )
        #expect(config.secretNames == ["A", "B", "NEW"])
        #expect(config.devVarsFiles == [directory + "/.dev.vars"])
        #expect(config.warnings == [])
    }

    @Test func envSpecificDevVarsAreTriedFirst() throws {
        let files = [".dev.vars": "A=generic\nD=generic-only\n", ".dev.vars.staging": "A=staging-file\n"]
        let (config, directory) = try load(Self.withVars, files: files, env: "staging")
        #expect(named(config.vars) == [NamedValue("A", "staging-file"), NamedValue("B", .number(3))])
        #expect(config.devVarsFiles == [directory + "/.dev.vars.staging"])
    }

    @Test func devVarsFallBackToPlainFileForEnvironment() throws {
        let (config, directory) = try load(Self.withVars, files: [".dev.vars": "A=generic\n"], env: "staging")
        #expect(named(config.vars) == [NamedValue("A", "generic"), NamedValue("B", .number(3))])
        #expect(config.devVarsFiles == [directory + "/.dev.vars"])
    }

    @Test func cliVarsOverrideDevVarsAndToml() throws {
        let (config, _) = try load(
            Self.withVars,
            files: [".dev.vars": "A=dev\nS=secret\n"],
            cliVars: ["A:cli", "URL:http://localhost:8787/x", "EMPTY:"]
        )
        #expect(
            named(config.vars) == [
                NamedValue("A", "cli"), NamedValue("B", .number(2)), NamedValue("C", "keep"), NamedValue("S", "secret"),
                NamedValue("URL", "http://localhost:8787/x"), NamedValue("EMPTY", ""),
            ]
        )
        #expect(config.secretNames == ["S"])
    }

    @Test(arguments: ["NOCOLON", ":value"])
    func badCLIVarIsAnError(argument: String) throws {
        let error = try #require(loadError(Self.withVars, cliVars: ["OK:1", argument]))
        #expect(error.kind == .invalidArgument)
        #expect(error.description == "Invalid --var \"\(argument)\": expected KEY:VALUE (split at the first \":\")")
    }

    @Test func dotEnvFilesLoadWhenNoDevVars() throws {
        let files = [
            ".env": "A=base\nHOST=example.com\nURL=https://${HOST}/api\nHOME_DIR=${HOME}\nLITERAL='${HOST}'\n",
            ".env.local": "A=local\n",
            ".env.staging": "A=staging\nSTAGE=${A}-stage\n",
            ".env.staging.local": "EXTRA=${MISSING:-fallback}\n",
        ]
        let (config, directory) = try load(
            "name = \"w\"\n[env.staging]\n",
            files: files,
            env: "staging",
            processEnvironment: ["HOME": "/home/tester", "HOST": "ignored-because-file-wins"]
        )
        #expect(
            named(config.vars) == [
                NamedValue("A", "staging"), NamedValue("HOST", "example.com"), NamedValue("URL", "https://example.com/api"),
                NamedValue("HOME_DIR", "/home/tester"), NamedValue("LITERAL", "${HOST}"), NamedValue("STAGE", "staging-stage"),
                NamedValue("EXTRA", "fallback"),
            ]
        )
        #expect(
            config.devVarsFiles == [".env", ".env.local", ".env.staging", ".env.staging.local"].map { directory + "/" + $0 }
        )
        #expect(!named(config.vars).contains { $0.name == "HOME" })
    }

    @Test func dotEnvIgnoredWhenDevVarsExist() throws {
        let (config, _) = try load("name = \"w\"\n", files: [".dev.vars": "A=dev\n", ".env": "B=env\n"])
        #expect(named(config.vars) == [NamedValue("A", "dev")])
    }

    @Test func dotEnvCanBeSwitchedOff() throws {
        let (config, _) = try load(
            "name = \"w\"\n",
            files: [".env": "B=env\n"],
            processEnvironment: ["CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV": "false"]
        )
        #expect(config.vars.isEmpty)
    }

    @Test func processEnvironmentNeverLeaks() throws {
        let (config, _) = try load("name = \"w\"\n", processEnvironment: ["PATH": "/bin", "SECRET": "x"])
        #expect(config.vars.isEmpty)
    }

    @Test func requiredSecretsFilterDevVars() throws {
        let toml = """
            name = "w"
            secrets = { required = ["API_KEY", "TOKEN"] }
            [vars]
            MODE = "x"
            """
        let (config, _) = try load(toml, files: [".dev.vars": "API_KEY=k\nMODE=dev\nOTHER=dropped\n"])
        #expect(named(config.vars) == [NamedValue("MODE", "dev"), NamedValue("API_KEY", "k")])
        #expect(config.warnings == ["Missing required secrets: TOKEN"])
    }

    @Test func unparsableDevVarsLineWarns() throws {
        let (config, _) = try load("name = \"w\"\n", files: [".dev.vars": "A=1\nnot an assignment\nB=2\n"])
        #expect(named(config.vars) == [NamedValue("A", "1"), NamedValue("B", "2")])
        #expect(config.warnings == [".dev.vars:2: skipped a line that is not KEY=VALUE"])
    }
}

struct DotEnvTests {
    @Test(arguments: [
        ("A=1", "A", "1"),
        ("  A = spaced value  ", "A", "spaced value"),
        ("export A=exported", "A", "exported"),
        ("A=value # comment", "A", "value"),
        ("A=no#space", "A", "no"),
        ("A=\"double # not comment\"", "A", "double # not comment"),
        ("A='single \\n kept'", "A", "single \\n kept"),
        ("A=\"escapes \\n and \\r and \\t\"", "A", "escapes \n and \r and \\t"),
        ("A=`backtick`", "A", "backtick"),
        ("A=", "A", ""),
        ("A.B-C_D=dots", "A.B-C_D", "dots"),
        ("A: colon form", "A", "colon form"),
        ("A=\"unterminated", "A", "\"unterminated"),
        ("A=\"line1\nline2\"", "A", "line1\nline2"),
        ("A=\"x\" trailing", "A", "\"x\" trailing"),
        ("A=\"say \\\"hi\\\"\"", "A", "say \\\"hi\\\""),
    ])
    func parsesLikeDotenv(text: String, key: String, value: String) {
        let parsed = DotEnv.parse(text, file: ".dev.vars")
        #expect(parsed.entries.map(\.key) == [key])
        #expect(parsed.entries.map(\.value) == [value])
        #expect(parsed.warnings == [])
    }

    @Test func laterAssignmentsWinAndCommentsAndBlankLinesAreSkipped() {
        let parsed = DotEnv.parse("# header\n\nA=1\r\nB=2\n  # indented comment\nA=3\n", file: "f")
        #expect(parsed.entries.map { "\($0.key)=\($0.value)" } == ["A=1", "B=2", "A=3"])
        #expect(parsed.entries.map(\.line) == [3, 4, 6])
    }

    @Test(arguments: [
        ("${A}", "1"),
        ("$A-$B", "1-two"),
        ("${MISSING}", ""),
        ("${MISSING:-dflt}", "dflt"),
        ("${A:-dflt}", "1"),
        ("\\$A", "$A"),
        ("cost $", "cost $"),
        ("${UNCLOSED", "${UNCLOSED"),
    ])
    func expands(text: String, expected: String) {
        let values = ["A": "1", "B": "two"]
        #expect(DotEnv.expand(text) { values[$0] } == expected)
    }
}
