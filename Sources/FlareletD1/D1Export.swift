public import FlareletCore
import FlareletJSON
import Foundation

/// What `d1 export` includes.
public struct D1ExportOptions: Sendable, Hashable {
    /// Only these tables (and indexes, triggers and views with these names); empty means everything.
    public var tables: [String]
    /// Leave out the DDL (`--no-schema`).
    public var noSchema: Bool
    /// Leave out the rows (`--no-data`).
    public var noData: Bool

    /// Creates options.
    public init(tables: [String] = [], noSchema: Bool = false, noData: Bool = false) {
        self.tables = tables
        self.noSchema = noSchema
        self.noData = noData
    }
}

extension D1LocalDatabase {
    /// The message for databases that hold a virtual table.
    public static let virtualTableExportError = "D1 Export error: cannot export databases with Virtual Tables (fts5)"

    /// Writes the database as SQL statements the way `wrangler d1 export` does (Miniflare's `dumpSql`, itself
    /// modelled on the `sqlite3` shell's `.dump`), one statement per call of `emit`, in order:
    ///
    /// 1. `PRAGMA defer_foreign_keys=TRUE;`
    /// 2. each table in `sqlite_schema` rowid order (`sqlite_sequence` last): its `CREATE` statement plus `;`
    ///    (`CREATE TABLE IF NOT EXISTS …` when the name was quoted), then one
    ///    `INSERT INTO "t" ("a","b") VALUES(…);` per row; `sqlite_sequence` gives `DELETE FROM sqlite_sequence;`,
    ///    `sqlite_stat*` gives `ANALYZE sqlite_schema;`, other `sqlite_*` and `_cf_*` tables are skipped;
    /// 3. every index, trigger and view `sql` plus `;`, ordered by type.
    ///
    /// Values: `NULL`; integers with all their digits; reals as JavaScript prints numbers (infinities as `1e999`
    /// and `-1e999`, which SQLite reads back as infinities); text single-quoted with `'` doubled and newlines /
    /// carriage returns through `replace(…,'\n',char(10))`; BLOBs as `X'<lowercase hex>'`.
    ///
    /// The whole export reads one snapshot (a read transaction), so a concurrent writer cannot tear it.
    ///
    /// - Parameters:
    ///   - options: Tables to include, `--no-schema`, `--no-data`.
    ///   - emit: Receives each statement (without a separator). An error thrown here stops the export and is
    ///     rethrown as a `D1Error` with the error's description.
    /// - Throws: `D1Error` for SQLite failures and ``virtualTableExportError`` (as the message) for virtual tables.
    public func export(options: D1ExportOptions = D1ExportOptions(), emit: (String) throws -> Void) throws(D1Error) {
        let connection = self.connection
        let wasEnabled = connection.authorizer.isEnabled
        connection.authorizer.isEnabled = false
        defer { connection.authorizer.isEnabled = wasEnabled }
        try connection.execute("BEGIN")
        defer { if !connection.isAutocommit { try? connection.execute("ROLLBACK") } }

        func send(_ statement: String) throws(D1Error) {
            do {
                try emit(statement)
            } catch {
                throw D1Error(.error, "\(error)")
            }
        }

        try send("PRAGMA defer_foreign_keys=TRUE;")
        let filter = Set(options.tables)
        let tables = try self.rows(
            "SELECT name, type, sql FROM sqlite_schema AS o WHERE (true) AND type=='table' AND sql NOT NULL "
                + "ORDER BY tbl_name='sqlite_sequence', rowid;"
        )
        for table in tables {
            guard case .text(let name) = table[0], case .text(let sql) = table[2] else { continue }
            if !filter.isEmpty && !filter.contains(name) { continue }
            if name == "sqlite_sequence" {
                if !options.noSchema { try send("DELETE FROM sqlite_sequence;") }
            } else if name.hasPrefix("sqlite_stat") && name.count > "sqlite_stat".count {
                if !options.noSchema { try send("ANALYZE sqlite_schema;") }
            } else if sql.hasPrefix("CREATE VIRTUAL TABLE") {
                throw D1Error(.error, Self.virtualTableExportError)
            } else if name.hasPrefix("_cf_") || name.hasPrefix("sqlite_") {
                continue
            } else if !options.noSchema {
                if sql.contains("CREATE TABLE '") || sql.contains("CREATE TABLE \"") {
                    try send("CREATE TABLE IF NOT EXISTS \(sql.dropFirst(13));")
                } else {
                    try send("\(sql);")
                }
            }
            if options.noData { continue }
            let columns = try self.rows("PRAGMA table_info=\(Self.escapeId(name))").compactMap { row -> String? in
                guard row.count > 1, case .text(let column) = row[1] else { return nil }
                return column
            }
            guard !columns.isEmpty else { continue }
            let columnList = columns.map(Self.escapeId).joined(separator: ",")
            let select = "SELECT \(columns.map(Self.escapeId).joined(separator: ", ")) FROM \(Self.escapeId(name));"
            let prefix = "INSERT INTO \(Self.escapeId(name)) (\(columnList)) VALUES("
            try self.forEachRow(select) { (row) throws(D1Error) in
                try send(prefix + row.map(Self.literal).joined(separator: ",") + ");")
            }
        }
        if !options.noSchema {
            let rest = try self.rows(
                "SELECT name, sql FROM sqlite_schema AS o WHERE (true) AND sql NOT NULL "
                    + "AND type IN ('index', 'trigger', 'view') ORDER BY type COLLATE NOCASE, rowid"
            )
            for entry in rest {
                guard case .text(let name) = entry[0], case .text(let sql) = entry[1] else { continue }
                if !filter.isEmpty && !filter.contains(name) { continue }
                try send("\(sql);")
            }
        }
        try connection.execute("COMMIT")
    }

    // MARK: - Helpers

    private func rows(_ sql: String) throws(D1Error) -> [[D1Value]] {
        var rows: [[D1Value]] = []
        try self.forEachRow(sql) { (row) throws(D1Error) in rows.append(row) }
        return rows
    }

    private func forEachRow(_ sql: String, _ body: ([D1Value]) throws(D1Error) -> Void) throws(D1Error) {
        let text = sql.utf8CString
        let length = text.count - 1
        try text.withUnsafeBufferPointer { (buffer) throws(D1Error) in
            guard let base = buffer.baseAddress else { return }
            var tail = 0
            guard let statement = try self.connection.prepare(base, length: length, tail: &tail) else { return }
            defer { statement.finalize() }
            let count = statement.columnNames.count
            while try statement.step() { try body(statement.row(columnCount: count)) }
        }
    }

    /// `"name"` with `"` doubled.
    static func escapeId(_ id: String) -> String {
        "\"" + id.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One value as SQL text.
    static func literal(_ value: D1Value) -> String {
        switch value {
        case .null:
            return "NULL"
        case .integer(let i):
            return String(i)
        case .real(let d):
            if d.isInfinite { return d < 0 ? "-1e999" : "1e999" }
            return JSONValue.number(d).stringify()
        case .text(let s):
            return self.quotedEscapedString(s)
        case .blob(let bytes):
            let hex = "0123456789abcdef".utf8.map { $0 }
            var out: [UInt8] = Array("X'".utf8)
            out.reserveCapacity(bytes.count * 2 + 3)
            for byte in bytes {
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            }
            out.append(UInt8(ascii: "'"))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The `sqlite3` shell's `output_quoted_escaped_string` (before `unistr()`), as Miniflare ports it.
    static func quotedEscapedString(_ value: String) -> String {
        let hasNewline = value.utf8.contains(0x0a)
        let hasCarriageReturn = value.utf8.contains(0x0d)
        var escaped = ""
        if !hasNewline && !hasCarriageReturn {
            for scalar in value.unicodeScalars {
                if scalar == "'" { escaped.unicodeScalars.append("'") }
                escaped.unicodeScalars.append(scalar)
            }
            return "'" + escaped + "'"
        }
        let newline = self.unusedString(value, primary: "\\n", secondary: "\\012")
        let carriageReturn = self.unusedString(value, primary: "\\r", secondary: "\\015")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "'": escaped += "''"
            case "\n": escaped += newline
            case "\r": escaped += carriageReturn
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        var output = "'" + escaped + "'"
        if hasCarriageReturn { output = "replace(\(output),'\(carriageReturn)',char(13))" }
        if hasNewline { output = "replace(\(output),'\(newline)',char(10))" }
        return output
    }

    /// A placeholder that does not occur in `value`: `primary`, `secondary`, else `(<primary>0)`, `(<primary>1)`, ….
    private static func unusedString(_ value: String, primary: String, secondary: String) -> String {
        func occurs(_ needle: String) -> Bool {
            value.utf8.count >= needle.utf8.count && value.range(of: needle, options: .literal) != nil
        }
        if !occurs(primary) { return primary }
        if !occurs(secondary) { return secondary }
        var suffix = 0
        while true {
            let candidate = "(\(primary)\(suffix))"
            if !occurs(candidate) { return candidate }
            suffix += 1
        }
    }
}
