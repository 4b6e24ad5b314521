import ArgumentParser
import FlareletConfig
import FlareletCore
import FlareletD1
import FlareletJSON
import Foundation

/// `flarelet d1`: wrangler's `d1` commands on the local state `flarelet dev` uses.
struct D1Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d1",
        abstract: "🗄  Manage D1 databases (local state shared with `flarelet dev`)",
        discussion: """
            The database is the [[d1_databases]] entry whose database_name or binding matches the argument, in the \
            selected environment; its file is <persist root>/d1/<database_name>.sqlite. database_id and \
            preview_database_id never change which file is used. Every command first prints the binding, the \
            environment and the absolute path of the file.

            Examples:
              flarelet d1 create voicemode-telemetry
              flarelet d1 execute voicemode-telemetry --file=schema.sql
              flarelet d1 execute DB --command "SELECT COUNT(*) AS total FROM events"
              flarelet d1 migrations apply DB
              flarelet d1 export voicemode-telemetry --output=telemetry-export.sql
            """,
        subcommands: [Create.self, Execute.self, Export.self, Migrations.self]
    )
}

/// The resolved database a `d1` command works on.
struct D1Target {
    var config: ResolvedConfig
    var database: D1DatabaseConfig
    var path: String

    init(_ options: StateOptions, name: String, quiet: Bool = false) throws {
        self.config = try options.load(toDefine: "your D1 database", quiet: quiet)
        self.database = try self.config.findD1(name)
        self.path = self.config.d1Path(for: self.database)
    }

    /// The 7.2 line: binding, environment, absolute state file.
    var banner: String {
        "Local D1 database: binding \(self.database.binding), \(Output.environment(self.config)), file \(self.path)"
    }
}

extension D1Command {
    struct Execute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Execute a command or SQL file",
            discussion: """
                All statements run in one transaction: if one fails, nothing is applied, and the error names the \
                statement's number and the line it starts on. Files are read as a stream (memory is bounded by the \
                largest statement). A `BEGIN TRANSACTION;` … `COMMIT;` wrapper (as `sqlite3 .dump` writes) is removed.

                Output: a table per statement that returned rows on a terminal; otherwise (or with --json) \
                wrangler's JSON, one entry per statement. With --json stdout holds only the JSON document, and errors \
                are {"error": {"text": …}}.

                --persist-to works without --local (Flarelet is always local); --remote is refused.

                Examples:
                  flarelet d1 execute voicemode-telemetry --file=schema.sql
                  flarelet d1 execute DB --command "SELECT COUNT(*) AS total FROM events"
                  flarelet d1 execute DB --command "SELECT * FROM events" --json > events.json
                """
        )

        @Argument(help: "The name or binding of the DB")
        var database: String

        @Option(help: "A single SQL statement to execute (several, separated by `;`, are accepted)")
        var command: String?

        @Option(help: "A .sql file to ingest")
        var file: String?

        @Flag(help: "Return output as clean JSON")
        var json = false

        @Flag(help: "Execute commands/files against a preview D1 DB (remote only: refused without --remote)")
        var preview = false

        @Flag(name: [.short, .customLong("yes")], help: "Answer \"yes\" to any prompts")
        var yes = false

        @OptionGroup var state: StateOptions

        func run() async throws {
            if self.json {
                do {
                    try self.execute()
                } catch let exit as ExitCode {
                    throw exit
                } catch {
                    let document: JSONValue = ["error": ["text": .string("\(error)")]]
                    Output.line(document.stringify(indent: 2))
                    throw ExitCode(1)
                }
            } else {
                try await self.reportingErrors { try self.execute() }
            }
        }

        private func execute() throws {
            try self.state.refuseRemote()
            if self.command != nil && self.file != nil {
                throw CLIFailure("Error: can't provide both --command and --file.")
            }
            guard self.command != nil || self.file != nil else {
                throw CLIFailure(
                    "Missing required option --command or --file. Provide a SQL command inline with --command=\"<SQL>\", "
                        + "or a path to a SQL file with --file=<path>."
                )
            }
            if self.preview {
                throw CLIFailure(
                    "Cannot use --preview without --remote. The --preview flag targets a preview D1 database, which requires "
                        + "the --remote flag. Remove --preview or add --remote."
                )
            }
            let target = try D1Target(self.state, name: self.database, quiet: self.json)
            let input: SQLInput
            if let file = self.file {
                try Self.checkSQLTextFile(file)
                input = .file(file)
            } else {
                input = .bytes(Array((self.command ?? "").utf8))
            }
            let showLogs = !self.json
            if showLogs {
                Output.line(target.banner)
                Output.line("🌀 Executing on local database \(self.database) (\(target.database.localDatabaseId)) from \(target.path):")
            }
            if let command = self.command, D1LocalDatabase.isVacuumCommand(command) {
                // An operator's maintenance command on the local file (VoiceMode's seed lists it); local wrangler and
                // the worker binding refuse it (platform-next.md 12).
                let database = try D1LocalDatabase(path: target.path)
                defer { database.close() }
                let duration = try database.vacuum()
                if showLogs {
                    Output.line("🚣 1 command executed successfully.")
                } else {
                    let statement = SQLSplitter.Statement(text: command, line: 1)
                    let result = D1ScriptResult(ordinal: 1, statement: statement, columns: [], rows: [], duration: duration)
                    Output.line(JSONValue.array([Self.jsonEntry(result)]).stringify(indent: 2))
                }
                return
            }
            let removals = try SQLTransactionTrim.removals(input)
            var statements = SQLInputStatements(input, removing: removals)
            let asTables = !self.json && Output.stdoutIsTerminal
            // The JSON document is spooled to a temporary file as statements complete (memory stays bounded for
            // large imports) and printed only once the whole script has succeeded.
            let spool = asTables ? nil : try JSONArraySpool()
            var tables: [D1ScriptResult] = []
            let database = try D1LocalDatabase(path: target.path)
            defer { database.close() }
            let count = try database.runScript(&statements) { result in
                if let spool {
                    try spool.append(Self.jsonEntry(result))
                } else if !result.rows.isEmpty {
                    tables.append(result)
                }
            }
            for result in tables {
                Output.line(Self.shorten(result.statement.text))
                Output.line(Self.table(result))
            }
            if showLogs {
                Output.line("🚣 \(count) command\(count == 1 ? "" : "s") executed successfully.")
            }
            try spool?.finish(into: FileHandle.standardOutput)
        }

        /// wrangler's check before reading a file: readable, and not an SQLite database.
        static func checkSQLTextFile(_ path: String) throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let handle = FileHandle(forReadingAtPath: path)
            else {
                throw CLIFailure("Unable to read SQL text file \"\(path)\". Please check the file path and try again.")
            }
            defer { try? handle.close() }
            let head: Data
            do {
                head = try handle.read(upToCount: 15) ?? Data()
            } catch {
                throw CLIFailure("Unable to read SQL text file \"\(path)\". Please check the file path and try again.")
            }
            if head == Data("SQLite format 3".utf8) {
                throw CLIFailure(
                    "Provided file is a binary SQLite database file instead of an SQL text file. The execute command can "
                        + "only process SQL text files. Please export an SQL file from your SQLite database and try again."
                )
            }
        }

        /// `{"results": [...], "success": true, "meta": {"duration": ms}}`.
        static func jsonEntry(_ result: D1ScriptResult) -> JSONValue {
            let rows: [JSONValue] = result.rows.map { values in
                var object = JSONObject()
                for (name, value) in zip(result.columns, values) { object[name] = value.executeJSON }
                return .object(object)
            }
            return ["results": .array(rows), "success": true, "meta": ["duration": .number(result.duration)]]
        }

        /// The statement cut to 48 characters plus `...` when longer.
        static func shorten(_ query: String) -> String {
            // JavaScript counts UTF-16 code units.
            let units = Array(query.utf16)
            guard units.count > 48 else { return query }
            return String(decoding: units[..<48], as: UTF16.self) + "..."
        }

        /// The rows as a table, columns named like the JSON object keys (duplicates merged as in JavaScript).
        static func table(_ result: D1ScriptResult) -> String {
            var objects: [JSONObject] = []
            for values in result.rows {
                var object = JSONObject()
                for (name, value) in zip(result.columns, values) { object[name] = .string(value.cellText) }
                objects.append(object)
            }
            let headers = objects.first?.keys ?? []
            let rows = objects.map { object in headers.map { object[$0]?.stringValue ?? "" } }
            return TextTable.render(headers: headers.map(\.string), rows: rows)
        }
    }
}

/// Writes `JSON.stringify(array, null, 2)` of a long array element by element to a temporary file, then copies it
/// to an output in chunks: memory is bounded by one element, whatever the length of the array.
final class JSONArraySpool {
    private let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var count = 0

    init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-json-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: self.url.path, contents: nil),
            let handle = FileHandle(forUpdatingAtPath: self.url.path)
        else {
            throw CLIFailure("Could not create a temporary file in \(FileManager.default.temporaryDirectory.path)")
        }
        self.handle = handle
    }

    deinit {
        try? self.handle.close()
        try? FileManager.default.removeItem(at: self.url)
    }

    /// Adds one element, indented one level as `JSON.stringify(…, null, 2)` nests it.
    func append(_ element: JSONValue) throws {
        self.buffer += Array((self.count == 0 ? "[\n  " : ",\n  ").utf8)
        // Newlines inside JSON strings are escaped, so every newline of the text starts a new line of output.
        for byte in element.stringify(indent: 2).utf8 {
            self.buffer.append(byte)
            if byte == 0x0a { self.buffer += [0x20, 0x20] }
        }
        self.count += 1
        if self.buffer.count >= 1 << 16 { try self.flush() }
    }

    /// Closes the array and copies the document, plus a newline, to `output`.
    func finish(into output: FileHandle) throws {
        self.buffer += Array((self.count == 0 ? "[]\n" : "\n]\n").utf8)
        try self.flush()
        try self.handle.seek(toOffset: 0)
        while let data = try self.handle.read(upToCount: 1 << 16), !data.isEmpty {
            output.write(data)
        }
    }

    private func flush() throws {
        try self.handle.write(contentsOf: self.buffer)
        self.buffer.removeAll(keepingCapacity: true)
    }
}
