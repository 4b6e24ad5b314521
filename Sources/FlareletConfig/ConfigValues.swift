/// One `[[d1_databases]]` entry of the selected environment.
public struct D1DatabaseConfig: Sendable, Hashable {
    /// The binding name the worker sees (`env.DB`).
    public var binding: String
    /// `database_name`, if configured.
    public var databaseName: String?
    /// `database_id`, if configured. Locally only a name; it never selects the state file.
    public var databaseId: String?
    /// `preview_database_id`, if configured. Locally only a name; it never selects the state file.
    public var previewDatabaseId: String?
    /// `migrations_dir` as an absolute path (default `migrations`, resolved against the config file's directory).
    public var migrationsDir: String
    /// Whether `migrations_dir` was set in the configuration (wrangler's messages differ when it was not).
    public var migrationsDirConfigured: Bool
    /// `migrations_table` (default `d1_migrations`).
    public var migrationsTable: String
    /// `migrations_pattern` exactly as configured, if set.
    public var migrationsPattern: String?

    /// Creates an entry.
    public init(
        binding: String,
        databaseName: String? = nil,
        databaseId: String? = nil,
        previewDatabaseId: String? = nil,
        migrationsDir: String,
        migrationsDirConfigured: Bool = false,
        migrationsTable: String = "d1_migrations",
        migrationsPattern: String? = nil
    ) {
        self.binding = binding
        self.databaseName = databaseName
        self.databaseId = databaseId
        self.previewDatabaseId = previewDatabaseId
        self.migrationsDir = migrationsDir
        self.migrationsDirConfigured = migrationsDirConfigured
        self.migrationsTable = migrationsTable
        self.migrationsPattern = migrationsPattern
    }

    /// The name Flarelet's state file uses: `database_name`, or the binding when the name is absent or empty.
    public var stateName: String {
        if let name = self.databaseName, !name.isEmpty { return name }
        return self.binding
    }

    /// wrangler's local database id, `preview_database_id ?? database_id ?? binding` (empty strings skipped);
    /// shown in log lines only.
    public var localDatabaseId: String {
        for candidate in [self.previewDatabaseId, self.databaseId] {
            if let candidate, !candidate.isEmpty { return candidate }
        }
        return self.binding
    }
}

/// One `[[kv_namespaces]]` entry of the selected environment.
public struct KVNamespaceConfig: Sendable, Hashable {
    /// The binding name the worker sees (`env.KV`).
    public var binding: String
    /// `id`, if configured.
    public var id: String?
    /// `preview_id`, if configured.
    public var previewId: String?
    /// The environment whose `[env.<name>]` section declares this namespace; `nil` for top-level bindings.
    public var declaredInEnv: String?

    /// Creates an entry.
    public init(binding: String, id: String? = nil, previewId: String? = nil, declaredInEnv: String? = nil) {
        self.binding = binding
        self.id = id
        self.previewId = previewId
        self.declaredInEnv = declaredInEnv
    }

    /// wrangler's local namespace id, `preview_id ?? id ?? binding` (empty strings skipped); shown in log lines only.
    public var localId: String {
        for candidate in [self.previewId, self.id] {
            if let candidate, !candidate.isEmpty { return candidate }
        }
        return self.binding
    }
}

/// One cron expression from `triggers.crons`, exactly as written, with where it was written.
public struct CronEntry: Sendable, Hashable {
    /// The expression, character for character.
    public var expression: String
    /// The configuration file, as the caller named it.
    public var file: String
    /// The 1-based line of the expression's string literal.
    public var line: Int
    /// The 1-based column of the expression's opening quote.
    public var column: Int

    /// Creates an entry.
    public init(expression: String, file: String, line: Int, column: Int) {
        self.expression = expression
        self.file = file
        self.line = line
        self.column = column
    }
}

/// The `[dev]` settings Flarelet uses.
public struct DevConfig: Sendable, Hashable {
    /// `ip` (default `localhost`).
    public var ip: String
    /// `port`, 0–65535, if configured.
    public var port: Int?

    /// Creates dev settings.
    public init(ip: String = "localhost", port: Int? = nil) {
        self.ip = ip
        self.port = port
    }
}

/// One `[[hyperdrive]]` entry of the selected environment (platform-next.md 10.1), as written.
public struct HyperdriveConfig: Sendable, Hashable {
    /// The binding name the worker sees (`env.HYPERDRIVE`).
    public var binding: String
    /// `id` (the remote Hyperdrive configuration; locally only a name).
    public var id: String
    /// `localConnectionString`, if configured.
    public var localConnectionString: String?
    /// The configuration file, as the caller named it.
    public var file: String
    /// The 1-based line and column of the entry (its `[[hyperdrive]]` header or first key).
    public var line: Int?
    public var column: Int?
    /// The 1-based line and column of the `localConnectionString` value, when it is set.
    public var connectionStringLine: Int?
    public var connectionStringColumn: Int?
    /// The environment whose `[env.<name>]` section declares this binding; `nil` for top-level bindings.
    public var declaredInEnv: String?

    /// Creates an entry.
    public init(
        binding: String,
        id: String,
        localConnectionString: String? = nil,
        file: String = "wrangler.toml",
        line: Int? = nil,
        column: Int? = nil,
        connectionStringLine: Int? = nil,
        connectionStringColumn: Int? = nil,
        declaredInEnv: String? = nil
    ) {
        self.binding = binding
        self.id = id
        self.localConnectionString = localConnectionString
        self.file = file
        self.line = line
        self.column = column
        self.connectionStringLine = connectionStringLine
        self.connectionStringColumn = connectionStringColumn
        self.declaredInEnv = declaredInEnv
    }
}

/// A 1-based line and column in a configuration file.
public struct ConfigPosition: Sendable, Hashable {
    /// The 1-based line.
    public var line: Int
    /// The 1-based column.
    public var column: Int

    /// Creates a position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
