import FlareletJSON
import Testing

@testable import FlareletConfig

/// `[[hyperdrive]]` (platform-next.md 10.1): parsing, environments, the override variables and connection strings.
struct HyperdriveConfigTests {
    static let toml = """
        name = "app"

        [[hyperdrive]]
        binding = "DB"
        id = "a76a99bc342644deb02c38d66082262a"
        localConnectionString = "postgres://app:p%40ss@db.internal:5433/shop%20db?sslmode=require"

        [env.staging]
        name = "app-staging"
        """

    @Test func entriesAreParsedWithTheirLocations() throws {
        let (config, _) = try load(Self.toml)
        #expect(config.hyperdrives.count == 1)
        let binding = try #require(config.hyperdrives.first)
        #expect(binding.binding == "DB")
        #expect(binding.id == "a76a99bc342644deb02c38d66082262a")
        #expect(binding.localConnectionString == "postgres://app:p%40ss@db.internal:5433/shop%20db?sslmode=require")
        #expect(binding.line == 3)
        #expect(binding.connectionStringLine == 6)
        #expect(binding.connectionStringColumn == 25)
        let resolved = try config.resolveHyperdrive(binding)
        #expect(resolved.source == .config)
        #expect(resolved.notices.isEmpty)
        #expect(
            resolved.origin
                == HyperdriveOrigin(
                    scheme: "postgres",
                    user: "app",
                    password: "p@ss",
                    host: "db.internal",
                    port: 5433,
                    database: "shop db",
                    parameters: [.init(name: "sslmode", value: "require")]
                )
        )
        #expect(resolved.origin.sslMode == "require")
        #expect(
            resolved.origin.localConnectionString(host: "127.0.0.1", port: 40001) == "postgres://app:p%40ss@127.0.0.1:40001/shop%20db?sslmode=disable"
        )
    }

    @Test func environmentsDoNotInheritHyperdriveBindings() throws {
        let (config, _) = try load(Self.toml, env: "staging")
        #expect(config.hyperdrives.isEmpty)
        #expect(
            config.warnings.contains(
                "\"hyperdrive\" exists at the top level, but not on \"env.staging\".\n"
                    + "This is not what you probably want, since \"hyperdrive\" is not inherited by environments.\n"
                    + "Please add \"hyperdrive\" to \"env.staging\"."
            )
        )
        let own =
            Self.toml + """

                [[env.staging.hyperdrive]]
                binding = "DB"
                id = "staging"
                localConnectionString = "postgresql://u:p@localhost/staging"
                """
        let (staging, _) = try load(own, env: "staging")
        #expect(staging.hyperdrives.map(\.id) == ["staging"])
        #expect(staging.hyperdrives.first?.declaredInEnv == "staging")
        #expect(try staging.resolveHyperdrive(#require(staging.hyperdrives.first)).origin.port == 5432)
    }

    @Test func theNewVariableBeatsTheOldOneWhichBeatsTheConfig() throws {
        let fresh = "postgres://fresh:pw@127.0.0.1:6000/freshdb"
        let old = "postgres://old:pw@127.0.0.1:6001/olddb"
        let (both, _) = try load(
            Self.toml,
            processEnvironment: [
                "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB": fresh, "WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB": old,
            ]
        )
        let first = try both.resolveHyperdrive(#require(both.hyperdrives.first))
        #expect(first.source == .variable("CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB"))
        #expect(first.origin.database == "freshdb")
        #expect(
            first.notices == [
                "Found a non-empty CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB variable for binding. "
                    + "Hyperdrive will connect to this database during local development."
            ]
        )

        // An empty new variable is skipped; the old one is used, with the deprecation line first.
        let (oldOnly, _) = try load(
            Self.toml,
            processEnvironment: ["CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB": "", "WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB": old]
        )
        let second = try oldOnly.resolveHyperdrive(#require(oldOnly.hyperdrives.first))
        #expect(second.origin.database == "olddb")
        #expect(
            second.notices == [
                "Using \"WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING_NAME>\" environment variable. This is deprecated. "
                    + "Please use \"CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING_NAME>\" instead.",
                "Found a non-empty WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB variable for binding. "
                    + "Hyperdrive will connect to this database during local development.",
            ]
        )

        // Another binding's variable changes nothing.
        let (other, _) = try load(Self.toml, processEnvironment: ["CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_OTHER": fresh])
        #expect(try other.resolveHyperdrive(#require(other.hyperdrives.first)).origin.database == "shop db")
    }

    @Test func dotEnvFilesCountAsEnvironmentButDevVarsDoNot() throws {
        let toml = "name = \"app\"\n[[hyperdrive]]\nbinding = \"HD\"\nid = \"x\"\n"
        let (config, _) = try load(
            toml,
            files: [
                ".env": "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD=postgres://a:b@h/fromdotenv\n",
                ".env.local": "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD=postgres://a:b@h/fromlocal\n",
            ]
        )
        #expect(try config.resolveHyperdrive(#require(config.hyperdrives.first)).origin.database == "fromlocal")
        let (real, _) = try load(
            toml,
            files: [".env": "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD=postgres://a:b@h/fromdotenv\n"],
            processEnvironment: ["CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD": "postgres://a:b@h/fromprocess"]
        )
        #expect(try real.resolveHyperdrive(#require(real.hyperdrives.first)).origin.database == "fromprocess")
        let (devVars, _) = try load(toml, files: [".dev.vars": "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD=postgres://a:b@h/devvars\n"])
        #expect(throws: ConfigError.self) { try devVars.resolveHyperdrive(#require(devVars.hyperdrives.first)) }
    }

    @Test func nothingGivenIsAnErrorAtTheBinding() throws {
        let toml = "name = \"app\"\n\n[[hyperdrive]]\nbinding = \"HYPERDRIVE\"\nid = \"x\"\n"
        let (config, _) = try load(toml)
        let error = #expect(throws: ConfigError.self) { try config.resolveHyperdrive(#require(config.hyperdrives.first)) }
        #expect(error?.line == 3)
        #expect(
            error?.message
                == "When developing locally, you should use a local Postgres connection string to emulate Hyperdrive functionality. "
                + "Please setup Postgres locally and set the value of the 'CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE' "
                + "variable or \"HYPERDRIVE\"'s \"localConnectionString\" to the Postgres connection string."
        )
        #expect(error?.description.hasPrefix(error?.file.map { "\($0):3:" } ?? "-") == true)
        // A variable set to the empty string passes that check and fails URL validation.
        let (empty, _) = try load(toml, processEnvironment: ["CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE": ""])
        let invalid = #expect(throws: ConfigError.self) { try empty.resolveHyperdrive(#require(empty.hyperdrives.first)) }
        #expect(
            invalid?.description
                == "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE (Hyperdrive binding \"HYPERDRIVE\"): "
                + "Invalid URL: expected postgres://user:password@host:port/database"
        )
    }

    @Test(arguments: [
        ("http://u:p@h/db", "Only PostgreSQL-compatible or MySQL-compatible databases are currently supported."),
        ("mysql://u:p@h/db", "Flarelet's Hyperdrive binding supports PostgreSQL only; a mysql: connection string cannot be used locally."),
        (
            "postgres:///db",
            "You must provide a hostname or IP address in your connection string - e.g. 'user:password@database-hostname.example.com:5432/databasename"
        ),
        ("postgres://u:p@h", "You must provide a database name as the path component - e.g. /postgres"),
        ("postgres://u:p@h/", "You must provide a database name as the path component - e.g. /postgres"),
        ("postgres://:p@h/db", "You must provide a username - e.g. 'user:password@database.example.com:port/databasename'"),
        ("postgres://u@h/db", "You must provide a password - e.g. 'user:password@database.example.com:port/databasename' "),
        ("postgres://u:p@h:99999/db", "Invalid URL: expected postgres://user:password@host:port/database"),
        ("not a url", "Invalid URL: expected postgres://user:password@host:port/database"),
        ("postgres://u:p@h/db?sslmode=sometimes", "Unsupported sslmode \"sometimes\": use disable, allow, prefer, require, verify-ca or verify-full"),
    ])
    func malformedConnectionStringsAreLocatedAtTheirValue(connectionString: String, message: String) throws {
        let toml = "name = \"app\"\n\n[[hyperdrive]]\nbinding = \"DB\"\nid = \"x\"\nlocalConnectionString = \"\(connectionString)\"\n"
        let (config, _) = try load(toml)
        let error = #expect(throws: ConfigError.self) { try config.resolveHyperdrive(#require(config.hyperdrives.first)) }
        #expect(error?.line == 6)
        #expect(error?.column == 25)
        #expect(error?.message == "\"DB\"'s \"localConnectionString\": \(message)")
    }

    @Test(arguments: [
        ("[[hyperdrive]]\nid = \"x\"", "wrangler.toml:2:1: \"hyperdrive\" bindings should have a string \"binding\" field but got {\"id\":\"x\"}."),
        (
            "[[hyperdrive]]\nbinding = 5\nid = \"x\"",
            "wrangler.toml:2:1: \"hyperdrive\" bindings should have a string \"binding\" field but got {\"binding\":5,\"id\":\"x\"}."
        ),
        ("[[hyperdrive]]\nbinding = \"DB\"", "wrangler.toml:2:1: \"hyperdrive\" bindings must have a \"id\" field but got {\"binding\":\"DB\"}."),
        ("hyperdrive = [\"DB\"]", "wrangler.toml:2:15: \"hyperdrive\" bindings should be objects, but got \"DB\""),
        (
            "[[hyperdrive]]\nbinding = \"DB\"\nid = \"x\"\nlocalConnectionString = 5",
            "wrangler.toml:5:25: expected a string for \"hyperdrive[0].localConnectionString\", but got an integer (5)"
        ),
    ])
    func invalidEntriesUseWranglersMessages(body: String, message: String) {
        let error = parseError("name = \"app\"\n" + body + "\n")
        #expect(error?.description == message)
    }

    @Test func unexpectedKeysWarn() throws {
        let (config, _) = try load("name = \"app\"\n[[hyperdrive]]\nbinding = \"DB\"\nid = \"x\"\norigin = \"y\"\n")
        #expect(config.warnings.contains("Unexpected fields found in hyperdrive field: \"origin\""))
    }

    @Test func ipv6HostsAndDefaultsParse() throws {
        let origin = try HyperdriveOrigin.parse("postgresql://u:p@[::1]:6543/db?application_name=x&sslmode=verify-full")
        #expect(origin.host == "::1")
        #expect(origin.port == 6543)
        #expect(origin.scheme == "postgresql")
        #expect(origin.sslMode == "verify-full")
        #expect(origin.parameter("application_name") == "x")
        #expect(origin.localConnectionString(host: "::1", port: 1) == "postgresql://u:p@[::1]:1/db?sslmode=disable")
        #expect(try HyperdriveOrigin.parse("POSTGRES://u:p@h/db").sslMode == "disable")
    }
}
