import ArgumentParser
import FlareletConfig
import FlareletCore
import FlareletD1
import FlareletJSON
import FlareletJavaScript
import Foundation

extension D1Command {
    struct Migrations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Interact with D1 migrations",
            discussion: """
                Migrations are the .sql files in migrations_dir (default: migrations/ beside wrangler.toml), or those \
                matching migrations_pattern, ordered by their leading number. Applied ones are recorded in the \
                migrations_table (default d1_migrations) of the same database file `flarelet dev` uses.

                Examples:
                  flarelet d1 migrations create DB init
                  flarelet d1 migrations list DB
                  flarelet d1 migrations apply DB
                """,
            subcommands: [Create.self, List.self, Apply.self]
        )
    }
}

/// Migration files and the tracking table (platform.md 2.2).
struct MigrationSet {
    let target: D1Target

    var directory: String { self.target.database.migrationsDir }
    var table: String { self.target.database.migrationsTable }
    var quotedTable: String { "\"" + self.table.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// `No migrations folder found.[ Set `migrations_dir` in your wrangler.toml file to choose a different path.]`
    var missingFolderWarning: String {
        "No migrations folder found."
            + (self.target.database.migrationsDirConfigured
                ? "" : " Set `migrations_dir` in your wrangler.toml file to choose a different path.")
    }

    var folderExists: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: self.directory, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// For list/apply: the folder must exist.
    func requireFolder() throws {
        guard self.folderExists else {
            Console.warn(self.missingFolderWarning)
            throw CLIFailure("No migrations present at \(self.directory).")
        }
    }

    /// Migration names (paths relative to the folder), in application order.
    func names() throws -> [String] {
        let all = try self.matchingFiles()
        return all.sorted(by: Self.precedes)
    }

    /// Files matched by `migrations_pattern` (default `<migrations_dir>/*.sql`), relative to the folder.
    private func matchingFiles() throws -> [String] {
        var pattern = ["*.sql"]
        if let configured = self.target.database.migrationsPattern {
            guard self.target.database.migrationsDirConfigured else {
                throw CLIFailure("\"migrations_pattern\" is set but \"migrations_dir\" is not: set both in the [[d1_databases]] entry.")
            }
            let absolute = configured.hasPrefix("/") ? configured : self.target.config.directory + "/" + configured
            let normalized = URL(fileURLWithPath: absolute).standardized.path
            let prefix = URL(fileURLWithPath: self.directory).standardized.path + "/"
            guard normalized.hasPrefix(prefix) else {
                throw CLIFailure(
                    "\"migrations_pattern\" (\"\(configured)\") must start with the migrations_dir (\"\(self.directory)/\")."
                )
            }
            pattern = String(normalized.dropFirst(prefix.count)).split(separator: "/").map(String.init)
        }
        var found: [String] = []
        self.collect(directory: self.directory, relative: [], pattern: pattern[...], into: &found)
        return found
    }

    private func collect(directory: String, relative: [String], pattern: ArraySlice<String>, into found: inout [String]) {
        guard let segment = pattern.first else { return }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let rest = pattern.dropFirst()
        if segment == "**" {
            // Zero directories…
            self.collect(directory: directory, relative: relative, pattern: rest, into: &found)
            // …or one more, keeping the `**`.
            for entry in entries.sorted() where Self.isDirectory(directory + "/" + entry) {
                self.collect(directory: directory + "/" + entry, relative: relative + [entry], pattern: pattern, into: &found)
            }
            return
        }
        for entry in entries.sorted() where Glob.matches(segment, entry) {
            let path = directory + "/" + entry
            if rest.isEmpty {
                if !Self.isDirectory(path) { found.append((relative + [entry]).joined(separator: "/")) }
            } else if Self.isDirectory(path) {
                self.collect(directory: path, relative: relative + [entry], pattern: rest, into: &found)
            }
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// By the leading integer of the first path segment, numbered before unnumbered, then lexicographically.
    static func precedes(_ a: String, _ b: String) -> Bool {
        let numberA = self.leadingNumber(a)
        let numberB = self.leadingNumber(b)
        switch (numberA, numberB) {
        case let (x?, y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a < b
        }
    }

    /// JavaScript `parseInt` of the first path segment (`nil` for `NaN`).
    static func leadingNumber(_ name: String) -> Int? {
        let segment = name.split(separator: "/", omittingEmptySubsequences: false).first.map(String.init) ?? name
        let value = JavaScript.parseInt(segment)
        guard value.isFinite, abs(value) < 9e18 else { return nil }
        return Int(value)
    }

    /// Creates the tracking table if missing and returns the applied names.
    func appliedNames(_ database: D1LocalDatabase) throws -> Set<String> {
        var create = SQLTextStatements(
            statements: [
                SQLSplitter.Statement(
                    text: "CREATE TABLE IF NOT EXISTS \(self.quotedTable)(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, "
                        + "applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
                    line: 1
                )
            ]
        )
        try database.runScript(&create)
        var select = SQLTextStatements(statements: [SQLSplitter.Statement(text: "SELECT * FROM \(self.quotedTable) ORDER BY id", line: 1)])
        var names = Set<String>()
        try database.runScript(&select) { result in
            guard let index = result.columns.lastIndex(of: "name") else { return }
            for row in result.rows {
                if case .text(let name) = row[index] { names.insert(name) }
            }
        }
        return names
    }

    /// Unapplied migrations, in order.
    func unapplied(_ database: D1LocalDatabase) throws -> [String] {
        let applied = try self.appliedNames(database)
        return try self.names().filter { !applied.contains($0) }
    }

    /// The migration's text followed by the tracking row, as one script.
    func script(for name: String) throws -> SQLInput {
        let path = self.directory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure("Unable to read migration file \"\(path)\".")
        }
        let insert = "\nINSERT INTO \(self.quotedTable) (name)\nvalues ('\(name.replacingOccurrences(of: "'", with: "''"))');"
        return .bytes(Array(data) + Array(insert.utf8))
    }
}

/// Shell-style matching of one path segment: `*`, `?` and `[...]` classes.
enum Glob {
    static func matches(_ pattern: String, _ name: String) -> Bool {
        self.match(Array(pattern.unicodeScalars)[...], Array(name.unicodeScalars)[...])
    }

    private static func match(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        switch first {
        case "*":
            var rest = name
            while true {
                if self.match(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        case "?":
            return !name.isEmpty && self.match(pattern.dropFirst(), name.dropFirst())
        case "[":
            guard let character = name.first, let close = pattern.dropFirst().firstIndex(of: "]") else {
                return name.first == "[" && self.match(pattern.dropFirst(), name.dropFirst())
            }
            var set = pattern[(pattern.startIndex + 1)..<close]
            let negate = set.first == "!" || set.first == "^"
            if negate { set = set.dropFirst() }
            var hit = false
            var index = set.startIndex
            while index < set.endIndex {
                if index + 2 < set.endIndex, set[index + 1] == "-" {
                    if set[index].value <= character.value && character.value <= set[index + 2].value { hit = true }
                    index += 3
                } else {
                    if set[index] == character { hit = true }
                    index += 1
                }
            }
            return hit != negate && self.match(pattern[(close + 1)...], name.dropFirst())
        default:
            return name.first == first && self.match(pattern.dropFirst(), name.dropFirst())
        }
    }
}

extension D1Command.Migrations {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new migration",
            discussion: """
                Writes <migrations_dir>/<NNNN>_<message>.sql (spaces become _), numbered one above the highest \
                existing file, starting at 0001. A missing folder is created after a confirmation (answered yes when \
                not interactive, or with -y).

                Example:
                  flarelet d1 migrations create DB "add users"
                """
        )

        @Argument(help: "The name or binding of the DB")
        var database: String

        @Argument(help: "The Migration message")
        var message: String

        @Flag(name: [.short, .customLong("yes")], help: "Answer \"yes\" to any prompts")
        var yes = false

        @OptionGroup var state: StateOptions

        func run() async throws {
            try await self.reportingErrors {
                try self.state.refuseRemote()
                let target = try D1Target(self.state, name: self.database)
                Output.line(target.banner)
                if self.message.contains("/") || self.message.contains("\\") {
                    throw CLIFailure(
                        "The migration name \"\(self.message)\" contains a path separator (\"/\" or \"\\\"). Please remove this and try again."
                    )
                }
                let migrations = MigrationSet(target: target)
                if !migrations.folderExists {
                    let question = "\(migrations.missingFolderWarning)\nOk to create \(migrations.directory)?"
                    guard Prompt.confirm(question, assumeYes: self.yes) else {
                        Console.warn(migrations.missingFolderWarning)
                        throw CLIFailure("No migrations present at \(migrations.directory).")
                    }
                    try FileManager.default.createDirectory(atPath: migrations.directory, withIntermediateDirectories: true)
                }
                let highest = try migrations.names().compactMap(MigrationSet.leadingNumber).max() ?? 0
                let number = String(format: "%04d", max(highest, 0) + 1)
                let fileName = "\(number)_\(self.message.replacingOccurrences(of: " ", with: "_")).sql"
                let path = migrations.directory + "/" + fileName
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                let content = "-- Migration number: \(number) \t \(formatter.string(from: Date()))\n"
                guard FileManager.default.createFile(atPath: path, contents: Data(content.utf8)) else {
                    throw CLIFailure("Could not write \(path).")
                }
                Output.line("✅ Successfully created Migration '\(fileName)'!\n")
                Output.line("The migration is available for editing here")
                Output.line(path)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "View a list of unapplied migration files",
            discussion: "Example:\n  flarelet d1 migrations list DB"
        )

        @Argument(help: "The name or binding of the DB")
        var database: String

        @OptionGroup var state: StateOptions

        func run() async throws {
            try await self.reportingErrors {
                try self.state.refuseRemote()
                let target = try D1Target(self.state, name: self.database)
                Output.line(target.banner)
                let migrations = MigrationSet(target: target)
                try migrations.requireFolder()
                let database = try D1LocalDatabase(path: target.path)
                defer { database.close() }
                let unapplied = try migrations.unapplied(database)
                if unapplied.isEmpty {
                    Output.line("✅ No migrations to apply!")
                    return
                }
                Output.line("Migrations to be applied:")
                Output.line(TextTable.render(headers: ["Name"], rows: unapplied.map { [$0] }))
            }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply any unapplied D1 migrations",
            discussion: """
                Each migration runs in one transaction together with its row in the migrations table, so a failing \
                migration leaves neither its changes nor its tracking row. The confirmation is answered yes when not \
                interactive (or with -y). Works while `flarelet dev` serves the same database.

                If applying a migration results in an error, this migration will be rolled back, and the previous \
                successful migration will remain applied.

                Example:
                  flarelet d1 migrations apply DB
                """
        )

        @Argument(help: "The name or binding of the DB")
        var database: String

        @Flag(name: [.short, .customLong("yes")], help: "Answer \"yes\" to any prompts")
        var yes = false

        @Flag(help: "Automatically apply all pending migrations without prompt")
        var force = false

        @OptionGroup var state: StateOptions

        func run() async throws {
            try await self.reportingErrors {
                try self.state.refuseRemote()
                let target = try D1Target(self.state, name: self.database)
                Output.line(target.banner)
                let migrations = MigrationSet(target: target)
                try migrations.requireFolder()
                let database = try D1LocalDatabase(path: target.path)
                defer { database.close() }
                let unapplied = try migrations.unapplied(database)
                if unapplied.isEmpty {
                    Output.line("✅ No migrations to apply!")
                    return
                }
                Output.line("Migrations to be applied:")
                Output.line(TextTable.render(headers: ["name"], rows: unapplied.map { [$0] }))
                let question =
                    "About to apply \(unapplied.count) migration(s)\n"
                    + "Your database may not be available to serve requests during the migration, continue?"
                guard Prompt.confirm(question, assumeYes: self.yes || self.force) else { return }
                var statuses = unapplied.map { _ in "🕒️" }
                for (index, name) in unapplied.enumerated() {
                    let input = try migrations.script(for: name)
                    var failure: (any Error)?
                    do {
                        let removals = try SQLTransactionTrim.removals(input)
                        var statements = SQLInputStatements(input, removing: removals)
                        try database.runScript(&statements)
                        statuses[index] = "✅"
                    } catch {
                        statuses[index] = "❌"
                        failure = error
                    }
                    Output.line(TextTable.render(headers: ["name", "status"], rows: zip(unapplied, statuses).map { [$0, $1] }))
                    if let failure {
                        Console.error("Migration \(name) failed with the following errors:")
                        throw CLIFailure("\(failure)")
                    }
                }
            }
        }
    }
}
