public import FlareletJSON
import FlareletJavaScript

/// A value bound to or read from D1 (SQLite's five storage classes).
public enum D1Value: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension D1Value: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    /// Booleans bind as INTEGER `1` / `0`.
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}

extension D1Value {
    /// Binds a JSON value the way workerd's D1 binding binds a JavaScript value: numbers as REAL (local wrangler
    /// binds every JS number as a double; `Infinity` too), strings as TEXT (lone surrogates as U+FFFD, as UTF-8
    /// encoding does), `null` as NULL, booleans as `1`/`0`, arrays whose every element is a number with
    /// `0 ≤ b < 256` as a BLOB of those numbers truncated to bytes (`Uint8Array.from`). `nil` (JavaScript
    /// `undefined`), objects and other arrays throw
    /// `D1_TYPE_ERROR: Type '<typeof>' not supported for value '<String(value)>'`.
    public init(javaScript value: JSONValue?) throws(D1Error) {
        guard let value else {
            throw D1Error(.type, "Type 'undefined' not supported for value 'undefined'")
        }
        switch value {
        case .null: self = .null
        case .bool(let b): self = .integer(b ? 1 : 0)
        case .number(let d): self = .real(d)
        case .integer(let i): self = .integer(i)
        case .string(let s): self = .text(s.string)
        case .array(let elements):
            var bytes: [UInt8] = []
            bytes.reserveCapacity(elements.count)
            for element in elements {
                guard let d = element.doubleValue, d >= 0, d < 256 else {
                    throw D1Error(.type, "Type 'object' not supported for value '\(Self.javaScriptString(value))'")
                }
                bytes.append(UInt8(d.rounded(.towardZero)))
            }
            self = .blob(bytes)
        case .object:
            throw D1Error(.type, "Type 'object' not supported for value '\(Self.javaScriptString(value))'")
        }
    }

    /// `String(value)` for the error message; a value that cannot be converted names JavaScript's own error.
    private static func javaScriptString(_ value: JSONValue) -> String {
        do {
            return try JavaScript.toString(value).string
        } catch {
            return "<\(error)>"
        }
    }

    /// The value as a worker sees it in a result row: INTEGER → exact integer, REAL → number, TEXT → string,
    /// NULL → `null`, BLOB → array of byte numbers.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .integer(let i): .integer(i)
        case .real(let d): .number(d)
        case .text(let s): .string(JSString(s))
        case .blob(let bytes): .array(bytes.map { .number(Double($0)) })
        }
    }
}

/// One result row: column names and values in column order. Duplicate column names are kept (``raw`` needs them).
public struct D1Row: Sendable, Hashable {
    public var columns: [String]
    public var values: [D1Value]

    public init(columns: [String], values: [D1Value]) {
        self.columns = columns
        self.values = values
    }

    /// The value of the **last** column called `name` (what `all()`/`first()` keep), or `nil` if there is none.
    public subscript(name: String) -> D1Value? {
        guard let index = self.columns.lastIndex(of: name) else { return nil }
        return self.values[index]
    }

    /// The row as the object a worker receives: duplicate names keep the first position and the last value.
    public var object: JSONObject {
        var object = JSONObject()
        for (name, value) in zip(self.columns, self.values) { object[name] = value.json }
        return object
    }
}

/// `meta` of a D1 result, with the eight local fields in wrangler's order.
public struct D1Meta: Sendable, Hashable {
    public var servedBy: String = "miniflare.db"
    /// Milliseconds spent on the statement (real elapsed time, fractional).
    public var duration: Double = 0
    public var changes: Int = 0
    public var lastRowId: Int64 = 0
    public var changedDb: Bool = false
    public var sizeAfter: Int = 0
    public var rowsRead: Int = 0
    public var rowsWritten: Int = 0

    public init() {}

    public var json: JSONValue {
        var object = JSONObject()
        object["served_by"] = .string(self.servedBy)
        object["duration"] = .number(self.duration)
        object["changes"] = .number(Double(self.changes))
        object["last_row_id"] = .integer(self.lastRowId)
        object["changed_db"] = .bool(self.changedDb)
        object["size_after"] = .number(Double(self.sizeAfter))
        object["rows_read"] = .number(Double(self.rowsRead))
        object["rows_written"] = .number(Double(self.rowsWritten))
        return .object(object)
    }
}

/// What one statement produced: the columns of its result set, every row, and `meta`.
public struct D1QueryResult: Sendable, Hashable {
    public var columns: [String]
    public var rows: [[D1Value]]
    public var meta: D1Meta

    public init(columns: [String] = [], rows: [[D1Value]] = [], meta: D1Meta = D1Meta()) {
        self.columns = columns
        self.rows = rows
        self.meta = meta
    }
}

/// `D1Result`: `{success, meta, results}`.
public struct D1Result: Sendable, Hashable {
    public var success: Bool = true
    public var meta: D1Meta
    public var results: [D1Row]

    public init(meta: D1Meta, results: [D1Row]) {
        self.meta = meta
        self.results = results
    }

    public init(_ query: D1QueryResult) {
        self.meta = query.meta
        self.results = query.rows.map { D1Row(columns: query.columns, values: $0) }
    }

    /// The object a worker receives, keys in the order `success`, `meta`, `results`.
    public var json: JSONValue {
        var object = JSONObject()
        object["success"] = .bool(self.success)
        object["meta"] = self.meta.json
        object["results"] = .array(self.results.map { .object($0.object) })
        return .object(object)
    }
}

/// `D1ExecResult`: `{count, duration}`.
public struct D1ExecResult: Sendable, Hashable {
    public var count: Int
    public var duration: Double
    public init(count: Int, duration: Double) {
        self.count = count
        self.duration = duration
    }
}

/// A D1 error. ``description`` is the full message a worker sees, e.g.
/// `D1_ERROR: no such table: users: SQLITE_ERROR`.
public struct D1Error: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case error = "D1_ERROR"
        case exec = "D1_EXEC_ERROR"
        case type = "D1_TYPE_ERROR"
        case columnNotFound = "D1_COLUMN_NOTFOUND"
        case dump = "D1_DUMP_ERROR"
    }
    public var kind: Kind
    /// The message after the prefix.
    public var message: String
    /// SQLite's extended result code when the error came from SQLite.
    public var sqliteCode: Int32?

    public init(_ kind: Kind, _ message: String, sqliteCode: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.sqliteCode = sqliteCode
    }

    public var description: String { "\(self.kind.rawValue): \(self.message)" }
}

/// A SQL text plus its bound parameters: the unit a ``D1Database`` executes.
public struct D1Query: Sendable, Hashable {
    public var sql: String
    public var bindings: [D1Value]
    public init(sql: String, bindings: [D1Value] = []) {
        self.sql = sql
        self.bindings = bindings
    }
}

/// A D1 database binding (`env.DB`).
///
/// Implementations provide the three primitives; the JavaScript-named API (`prepare`, `first`, `all`, `run`,
/// `raw`, `batch`, `exec`) is built on them in extensions.
public protocol D1Database: Sendable {
    /// Runs one query (which may hold several statements; the last one's result is returned) in its own
    /// implicit transaction.
    func query(_ query: D1Query) async throws(D1Error) -> D1QueryResult
    /// Runs every query in one transaction; any failure rolls all of them back and throws the first error.
    func batch(queries: [D1Query]) async throws(D1Error) -> [D1QueryResult]
    /// `exec()`: the text split into lines, each line a statement, all in one transaction.
    func exec(_ sql: String) async throws(D1Error) -> D1ExecResult
}

extension D1Database {
    /// `DB.prepare(sql)`: no I/O.
    public func prepare(_ sql: String) -> D1PreparedStatement {
        D1PreparedStatement(database: self, query: D1Query(sql: sql))
    }

    /// `DB.batch([stmts])`: one transaction; results in input order.
    public func batch(_ statements: [D1PreparedStatement]) async throws(D1Error) -> [D1Result] {
        try await self.batch(queries: statements.map(\.query)).map(D1Result.init)
    }

    /// `DB.dump()`: deprecated; always fails locally.
    public func dump() async throws(D1Error) -> [UInt8] {
        throw D1Error(.dump, "Status + 404")
    }
}

/// `D1PreparedStatement`: SQL plus bound values; `bind` returns a new statement.
public struct D1PreparedStatement: Sendable {
    public let database: any D1Database
    public let query: D1Query

    public init(database: any D1Database, query: D1Query) {
        self.database = database
        self.query = query
    }

    /// Returns a new statement with `values` bound positionally.
    public func bind(_ values: D1Value...) -> D1PreparedStatement {
        self.bind(values)
    }

    /// Returns a new statement with `values` bound positionally.
    public func bind(_ values: [D1Value]) -> D1PreparedStatement {
        D1PreparedStatement(database: self.database, query: D1Query(sql: self.query.sql, bindings: values))
    }

    /// Binds JavaScript-like values with the shim's conversion rules (``D1Value/init(javaScript:)``); `nil` is
    /// JavaScript `undefined` and throws `D1_TYPE_ERROR`.
    public func bind(javaScript values: [JSONValue?]) throws(D1Error) -> D1PreparedStatement {
        var converted: [D1Value] = []
        for value in values { converted.append(try D1Value(javaScript: value)) }
        return self.bind(converted)
    }

    /// `first()`: the first row, or `nil` when there are none. The whole statement runs.
    public func first() async throws(D1Error) -> D1Row? {
        let result = try await self.database.query(self.query)
        return result.rows.first.map { D1Row(columns: result.columns, values: $0) }
    }

    /// `first(column)`: one column of the first row; `nil` when there are no rows; throws
    /// `D1_COLUMN_NOTFOUND: Column not found (<col>)` when a row exists without that column.
    public func first(_ column: String) async throws(D1Error) -> D1Value? {
        guard let row = try await self.first() else { return nil }
        guard let value = row[column] else { throw D1Error(.columnNotFound, "Column not found (\(column))") }
        return value
    }

    /// `all()`.
    public func all() async throws(D1Error) -> D1Result {
        D1Result(try await self.database.query(self.query))
    }

    /// `run()`: the same as `all()` locally.
    public func run() async throws(D1Error) -> D1Result {
        try await self.all()
    }

    /// `raw()` / `raw({columnNames: true})`: rows as arrays; with column names first (even with zero rows).
    public func raw(columnNames: Bool = false) async throws(D1Error) -> [[D1Value]] {
        let result = try await self.database.query(self.query)
        return columnNames ? [result.columns.map { .text($0) }] + result.rows : result.rows
    }
}
