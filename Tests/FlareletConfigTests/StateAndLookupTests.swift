import FlareletJSON
import Foundation
import Testing

@testable import FlareletConfig

struct StateAndLookupTests {
    static let databases = """
        name = "app"

        [[d1_databases]]
        binding = "DB"
        database_name = "app-db"
        database_id = "id-1"
        preview_database_id = "preview-1"
        migrations_dir = "db/migrations"
        migrations_table = "schema_history"

        [[d1_databases]]
        binding = "ANALYTICS"

        [[d1_databases]]
        binding = "OTHER"
        database_name = "DB"
        migrations_dir = "/srv/shared/../migrations"
        migrations_pattern = "/srv/migrations/*.sql"
        """

    @Test func d1EntriesAndPaths() throws {
        let (config, directory) = try load(Self.databases)
        let state = directory + "/.flarelet/state"
        #expect(config.persistRoot == state)
        #expect(
            config.d1Databases == [
                D1DatabaseConfig(
                    binding: "DB",
                    databaseName: "app-db",
                    databaseId: "id-1",
                    previewDatabaseId: "preview-1",
                    migrationsDir: directory + "/db/migrations",
                    migrationsDirConfigured: true,
                    migrationsTable: "schema_history"
                ),
                D1DatabaseConfig(binding: "ANALYTICS", migrationsDir: directory + "/migrations"),
                D1DatabaseConfig(
                    binding: "OTHER",
                    databaseName: "DB",
                    migrationsDir: "/srv/migrations",
                    migrationsDirConfigured: true,
                    migrationsPattern: "/srv/migrations/*.sql"
                ),
            ]
        )
        #expect(
            config.d1Databases.map { config.d1Path(for: $0) } == [
                state + "/d1/app-db.sqlite", state + "/d1/ANALYTICS.sqlite", state + "/d1/DB.sqlite",
            ]
        )
        #expect(config.d1Databases.map(\.localDatabaseId) == ["preview-1", "ANALYTICS", "OTHER"])
    }

    @Test func findD1ByNameOrBinding() throws {
        let (config, _) = try load(Self.databases)
        #expect(try config.findD1("app-db").binding == "DB")
        #expect(try config.findD1("ANALYTICS").binding == "ANALYTICS")
        // A database_name match wins over a binding match.
        #expect(try config.findD1("DB").binding == "OTHER")
        #expect(try config.findD1("OTHER").binding == "OTHER")
    }

    @Test func findD1Errors() throws {
        let (config, _) = try load(Self.databases)
        #expect(
            throws: ConfigError(
                .d1DatabaseNotFound,
                message: "Couldn't find a D1 DB with the name or binding 'nope' in your wrangler.toml file.\n"
                    + "Configured D1 databases: 'app-db' (binding 'DB'), binding 'ANALYTICS', 'DB' (binding 'OTHER')"
            )
        ) {
            try config.findD1("nope")
        }

        let (drift, _) = try load(TargetConfigs.drift, env: "staging")
        do {
            _ = try drift.findD1("drift-telemetry")
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description
                    == "Couldn't find a D1 DB with the name or binding 'drift-telemetry' in your wrangler.toml file.\n"
                    + "No D1 databases are configured for env.staging."
            )
        }
    }

    @Test func findKV() throws {
        let (config, _) = try load(TargetConfigs.voiceMode)
        #expect(try config.findKV(binding: "KV").id == "cb2a5a76f7fb45e0830fadb70587c87d")
        #expect(
            throws: ConfigError(
                .invalidArgument,
                message: #"A namespace with binding name "CACHE" was not found in the configured "kv_namespaces"."#
            )
        ) {
            try config.findKV(binding: "CACHE")
        }
    }

    @Test func persistToResolvesAgainstWorkingDirectory() throws {
        let (relative, directory) = try load(TargetConfigs.voiceMode, persistTo: "../elsewhere/./state")
        let parent = (directory as NSString).deletingLastPathComponent
        #expect(relative.persistRoot == parent + "/elsewhere/state")
        #expect(relative.d1Path(for: relative.d1Databases[0]) == parent + "/elsewhere/state/d1/voicemode-telemetry.sqlite")
        #expect(relative.kvPath(for: relative.kvNamespaces[0]) == parent + "/elsewhere/state/kv/KV")

        let (absolute, _) = try load(TargetConfigs.voiceMode, persistTo: "/var/lib/flarelet/")
        #expect(absolute.persistRoot == "/var/lib/flarelet")
        #expect(absolute.d1Path(for: absolute.d1Databases[0]) == "/var/lib/flarelet/d1/voicemode-telemetry.sqlite")
    }

    @Test func relativeConfigPathResolvesAgainstWorkingDirectory() throws {
        try withDirectory(["sub/wrangler.toml": TargetConfigs.runt]) { (directory: String) throws in
            let config = try WranglerConfig.load(path: "sub/wrangler.toml", env: nil, workingDirectory: directory, processEnvironment: [:])
            #expect(config.configPath == directory + "/sub/wrangler.toml")
            #expect(config.directory == directory + "/sub")
            #expect(config.persistRoot == directory + "/sub/.flarelet/state")
            #expect(config.d1Databases[0].migrationsDir == directory + "/sub/migrations")
        }
    }

    @Test func findSearchesUpward() throws {
        try withDirectory(["wrangler.toml": "name = \"w\"\n", "a/b/c/file.txt": ""]) { (directory: String) throws in
            #expect(try WranglerConfig.find(startingAt: directory + "/a/b/c") == directory + "/wrangler.toml")
            #expect(try WranglerConfig.find(startingAt: directory) == directory + "/wrangler.toml")
        }
        try withDirectory(["a/wrangler.toml": "name = \"near\"\n", "wrangler.toml": "name = \"far\"\n", "a/b/x": ""]) { (directory: String) throws in
            #expect(try WranglerConfig.find(startingAt: directory + "/a/b") == directory + "/a/wrangler.toml")
        }
    }

    @Test func findWithoutConfigurationFails() throws {
        try withDirectory(["a/b/x": ""]) { (directory: String) throws in
            // Only meaningful when no ancestor of the temporary directory holds a wrangler.toml.
            var ancestor = directory
            var ancestorHasConfig = false
            while ancestor != "/" {
                ancestor = (ancestor as NSString).deletingLastPathComponent
                ancestorHasConfig = ancestorHasConfig || FileManager.default.fileExists(atPath: ancestor + "/wrangler.toml")
            }
            try #require(!ancestorHasConfig)
            #expect(
                throws: ConfigError(
                    .noConfigurationFile,
                    message: "No configuration file found. Create a wrangler.toml file to define your Worker."
                )
            ) {
                try WranglerConfig.find(startingAt: directory + "/a/b")
            }
            #expect(
                throws: ConfigError(
                    .noConfigurationFile,
                    message: "No configuration file found. Create a wrangler.toml file to define your D1 database."
                )
            ) {
                try WranglerConfig.find(startingAt: directory + "/a", toDefine: "your D1 database")
            }
        }
    }

    @Test func devSettings() throws {
        let (config, _) = try load("name = \"w\"\n[dev]\nip = \"0.0.0.0\"\nport = 0\n")
        #expect(config.dev == DevConfig(ip: "0.0.0.0", port: 0))
    }

    @Test func cronEntriesCarryTheirOwnLines() throws {
        let toml = """
            name = "w"
            [triggers]
            crons = [
              # every minute
              "* * * * *",

              '0 0 * * MON-FRI',   "0  12 L * *" ,
            ]
            """
        let (config, directory) = try load(toml)
        #expect(
            config.crons == [
                CronEntry(expression: "* * * * *", file: directory + "/wrangler.toml", line: 5, column: 3),
                CronEntry(expression: "0 0 * * MON-FRI", file: directory + "/wrangler.toml", line: 7, column: 3),
                CronEntry(expression: "0  12 L * *", file: directory + "/wrangler.toml", line: 7, column: 24),
            ]
        )
    }

    @Test func cronsInInlineTriggersTable() throws {
        let raw = try RawConfig.parse(text: "name = \"w\"\ntriggers = { crons = [\"1 * * * *\"] }\n", file: "wrangler.toml", directory: "/p")
        #expect(raw.topLevel.crons == [CronEntry(expression: "1 * * * *", file: "wrangler.toml", line: 2, column: 23)])
        #expect(raw.directory == "/p")
        #expect(raw.topLevel.keys == ["name", "triggers"])
    }
}
