import FlareletJSON
import Testing

@testable import FlareletConfig

struct AssetsConfigTests {
    @Test func parsesEveryKeyAndResolvesTheDirectory() throws {
        let toml = """
            name = "w"
            main = "counter"

            [assets]
            directory = "./public"
            binding = "ASSETS"
            html_handling = "drop-trailing-slash"
            not_found_handling = "404-page"
            run_worker_first = ["/api/*", "!/api/docs/*"]
            """
        let (config, directory) = try load(toml)
        let assets = try #require(config.assets)
        #expect(assets.directory == "./public")
        #expect(assets.directoryPath == directory + "/public")
        #expect(assets.binding == "ASSETS")
        #expect(assets.htmlHandling == .dropTrailingSlash)
        #expect(assets.notFoundHandling == .notFoundPage)
        #expect(assets.runWorkerFirst == .patterns(["/api/*", "!/api/docs/*"]))
        #expect(assets.location == "\(directory)/wrangler.toml:5:13")
        #expect(config.warnings.isEmpty)
    }

    @Test func defaultsInheritanceAndTheDeprecatedFlag() throws {
        let toml = """
            name = "w"
            [assets]
            directory = "public"
            experimental_serve_directly = false
            color = "blue"
            size = 3

            [env.staging]
            name = "w-staging"

            [env.bare]
            [env.bare.assets]
            directory = "other"
            """
        let top = try load(toml).config
        let assets = try #require(top.assets)
        #expect(assets.htmlHandling == .autoTrailingSlash)
        #expect(assets.notFoundHandling == AssetsConfig.NotFoundHandling.none)
        #expect(assets.runWorkerFirst == .always(true))
        #expect(assets.binding == nil)
        #expect(top.warnings.contains(#"Unexpected fields found in assets field: "color","size""#))
        #expect(try load(toml, env: "staging").config.assets?.directory == "public")
        #expect(try load(toml, env: "bare").config.assets?.directory == "other")
        #expect(try load("name = \"w\"\n").config.assets == nil)
    }

    static let errors: [ErrorCase] = [
        ErrorCase(
            toml: "name = \"w\"\n[assets]\ndirectory = 5\n",
            line: 3,
            column: 13,
            keyPath: "assets.directory",
            message: #"Expected "assets.directory" to be of type string but got 5."#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[assets]\ndirectory = \"p\"\nbinding = true\n",
            line: 4,
            column: 11,
            keyPath: "assets.binding",
            message: #"Expected "assets.binding" to be of type string but got true."#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[assets]\ndirectory = \"p\"\nhtml_handling = \"auto\"\n",
            line: 4,
            column: 17,
            keyPath: "assets.html_handling",
            message:
                #"Expected "assets.html_handling" field to be one of ["auto-trailing-slash","force-trailing-slash","drop-trailing-slash","none"] but got "auto"."#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[assets]\ndirectory = \"p\"\nnot_found_handling = \"spa\"\n",
            line: 4,
            column: 22,
            keyPath: "assets.not_found_handling",
            message: #"Expected "assets.not_found_handling" field to be one of ["single-page-application","404-page","none"] but got "spa"."#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[assets]\ndirectory = \"p\"\nrun_worker_first = \"yes\"\n",
            line: 4,
            column: 20,
            keyPath: "assets.run_worker_first",
            message: #"The field "assets.run_worker_first" should be an array of strings or a boolean, but got "yes"."#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[assets]\ndirectory = \"p\"\nrun_worker_first = [\"/a\", 3]\n",
            line: 4,
            column: 27,
            keyPath: "assets.run_worker_first[1]",
            message: #"Expected "assets.run_worker_first.[1]" to be of type string but got 3."#
        ),
        ErrorCase(
            toml: "name = \"w\"\nassets = \"public\"\n",
            line: 2,
            column: 10,
            keyPath: "assets",
            message: #""assets" should be an object, but got value "assets" of type string"#
        ),
        ErrorCase(
            toml: "name = \"w\"\n[assets]\ndirectory = \"p\"\nrun_worker_first = []\n",
            line: 4,
            column: 20,
            keyPath: "assets.run_worker_first",
            message: "No `run_worker_first` rules were provided; must provide at least 1 rule."
        ),
        ErrorCase(
            toml: "name = \"w\"\n[assets]\ndirectory = \"p\"\nrun_worker_first = [\"!/a\"]\n",
            line: 4,
            column: 20,
            keyPath: "assets.run_worker_first",
            message: "Only negative `run_worker_first` rules were provided; must provide at least 1 non-negative rule"
        ),
    ]

    @Test(arguments: Self.errors)
    func badValuesAreLocatedErrors(_ error: ErrorCase) throws {
        let thrown = try #require(parseError(error.toml))
        #expect(thrown.kind == .invalidValue)
        #expect(thrown.file == "wrangler.toml")
        #expect(thrown.line == error.line)
        #expect(thrown.column == error.column)
        #expect(thrown.keyPath == error.keyPath)
        #expect(thrown.message == error.message)
    }

    @Test func routeRuleProblemsAreGathered() {
        #expect(
            AssetsConfig.routeRuleProblems(["api/*", "!api", "/a/*", "/a/b", "/a/b", "/" + String(repeating: "x", count: 100)])
                == """
                Invalid routes in `run_worker_first`:
                'api/*': rules must start with '/' or '!/'
                '!api': negative rules must start with '!/'
                '/a/b': rule '/a/*' makes it redundant
                '/a/b': rule '/a/*' makes it redundant
                '/a/b': rule is a duplicate; rules must be unique
                '/\(String(repeating: "x", count: 100))': all rules must be less than 100 characters in length
                """
        )
        #expect(
            AssetsConfig.routeRuleProblems(Array(repeating: "/a", count: 101))?.hasPrefix("Too many `run_worker_first` rules were provided; 101")
                == true
        )
        #expect(AssetsConfig.routeRuleProblems(["/api/*", "!/api/docs/*"]) == nil)
    }
}
