import FlareletJSON
import Testing

@testable import FlareletConfig

struct EnvironmentTests {
    static let inheriting = """
        name = "app"
        main = "src/index.ts"
        compatibility_date = "2024-05-01"
        compatibility_flags = ["nodejs_compat"]
        workers_dev = false
        routes = [{ pattern = "example.com/*", zone_name = "example.com" }]

        [triggers]
        crons = ["*/5 * * * *", "0 0 * * SUN"]

        [vars]
        MODE = "top"

        [[kv_namespaces]]
        binding = "CACHE"
        id = "top-cache"

        [env.staging]

        [env.staging.vars]
        MODE = "staging"

        [[env.staging.d1_databases]]
        binding = "DB"
        database_name = "app-staging"

        [[env.staging.kv_namespaces]]
        binding = "CACHE"
        id = "staging-cache"
        preview_id = "staging-preview"

        [env.production]
        name = "app-live"
        main = "src/prod.ts"
        compatibility_date = "2024-06-01"
        compatibility_flags = []

        [env.production.triggers]
        crons = ["0 3 * * *"]

        [env.quiet.triggers]
        crons = []
        """

    @Test func inheritableKeysAreInherited() throws {
        let (config, directory) = try load(Self.inheriting, env: "staging")
        #expect(config.name == "app-staging")
        #expect(config.main == "src/index.ts")
        #expect(config.compatibilityDate == "2024-05-01")
        #expect(config.compatibilityFlags == ["nodejs_compat"])
        #expect(config.crons.map(\.expression) == ["*/5 * * * *", "0 0 * * SUN"])
        #expect(config.crons.map(\.line) == [9, 9])
        #expect(config.crons.map(\.column) == [10, 25])
        #expect(named(config.vars) == [NamedValue("MODE", "staging")])
        #expect(config.d1Databases.map(\.binding) == ["DB"])
        #expect(config.d1Path(for: config.d1Databases[0]) == directory + "/.flarelet/state/d1/app-staging.sqlite")
        let cache = try #require(config.kvNamespaces.first)
        #expect(cache == KVNamespaceConfig(binding: "CACHE", id: "staging-cache", previewId: "staging-preview", declaredInEnv: "staging"))
        #expect(cache.localId == "staging-preview")
        #expect(config.kvPath(for: cache) == directory + "/.flarelet/state/kv/env.staging/CACHE")
        #expect(config.warnings == [])
    }

    @Test func environmentOverridesInheritableKeys() throws {
        let (config, _) = try load(Self.inheriting, env: "production")
        #expect(config.name == "app-live")
        #expect(config.main == "src/prod.ts")
        #expect(config.compatibilityDate == "2024-06-01")
        #expect(config.compatibilityFlags == [])
        #expect(config.crons.map(\.expression) == ["0 3 * * *"])
        #expect(config.crons.map(\.line) == [39])
        #expect(config.vars.isEmpty)
        #expect(config.kvNamespaces.isEmpty)
        #expect(
            config.warnings == [
                "\"vars\" exists at the top level, but not on \"env.production\".\n"
                    + "This is not what you probably want, since \"vars\" is not inherited by environments.\n"
                    + "Please add \"vars\" to \"env.production\".",
                "\"kv_namespaces\" exists at the top level, but not on \"env.production\".\n"
                    + "This is not what you probably want, since \"kv_namespaces\" is not inherited by environments.\n"
                    + "Please add \"kv_namespaces\" to \"env.production\".",
            ]
        )
    }

    @Test func environmentTriggersWithEmptyCronsDisableInheritedCrons() throws {
        let (config, _) = try load(Self.inheriting, env: "quiet")
        #expect(config.name == "app-quiet")
        #expect(config.crons.isEmpty)
    }

    @Test func topLevelBindingsWithoutEnvironment() throws {
        let (config, directory) = try load(Self.inheriting)
        #expect(config.name == "app")
        #expect(config.envName == nil)
        #expect(config.d1Databases.isEmpty)
        #expect(named(config.vars) == [NamedValue("MODE", "top")])
        let cache = try #require(config.kvNamespaces.first)
        #expect(cache.declaredInEnv == nil)
        #expect(config.kvPath(for: cache) == directory + "/.flarelet/state/kv/CACHE")
    }

    @Test func missingEnvironmentIsAnError() throws {
        let error = try #require(loadError(Self.inheriting, env: "qa"))
        #expect(error.kind == .environmentNotFound)
        #expect(
            error.message == """
                No environment found in configuration with name "qa".
                Before using `--env=qa` there should be an equivalent environment section in the configuration.
                The available configured environment names are: ["staging","production","quiet"]

                Consider adding an environment configuration section to the wrangler.toml file:
                ```
                [env.qa]
                ```
                """
        )
        #expect(error.description.hasPrefix(#"No environment found in configuration with name "qa"."#))
    }

    @Test func missingEnvironmentWithoutAnyEnvironmentsIsAWarning() throws {
        let toml = """
            name = "solo"
            [vars]
            A = "1"
            """
        let (config, _) = try load(toml, files: [".dev.vars.qa": "B=from-qa\n"], env: "qa")
        #expect(config.name == "solo")
        #expect(config.envName == "qa")
        #expect(named(config.vars) == [NamedValue("A", "1"), NamedValue("B", "from-qa")])
        #expect(
            config.warnings == [
                """
                No environment found in configuration with name "qa".
                Before using `--env=qa` there should be an equivalent environment section in the configuration.

                Consider adding an environment configuration section to the wrangler.toml file:
                ```
                [env.qa]
                ```
                """
            ]
        )
    }

    @Test func emptyEnvSelectsTopLevel() throws {
        let (config, _) = try load(Self.inheriting, env: "")
        #expect(config.name == "app")
        #expect(config.envName == nil)
    }

    @Test func everyNonInheritableBindingWarnsInOrder() throws {
        let toml = """
            name = "w"
            services = [{ binding = "S", service = "other" }]
            ai = { binding = "AI" }
            vars = { A = "1" }
            define = { X = "1" }
            [env.e]
            """
        let (config, _) = try load(toml, env: "e")
        let fields = config.warnings.compactMap { warning in
            warning.split(separator: "\"").first.map(String.init)
        }
        #expect(fields == ["define", "vars", "services", "ai"])
    }

    @Test func environmentNameDefaultsToTopLevelNameDashEnv() throws {
        let toml = """
            name = "worker"
            [env.preview]
            main = "x.ts"
            """
        let (config, _) = try load(toml, env: "preview")
        #expect(config.name == "worker-preview")
        #expect(config.main == "x.ts")
    }

    @Test func environmentNameWithoutTopLevelName() throws {
        let toml = """
            [env.only]
            name = "only-name"
            """
        let (config, _) = try load(toml, env: "only")
        #expect(config.name == "only-name")
        let error = try #require(loadError(toml))
        #expect(error.kind == .missingKey)
        #expect(error.keyPath == "name")
        #expect(error.line == nil)
        #expect(error.message == #"missing required field "name": add name = "<worker name>" at the top level"#)
    }

    @Test func unknownKeysInTheSelectedEnvironmentWarn() throws {
        let toml = """
            name = "w"
            [env.a]
            colour = "red"
            [env.b]
            flavour = "sweet"
            """
        let (config, _) = try load(toml, env: "a")
        #expect(config.warnings == [#"Unexpected fields found in env.a field: "colour""#])
    }
}
