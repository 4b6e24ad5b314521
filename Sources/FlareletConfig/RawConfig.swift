public import FlareletJSON
import Foundation
internal import TOMLKit

/// The keys of one scope of `wrangler.toml`: the top level, or one `[env.<name>]` section, validated and typed but
/// not yet combined (no inheritance, no `.dev.vars`).
public struct RawEnvironment: Sendable {
    /// `nil` for the top level, otherwise the environment's name.
    public var envName: String?
    /// Every key set in this scope, in document order (including keys Flarelet ignores).
    public var keys: [String]
    /// `name`.
    public var name: String?
    /// `main`.
    public var main: String?
    /// `compatibility_date`, validated as `yyyy-mm-dd`.
    public var compatibilityDate: String?
    /// `compatibility_flags`.
    public var compatibilityFlags: [String]?
    /// `[vars]` in document order: a TOML string becomes `.string`, any other value its JSON equivalent.
    public var vars: [(name: String, value: JSONValue)]?
    /// `[[d1_databases]]`.
    public var d1Databases: [D1DatabaseConfig]?
    /// `[[kv_namespaces]]`.
    public var kvNamespaces: [KVNamespaceConfig]?
    /// `[[hyperdrive]]`.
    public var hyperdrives: [HyperdriveConfig]?
    /// `triggers.crons`; `nil` when `triggers` is absent, empty when `triggers` has no `crons`.
    public var crons: [CronEntry]?
    /// `secrets.required`.
    public var requiredSecrets: [String]?
    /// `[assets]` (inherited by environments that have none).
    public var assets: AssetsConfig?
    /// Warnings about this scope (unexpected keys).
    public var warnings: [String]
    /// Where `main`'s value is written in this scope, if it is.
    public var mainPosition: ConfigPosition?
    /// Where `name`'s value is written in this scope, if it is.
    public var namePosition: ConfigPosition?
    /// wrangler's refusal of two bindings of this scope with one name (thrown when the scope is selected), located
    /// at the later of the two.
    public var bindingConflict: ConfigError?

    /// Whether the scope sets `key`.
    public func has(_ key: String) -> Bool {
        self.keys.contains(key)
    }
}

/// A parsed and validated `wrangler.toml`, before an environment is selected.
public struct RawConfig: Sendable {
    /// The file, as the caller named it (used in messages).
    public var file: String
    /// The absolute directory holding the file; relative paths in the configuration resolve against it.
    public var directory: String
    /// The top-level keys.
    public var topLevel: RawEnvironment
    /// The `[env.<name>]` sections in document order.
    public var environments: [RawEnvironment]
    /// `[dev]` (top level only).
    public var dev: DevConfig
    /// Warnings about the top level (unexpected keys).
    public var warnings: [String]

    /// The `[env.<name>]` section called `name`.
    public func environment(named name: String) -> RawEnvironment? {
        self.environments.first { $0.envName == name }
    }

    /// Parses and validates the text of a `wrangler.toml`.
    ///
    /// - Parameters:
    ///   - text: The file's contents.
    ///   - file: The file's path as it should appear in messages; also locates the config directory when
    ///     `directory` is not given.
    ///   - directory: The absolute directory of the file, for resolving `migrations_dir`; defaults to the
    ///     directory of `file` resolved against the current working directory.
    /// - Throws: ``ConfigError`` with file, line, column and key path for syntax errors and invalid values.
    public static func parse(text: String, file: String, directory: String? = nil) throws(ConfigError) -> RawConfig {
        let text = text.hasPrefix("\u{FEFF}") ? String(text.unicodeScalars.dropFirst()) : text
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(
                .syntax,
                file: file,
                line: error.source.begin.line,
                column: error.source.begin.column,
                message: "invalid TOML: \(error.description)"
            )
        } catch {
            throw ConfigError(.syntax, file: file, message: "invalid TOML: \(error)")
        }
        let locator = SourceLocator(text: text)
        let root = TOMLNode.document(table, locator: locator)
        let directory =
            directory.map(Paths.normalize)
            ?? Paths.directory(of: Paths.absolute(file, relativeTo: FileManager.default.currentDirectoryPath))
        var parser = ScopeParser(reader: ConfigReader(file: file, locator: locator), directory: directory)
        return try parser.parseDocument(root, file: file)
    }
}

// MARK: - Scope parsing

private struct ScopeParser {
    let reader: ConfigReader
    let directory: String

    mutating func parseDocument(_ root: ConfigReader.Table, file: String) throws(ConfigError) -> RawConfig {
        let topLevel = try self.parseScope(root, base: "", envName: nil)
        var environments: [RawEnvironment] = []
        var dev = DevConfig()
        for (key, value) in root {
            switch key {
            case "env":
                for (envName, envValue) in try self.reader.table(value, at: "env") {
                    let path = KeyPathText.child("env", envName)
                    let pairs = try self.reader.table(envValue, at: path)
                    environments.append(try self.parseScope(pairs, base: path, envName: envName))
                }
            case "dev":
                dev = try self.parseDev(value)
            default:
                continue
            }
        }
        var warnings = topLevel.warnings
        for (key, value) in root where key == "dev" {
            if case .table(let pairs) = value {
                for (devKey, _) in pairs where !ConfigKeys.devKeys.contains(devKey) {
                    warnings.append(self.reader.warningForUnexpected(devKey, in: "dev"))
                }
            }
        }
        var topLevelOnlyScope = topLevel
        topLevelOnlyScope.warnings = []
        return RawConfig(
            file: file,
            directory: self.directory,
            topLevel: topLevelOnlyScope,
            environments: environments,
            dev: dev,
            warnings: warnings
        )
    }

    func parseScope(_ pairs: ConfigReader.Table, base: String, envName: String?) throws(ConfigError) -> RawEnvironment {
        var scope = RawEnvironment(envName: envName, keys: [], warnings: [])
        let allowed = envName == nil ? ConfigKeys.topLevelKeys : ConfigKeys.environmentKeys
        let scopeLabel = envName == nil ? "top-level" : base
        for (key, value) in pairs {
            scope.keys.append(key)
            let path = KeyPathText.child(base, key)
            switch key {
            case "name":
                scope.name = try self.reader.string(value, at: path)
                scope.namePosition = self.reader.position(of: path)
            case "main":
                scope.main = try self.reader.string(value, at: path)
                scope.mainPosition = self.reader.position(of: path)
            case "compatibility_date":
                guard case .string(let date) = value, Self.isValidDate(date) else {
                    throw self.reader.error(at: path, "\"\(path)\" must be a quoted \"yyyy-mm-dd\" string")
                }
                scope.compatibilityDate = date
            case "compatibility_flags":
                scope.compatibilityFlags = try self.reader.stringArray(value, at: path)
            case "vars":
                scope.vars = try self.reader.table(value, at: path).map { (name: $0.key, value: $0.value.json) }
            case "d1_databases":
                scope.d1Databases = try self.parseD1(value, at: path, warnings: &scope.warnings)
            case "kv_namespaces":
                scope.kvNamespaces = try self.parseKV(value, at: path, envName: envName, warnings: &scope.warnings)
            case "hyperdrive":
                scope.hyperdrives = try self.parseHyperdrive(value, at: path, envName: envName, warnings: &scope.warnings)
            case "triggers":
                scope.crons = try self.parseTriggers(value, at: path, warnings: &scope.warnings)
            case "assets":
                scope.assets = try self.reader.assets(value, at: path, directory: self.directory, warnings: &scope.warnings)
            case "secrets":
                let table = try self.reader.table(value, at: path)
                for (secretsKey, secretsValue) in table {
                    if secretsKey == "required" {
                        scope.requiredSecrets = try self.reader.stringArray(secretsValue, at: KeyPathText.child(path, "required"))
                    } else {
                        scope.warnings.append(self.reader.warningForUnexpected(secretsKey, in: path))
                    }
                }
            default:
                if !allowed.contains(key) {
                    scope.warnings.append(self.reader.warningForUnexpected(key, in: scopeLabel))
                }
            }
        }
        scope.bindingConflict = self.bindingConflict(in: scope, base: base)
        return scope
    }

    /// wrangler's `validateBindingsHaveUniqueNames` for one scope: every binding name (D1, KV, Hyperdrive, `[vars]`,
    /// `secrets.required`) must be unique across all of them.
    func bindingConflict(in scope: RawEnvironment, base: String) -> ConfigError? {
        // In wrangler's order of binding types (`friendlyBindingNames`), then `Secret`.
        var bindings: [(type: String, name: String, path: String)] = []
        for (offset, database) in (scope.d1Databases ?? []).enumerated() {
            bindings.append(
                ("D1 Database", database.binding, KeyPathText.child(KeyPathText.index(KeyPathText.child(base, "d1_databases"), offset), "binding"))
            )
        }
        for (offset, namespace) in (scope.kvNamespaces ?? []).enumerated() {
            bindings.append(
                ("KV Namespace", namespace.binding, KeyPathText.child(KeyPathText.index(KeyPathText.child(base, "kv_namespaces"), offset), "binding"))
            )
        }
        for (offset, hyperdrive) in (scope.hyperdrives ?? []).enumerated() {
            bindings.append(
                (
                    "Hyperdrive Config", hyperdrive.binding,
                    KeyPathText.child(KeyPathText.index(KeyPathText.child(base, "hyperdrive"), offset), "binding")
                )
            )
        }
        for variable in scope.vars ?? [] {
            bindings.append(("Environment Variable", variable.name, KeyPathText.child(KeyPathText.child(base, "vars"), variable.name)))
        }
        for (offset, secret) in (scope.requiredSecrets ?? []).enumerated() {
            bindings.append(("Secret", secret, KeyPathText.index(KeyPathText.child(KeyPathText.child(base, "secrets"), "required"), offset)))
        }
        let typeOrder = ["KV Namespace", "D1 Database", "Hyperdrive Config", "Environment Variable", "Secret"]
        bindings = typeOrder.flatMap { type in bindings.filter { $0.type == type } }
        var names: [String] = []
        var byName: [String: [(type: String, path: String)]] = [:]
        for binding in bindings {
            if byName[binding.name] == nil { names.append(binding.name) }
            byName[binding.name, default: []].append((binding.type, binding.path))
        }
        var lines: [String] = []
        var later: (order: Int, path: String)?
        for name in names {
            guard let uses = byName[name], uses.count > 1 else { continue }
            var types: [String] = []
            for use in uses where !types.contains(use.type) { types.append(use.type) }
            if types.count > 1 {
                lines.append("\(name) assigned to \(Self.englishList(types)) bindings.")
            }
            for type in types where uses.filter({ $0.type == type }).count > 1 {
                lines.append("\(name) assigned to multiple \(type) bindings.")
            }
            // The second binding with this name, in document order.
            let ordered = uses.map { (order: self.reader.locator.order(of: $0.path) ?? Int.max, path: $0.path) }.sorted { $0.order < $1.order }
            if later == nil || ordered[1].order < later!.order { later = ordered[1] }
        }
        guard let later else { return nil }
        lines.append("Bindings must have unique names, so that they can all be referenced in the worker.")
        lines.append("Please change your bindings to have unique names.")
        return self.reader.error(at: later.path, lines.joined(separator: "\n"))
    }

    /// `Intl.ListFormat("en")`: `A`, `A and B`, `A, B, and C`.
    static func englishList(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        case 2: return "\(items[0]) and \(items[1])"
        default: return items.dropLast().joined(separator: ", ") + ", and " + items[items.count - 1]
        }
    }

    func parseD1(_ node: TOMLNode, at path: String, warnings: inout [String]) throws(ConfigError) -> [D1DatabaseConfig] {
        var databases: [D1DatabaseConfig] = []
        for (offset, entry) in try self.reader.arrayOfTables(node, at: path).enumerated() {
            let entryPath = KeyPathText.index(path, offset)
            var strings: [String: String] = [:]
            for (key, value) in entry {
                let keyPath = KeyPathText.child(entryPath, key)
                switch key {
                case "binding", "database_name", "database_id", "preview_database_id", "migrations_dir", "migrations_table",
                    "migrations_pattern":
                    strings[key] = try self.reader.string(value, at: keyPath)
                default:
                    if !ConfigKeys.d1Keys.contains(key) {
                        warnings.append(self.reader.warningForUnexpected(key, in: entryPath))
                    }
                }
            }
            guard let binding = strings["binding"], !binding.isEmpty else {
                throw self.reader.error(
                    .missingKey,
                    at: entryPath,
                    atKey: true,
                    "\"\(entryPath)\" bindings should have a string \"binding\" field"
                )
            }
            let migrationsDir = strings["migrations_dir"]
            databases.append(
                D1DatabaseConfig(
                    binding: binding,
                    databaseName: strings["database_name"],
                    databaseId: strings["database_id"],
                    previewDatabaseId: strings["preview_database_id"],
                    migrationsDir: Paths.absolute(migrationsDir ?? "migrations", relativeTo: self.directory),
                    migrationsDirConfigured: migrationsDir != nil,
                    migrationsTable: strings["migrations_table"] ?? "d1_migrations",
                    migrationsPattern: strings["migrations_pattern"]
                )
            )
        }
        return databases
    }

    func parseKV(
        _ node: TOMLNode,
        at path: String,
        envName: String?,
        warnings: inout [String]
    ) throws(ConfigError) -> [KVNamespaceConfig] {
        var namespaces: [KVNamespaceConfig] = []
        for (offset, entry) in try self.reader.arrayOfTables(node, at: path).enumerated() {
            let entryPath = KeyPathText.index(path, offset)
            var strings: [String: String] = [:]
            for (key, value) in entry {
                let keyPath = KeyPathText.child(entryPath, key)
                switch key {
                case "binding", "id", "preview_id":
                    strings[key] = try self.reader.string(value, at: keyPath)
                default:
                    if !ConfigKeys.kvKeys.contains(key) {
                        warnings.append(self.reader.warningForUnexpected(key, in: entryPath))
                    }
                }
            }
            guard let binding = strings["binding"], !binding.isEmpty else {
                throw self.reader.error(
                    .missingKey,
                    at: entryPath,
                    atKey: true,
                    "\"\(entryPath)\" bindings should have a string \"binding\" field"
                )
            }
            namespaces.append(
                KVNamespaceConfig(binding: binding, id: strings["id"], previewId: strings["preview_id"], declaredInEnv: envName)
            )
        }
        return namespaces
    }

    /// `[[hyperdrive]]` with wrangler's messages (platform-next.md 10.1).
    func parseHyperdrive(
        _ node: TOMLNode,
        at path: String,
        envName: String?,
        warnings: inout [String]
    ) throws(ConfigError) -> [HyperdriveConfig] {
        guard case .array(let elements) = node else {
            throw self.reader.typeError(node, at: path, expected: "an array of tables", hint: "write [[\(path)]] sections")
        }
        var bindings: [HyperdriveConfig] = []
        for (offset, element) in elements.enumerated() {
            let entryPath = KeyPathText.index(path, offset)
            guard case .table(let entry) = element else {
                throw self.reader.error(at: entryPath, "\"\(path)\" bindings should be objects, but got \(element.json.stringify())")
            }
            var strings: [String: String] = [:]
            for (key, value) in entry {
                switch key {
                case "binding", "id", "localConnectionString":
                    if case .string(let text) = value { strings[key] = text }
                    if key == "localConnectionString", strings[key] == nil {
                        throw self.reader.typeError(value, at: KeyPathText.child(entryPath, key), expected: "a string")
                    }
                default:
                    warnings.append(self.reader.warningForUnexpected(key, in: path))
                }
            }
            guard let binding = strings["binding"] else {
                throw self.reader.error(
                    .missingKey,
                    at: entryPath,
                    atKey: true,
                    "\"\(path)\" bindings should have a string \"binding\" field but got \(element.json.stringify())."
                )
            }
            guard let id = strings["id"] else {
                throw self.reader.error(
                    .missingKey,
                    at: entryPath,
                    atKey: true,
                    "\"\(path)\" bindings must have a \"id\" field but got \(element.json.stringify())."
                )
            }
            let entryPosition = self.reader.locator.entry(for: entryPath)
            let valuePosition = self.reader.locator.entry(for: KeyPathText.child(entryPath, "localConnectionString"))?.value
            bindings.append(
                HyperdriveConfig(
                    binding: binding,
                    id: id,
                    localConnectionString: strings["localConnectionString"],
                    file: self.reader.file,
                    line: entryPosition?.key.line,
                    column: entryPosition?.key.column,
                    connectionStringLine: valuePosition?.line,
                    connectionStringColumn: valuePosition?.column,
                    declaredInEnv: envName
                )
            )
        }
        return bindings
    }

    func parseTriggers(_ node: TOMLNode, at path: String, warnings: inout [String]) throws(ConfigError) -> [CronEntry] {
        var crons: [CronEntry] = []
        for (key, value) in try self.reader.table(node, at: path) {
            let keyPath = KeyPathText.child(path, key)
            guard key == "crons" else {
                warnings.append(self.reader.warningForUnexpected(key, in: path))
                continue
            }
            let expressions = try self.reader.stringArray(value, at: keyPath)
            let fallback = self.reader.locator.entry(for: keyPath)?.value ?? SourcePosition(line: 1, column: 1)
            for (offset, expression) in expressions.enumerated() {
                let position = self.reader.locator.entry(for: KeyPathText.index(keyPath, offset))?.value ?? fallback
                crons.append(
                    CronEntry(expression: expression, file: self.reader.file, line: position.line, column: position.column)
                )
            }
        }
        return crons
    }

    func parseDev(_ node: TOMLNode) throws(ConfigError) -> DevConfig {
        var dev = DevConfig()
        for (key, value) in try self.reader.table(node, at: "dev") {
            let path = KeyPathText.child("dev", key)
            switch key {
            case "ip":
                dev.ip = try self.reader.string(value, at: path)
            case "port":
                guard case .integer(let port) = value, (0...65535).contains(port) else {
                    throw self.reader.typeError(value, at: path, expected: "an integer from 0 to 65535")
                }
                dev.port = port
            default:
                continue
            }
        }
        return dev
    }

    /// `yyyy-mm-dd` with a real calendar date.
    static func isValidDate(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 10, scalars[4] == "-", scalars[7] == "-" else { return false }
        let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9]
        guard digitPositions.allSatisfy({ ("0"..."9").contains(scalars[$0]) }) else { return false }
        guard let year = Int(text.prefix(4)),
            let month = Int(text.dropFirst(5).prefix(2)),
            let day = Int(text.suffix(2))
        else { return false }
        guard (1...12).contains(month), day >= 1 else { return false }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }
}
