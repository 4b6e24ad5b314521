public import FlareletJSON

/// The configuration one Flarelet command works with: the selected environment of `wrangler.toml` with
/// inheritance applied, `.dev.vars`/`.env` and `--var` merged into ``vars``, and the state location decided.
public struct ResolvedConfig: Sendable {
    /// The absolute path of the configuration file.
    public var configPath: String
    /// The absolute directory of the configuration file.
    public var directory: String
    /// The worker name: the environment's `name`, else `<top-level name>-<env>`, else the top-level `name`.
    public var name: String
    /// `main` (inherited by environments).
    public var main: String?
    /// Where the value that selects the worker is written: `main`'s, or `name`'s when there is no `main`.
    public var mainPosition: ConfigPosition?
    /// `compatibility_date` (inherited by environments).
    public var compatibilityDate: String?
    /// `compatibility_flags` (inherited by environments); empty when not configured.
    public var compatibilityFlags: [String]
    /// The `--env` value, if one was given.
    public var envName: String?
    /// Plain-text and JSON bindings, in order: `[vars]` of the selected scope, then `.dev.vars`/`.env` values
    /// (text; they replace a same-named var in place or are appended), then `--var` values (likewise).
    public var vars: [(name: String, value: JSONValue)]
    /// Names in ``vars`` whose value came from `.dev.vars` or `.env` (secret-text bindings), in file order.
    public var secretNames: [String]
    /// The `.dev.vars*` or `.env*` files that were read, as absolute paths, in the order they were applied.
    public var devVarsFiles: [String]
    /// `[[d1_databases]]` of the selected scope (not inherited).
    public var d1Databases: [D1DatabaseConfig]
    /// `[[kv_namespaces]]` of the selected scope (not inherited).
    public var kvNamespaces: [KVNamespaceConfig]
    /// `[[hyperdrive]]` of the selected scope (not inherited); see ``resolveHyperdrive(_:)``.
    public var hyperdrives: [HyperdriveConfig]
    /// The `…_HYPERDRIVE_LOCAL_CONNECTION_STRING_*` variables visible to this configuration: the process environment
    /// over the `.env` files beside it (platform-next.md 10.1; `.dev.vars` is not consulted).
    public var hyperdriveEnvironment: [String: String]
    /// `triggers.crons` of the selected scope (inherited unless the environment has its own `triggers`).
    public var crons: [CronEntry]
    /// `[dev]`.
    public var dev: DevConfig
    /// `[assets]` of the selected scope (inherited by environments without their own).
    public var assets: AssetsConfig? = nil
    /// Whether the top level sets `site` (Workers Sites, which cannot be combined with `[assets]`).
    public var hasSite = false
    /// Warnings to show the user, in order (unexpected keys, environment inheritance, file preference, dotenv).
    public var warnings: [String]
    /// The absolute root of Flarelet's local state: `--persist-to` resolved against the working directory, else
    /// `<config directory>/.flarelet/state`.
    public var persistRoot: String

    /// Creates a resolved configuration; normally one comes from
    /// ``WranglerConfig/load(path:env:cliVars:persistTo:workingDirectory:processEnvironment:)``.
    public init(
        configPath: String,
        directory: String,
        name: String,
        main: String? = nil,
        mainPosition: ConfigPosition? = nil,
        compatibilityDate: String? = nil,
        compatibilityFlags: [String] = [],
        envName: String? = nil,
        vars: [(name: String, value: JSONValue)] = [],
        secretNames: [String] = [],
        devVarsFiles: [String] = [],
        d1Databases: [D1DatabaseConfig] = [],
        kvNamespaces: [KVNamespaceConfig] = [],
        hyperdrives: [HyperdriveConfig] = [],
        hyperdriveEnvironment: [String: String] = [:],
        crons: [CronEntry] = [],
        dev: DevConfig = DevConfig(),
        warnings: [String] = [],
        persistRoot: String
    ) {
        self.configPath = configPath
        self.directory = directory
        self.name = name
        self.main = main
        self.mainPosition = mainPosition
        self.compatibilityDate = compatibilityDate
        self.compatibilityFlags = compatibilityFlags
        self.envName = envName
        self.vars = vars
        self.secretNames = secretNames
        self.devVarsFiles = devVarsFiles
        self.d1Databases = d1Databases
        self.kvNamespaces = kvNamespaces
        self.hyperdrives = hyperdrives
        self.hyperdriveEnvironment = hyperdriveEnvironment
        self.crons = crons
        self.dev = dev
        self.warnings = warnings
        self.persistRoot = persistRoot
    }

    /// The value bound to `name` in ``vars``.
    public func variable(_ name: String) -> JSONValue? {
        self.vars.first { $0.name == name }?.value
    }

    /// The SQLite file of a D1 database: `<persistRoot>/d1/<database_name or binding>.sqlite`.
    public func d1Path(for database: D1DatabaseConfig) -> String {
        Paths.join(Paths.join(self.persistRoot, "d1"), database.stateName + ".sqlite")
    }

    /// The LMDB directory of a KV namespace: `<persistRoot>/kv/<BINDING>` for top-level bindings,
    /// `<persistRoot>/kv/env.<env>/<BINDING>` for bindings declared under `[env.<env>]`.
    public func kvPath(for namespace: KVNamespaceConfig) -> String {
        var directory = Paths.join(self.persistRoot, "kv")
        if let env = namespace.declaredInEnv {
            directory = Paths.join(directory, "env.\(env)")
        }
        return Paths.join(directory, namespace.binding)
    }

    /// The `[[d1_databases]]` entry whose `database_name` or `binding` equals `nameOrBinding` (names are tried
    /// first, then bindings).
    ///
    /// - Throws: ``ConfigError`` with wrangler's
    ///   `Couldn't find a D1 DB with the name or binding '<name>' in your wrangler.toml file.` and, on the next
    ///   line, the databases that are configured.
    public func findD1(_ nameOrBinding: String) throws(ConfigError) -> D1DatabaseConfig {
        if let match = self.d1Databases.first(where: { $0.databaseName == nameOrBinding })
            ?? self.d1Databases.first(where: { $0.binding == nameOrBinding })
        {
            return match
        }
        let first = "Couldn't find a D1 DB with the name or binding '\(nameOrBinding)' in your wrangler.toml file."
        let second: String
        if self.d1Databases.isEmpty {
            second = "No D1 databases are configured" + (self.envName.map { " for env.\($0)" } ?? "") + "."
        } else {
            let listed = self.d1Databases.map { database in
                if let name = database.databaseName, !name.isEmpty {
                    return "'\(name)' (binding '\(database.binding)')"
                }
                return "binding '\(database.binding)'"
            }
            second = "Configured D1 databases: " + listed.joined(separator: ", ")
        }
        throw ConfigError(.d1DatabaseNotFound, message: first + "\n" + second)
    }

    /// The `[[kv_namespaces]]` entry with this binding.
    ///
    /// - Throws: ``ConfigError`` with wrangler's
    ///   `A namespace with binding name "<binding>" was not found in the configured "kv_namespaces".`
    public func findKV(binding: String) throws(ConfigError) -> KVNamespaceConfig {
        if let match = self.kvNamespaces.first(where: { $0.binding == binding }) {
            return match
        }
        throw ConfigError(
            .invalidArgument,
            message: "A namespace with binding name \"\(binding)\" was not found in the configured \"kv_namespaces\"."
        )
    }
}
