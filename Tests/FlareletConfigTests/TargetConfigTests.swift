import FlareletJSON
import Testing

@testable import FlareletConfig

/// The three telemetry workers' configurations (voicemode.md, runt.md, drift.md section 1).
enum TargetConfigs {
    static let voiceMode = """
        name = "voicemode-telemetry"
        main = "worker.js"
        compatibility_date = "2024-12-01"
        account_id = "2d152ec3e57b70274d69583b496e31ad"

        # workers_dev = true

        [[kv_namespaces]]
        binding = "KV"
        id = "cb2a5a76f7fb45e0830fadb70587c87d"

        [[d1_databases]]
        binding = "DB"
        database_name = "voicemode-telemetry"
        database_id = "f7681eaa-a907-40f9-8ee8-a284c9477bb1"

        [triggers]
        crons = ["0 2 * * *"] # Runs daily at 2am UTC

        [vars]
        # ENVIRONMENT = "production"

        # [limits]
        # cpu_ms = 50
        """

    static let runt = """
        name = "runt-telemetry"
        main = "src/index.ts"
        compatibility_date = "2024-01-01"
        compatibility_flags = ["nodejs_compat"] # for Ed25519 support

        [[d1_databases]]
        binding = "DB"
        database_name = "runt-telemetry"
        database_id = "" # fill in after `wrangler d1 create runt-telemetry`

        # No secrets needed.
        """

    static let drift = """
        name = "drift-telemetry"
        main = "src/index.ts"
        compatibility_date = "2024-01-01"

        [[d1_databases]]
        binding = "DB"
        database_name = "drift-telemetry"
        database_id = "YOUR_DATABASE_ID_HERE"

        # routes = [
        #   { pattern = "telemetry.example.com", custom_domain = true }
        # ]

        [env.production]
        name = "drift-telemetry-prod"

        [env.staging]
        name = "drift-telemetry-staging"
        """
}

struct TargetConfigTests {
    @Test func voiceMode() throws {
        let (config, directory) = try load(TargetConfigs.voiceMode)
        #expect(config.name == "voicemode-telemetry")
        #expect(config.main == "worker.js")
        #expect(config.compatibilityDate == "2024-12-01")
        #expect(config.compatibilityFlags == [])
        #expect(config.envName == nil)
        #expect(config.configPath == directory + "/wrangler.toml")
        #expect(config.directory == directory)
        #expect(config.vars.isEmpty)
        #expect(config.warnings == [])
        #expect(
            config.kvNamespaces == [KVNamespaceConfig(binding: "KV", id: "cb2a5a76f7fb45e0830fadb70587c87d", previewId: nil, declaredInEnv: nil)]
        )
        #expect(
            config.d1Databases == [
                D1DatabaseConfig(
                    binding: "DB",
                    databaseName: "voicemode-telemetry",
                    databaseId: "f7681eaa-a907-40f9-8ee8-a284c9477bb1",
                    migrationsDir: directory + "/migrations",
                    migrationsTable: "d1_migrations"
                )
            ]
        )
        #expect(config.crons == [CronEntry(expression: "0 2 * * *", file: directory + "/wrangler.toml", line: 18, column: 10)])
        #expect(config.dev == DevConfig(ip: "localhost", port: nil))
        #expect(config.persistRoot == directory + "/.flarelet/state")
        #expect(config.d1Path(for: config.d1Databases[0]) == directory + "/.flarelet/state/d1/voicemode-telemetry.sqlite")
        #expect(config.kvPath(for: config.kvNamespaces[0]) == directory + "/.flarelet/state/kv/KV")
        #expect(config.d1Databases[0].localDatabaseId == "f7681eaa-a907-40f9-8ee8-a284c9477bb1")
        #expect(config.kvNamespaces[0].localId == "cb2a5a76f7fb45e0830fadb70587c87d")
    }

    @Test func runt() throws {
        let (config, directory) = try load(TargetConfigs.runt)
        #expect(config.name == "runt-telemetry")
        #expect(config.main == "src/index.ts")
        #expect(config.compatibilityDate == "2024-01-01")
        #expect(config.compatibilityFlags == ["nodejs_compat"])
        #expect(config.kvNamespaces.isEmpty)
        #expect(config.crons.isEmpty)
        #expect(config.warnings == [])
        let database = try #require(config.d1Databases.first)
        #expect(config.d1Databases.count == 1)
        #expect(database.binding == "DB")
        #expect(database.databaseName == "runt-telemetry")
        #expect(database.databaseId == "")
        #expect(database.previewDatabaseId == nil)
        #expect(database.localDatabaseId == "DB")
        #expect(config.d1Path(for: database) == directory + "/.flarelet/state/d1/runt-telemetry.sqlite")
        #expect(try config.findD1("runt-telemetry") == database)
    }

    @Test func driftWithoutEnvironment() throws {
        let (config, _) = try load(TargetConfigs.drift)
        #expect(config.name == "drift-telemetry")
        #expect(config.d1Databases.map(\.binding) == ["DB"])
        #expect(config.warnings == [])
    }

    @Test(arguments: [("staging", "drift-telemetry-staging"), ("production", "drift-telemetry-prod")])
    func driftEnvironment(env: String, expectedName: String) throws {
        let (config, _) = try load(TargetConfigs.drift, env: env)
        #expect(config.name == expectedName)
        #expect(config.envName == env)
        #expect(config.d1Databases.isEmpty)
        #expect(config.main == "src/index.ts")
        #expect(config.compatibilityDate == "2024-01-01")
        #expect(
            config.warnings == [
                "\"d1_databases\" exists at the top level, but not on \"env.\(env)\".\n"
                    + "This is not what you probably want, since \"d1_databases\" is not inherited by environments.\n"
                    + "Please add \"d1_databases\" to \"env.\(env)\"."
            ]
        )
        #expect(throws: ConfigError.self) { try config.findD1("DB") }
    }
}
