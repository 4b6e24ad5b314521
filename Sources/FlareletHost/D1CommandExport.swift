import ArgumentParser
import FlareletConfig
import FlareletCore
import FlareletD1
import Foundation

extension D1Command {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the contents or schema of your database as a .sql file",
            discussion: """
                The file mirrors `sqlite3 .dump` as wrangler writes it: `PRAGMA defer_foreign_keys=TRUE;`, then each \
                table's CREATE statement and one INSERT per row, then indexes, triggers and views. Importing it into \
                an empty database with `flarelet d1 execute <DB> --file=<file>` gives the same content. The export \
                reads one consistent snapshot, also while `flarelet dev` writes.

                Examples:
                  flarelet d1 export voicemode-telemetry --output=telemetry-export.sql
                  flarelet d1 export DB --output=schema.sql --no-data
                  flarelet d1 export DB --output=events.sql --table events --no-schema
                """
        )

        @Argument(help: "The name or binding of the DB")
        var name: String

        @Option(help: "Which .sql file to output to")
        var output: String

        @Option(help: "Specify which tables to include in export (repeatable)")
        var table: [String] = []

        @Flag(name: .customLong("no-schema"), help: "Only output table contents, not the DB schema")
        var noSchema = false

        @Flag(name: .customLong("no-data"), help: "Only output table schema, not the contents of the DBs themselves")
        var noData = false

        @Flag(name: [.short, .customLong("yes")], help: "Answer \"yes\" to any prompts")
        var yes = false

        @OptionGroup var state: StateOptions

        func run() async throws {
            try await self.reportingErrors {
                try self.state.refuseRemote()
                if self.noSchema && self.noData {
                    throw CLIFailure("You cannot specify both --no-schema and --no-data")
                }
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: self.output, isDirectory: &isDirectory), isDirectory.boolValue {
                    throw CLIFailure("--output must name a file, not a directory: \(self.output)")
                }
                let target = try D1Target(self.state, name: self.name)
                Output.line(target.banner)
                Output.line("🌀 Exporting local database \(self.name) (\(target.database.localDatabaseId)) from \(target.path):")
                Output.line("🌀 Exporting SQL to \(self.output)...")
                let options = D1ExportOptions(tables: self.table, noSchema: self.noSchema, noData: self.noData)
                try Self.write(target: target, to: self.output, options: options)
                Output.line("Done!")
            }
        }

        /// Streams the export into a temporary file beside `output` and moves it into place when complete, so a
        /// failed export leaves no partial file.
        static func write(target: D1Target, to output: String, options: D1ExportOptions) throws {
            let destination = URL(fileURLWithPath: output)
            let temporary = destination.deletingLastPathComponent()
                .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial")
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
                let handle = FileHandle(forWritingAtPath: temporary.path)
            else {
                throw CLIFailure("Could not write \(output).")
            }
            var moved = false
            defer {
                try? handle.close()
                if !moved { try? FileManager.default.removeItem(at: temporary) }
            }
            let database = try D1LocalDatabase(path: target.path)
            defer { database.close() }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 16)
            var first = true
            do throws(D1Error) {
                try database.export(options: options) { statement in
                    if !first { buffer.append(0x0a) }
                    first = false
                    buffer.append(contentsOf: statement.utf8)
                    if buffer.count >= 1 << 16 {
                        try handle.write(contentsOf: buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
            } catch {
                throw CLIFailure(error.message)
            }
            try handle.write(contentsOf: buffer)
            try handle.close()
            if FileManager.default.fileExists(atPath: destination.path) {
                try FileManager.default.removeItem(at: destination)
            }
            try FileManager.default.moveItem(at: temporary, to: destination)
            moved = true
        }
    }
}
