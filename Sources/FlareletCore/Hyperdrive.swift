public import FlareletJSON

/// A value bound to a PostgreSQL query parameter (`$1`, `$2`, …) or read from a result column.
///
/// Binding rules: ``text(_:)`` is sent in text format with its type left to the server, as node-postgres sends
/// every parameter, so PostgreSQL parses it as whatever type the query needs there (`uuid`, `timestamptz`,
/// `jsonb`, `integer`, …) and its own input errors apply. The other cases are sent typed: `boolean`, `bigint`,
/// `double precision`, `timestamptz` and `bytea`.
///
/// Reading rules: `boolean` → ``bool(_:)``; `smallint`/`integer`/`bigint`/`oid` → ``integer(_:)``;
/// `real`/`double precision` → ``double(_:)``; `timestamptz`/`timestamp` → ``timestamp(microseconds:)``; `bytea` →
/// ``bytes(_:)``; text types, `uuid` (lowercase hyphenated), `numeric` (its exact decimal text), `json`/`jsonb`
/// (their text) and `date` (`YYYY-MM-DD`) → ``text(_:)``; `void` → ``null``. Other types are refused with
/// ``PostgresDriverError/Kind/decoding``: cast them in SQL (`col::text`).
public enum PostgresValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case text(String)
    /// Microseconds since 1970-01-01T00:00:00Z (PostgreSQL's precision). `infinity` reads as `Int64.max`,
    /// `-infinity` as `Int64.min`.
    case timestamp(microseconds: Int64)
    case bytes([UInt8])
}

extension PostgresValue: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension PostgresValue {
    /// The value as JSON: numbers as numbers, timestamps as ISO-8601 UTC with six fraction digits
    /// (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), bytes as an array of byte numbers.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .integer(let number): .integer(number)
        case .double(let number): .number(number)
        case .text(let text): .string(text)
        case .timestamp(let micros): .string(Self.isoMicroseconds(micros))
        case .bytes(let bytes): .array(bytes.map { .number(Double($0)) })
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for microseconds since the epoch (`infinity` / `-infinity` for the extremes).
    public static func isoMicroseconds(_ micros: Int64) -> String {
        if micros == .max { return "infinity" }
        if micros == .min { return "-infinity" }
        let perDay: Int64 = 86_400_000_000
        let days = micros >= 0 ? micros / perDay : (micros - perDay + 1) / perDay
        let rest = micros - days * perDay
        let (year, month, day) = CivilCalendar.date(days: Int(days))
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let yearText = (0...9999).contains(year) ? pad(Int64(year), 4) : (year < 0 ? "-" : "+") + pad(Int64(abs(year)), 6)
        return "\(yearText)-\(pad(Int64(month), 2))-\(pad(Int64(day), 2))T\(pad(rest / 3_600_000_000, 2)):"
            + "\(pad(rest / 60_000_000 % 60, 2)):\(pad(rest / 1_000_000 % 60, 2)).\(pad(rest % 1_000_000, 6))Z"
    }
}

/// One result row: column names and values in column order.
public struct PostgresResultRow: Sendable, Hashable {
    public var columns: [String]
    public var values: [PostgresValue]

    public init(columns: [String], values: [PostgresValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of the last column called `name`, or `nil` if there is none.
    public subscript(name: String) -> PostgresValue? {
        guard let index = self.columns.lastIndex(of: name) else { return nil }
        return self.values[index]
    }

    /// The row as a JSON object (duplicate names keep the first position and the last value).
    public var object: JSONObject {
        var object = JSONObject()
        for (name, value) in zip(self.columns, self.values) { object[name] = value.json }
        return object
    }
}

/// What one statement returned. ``columns`` is empty when there are no rows.
public struct PostgresResult: Sendable, Hashable {
    public var columns: [String]
    public var rows: [[PostgresValue]]

    public init(columns: [String] = [], rows: [[PostgresValue]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// Every row with its column names.
    public var results: [PostgresResultRow] {
        self.rows.map { PostgresResultRow(columns: self.columns, values: $0) }
    }

    /// The first row, or `nil`.
    public var first: PostgresResultRow? {
        self.rows.first.map { PostgresResultRow(columns: self.columns, values: $0) }
    }
}

/// A failure of a PostgreSQL query or of the connection it needed.
///
/// ``message`` is PostgreSQL's own primary message for ``Kind/server`` errors (e.g.
/// `duplicate key value violates unique constraint "events_event_id_key"`), with its SQLSTATE in ``sqlState``.
public struct PostgresDriverError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The server answered with an error (``sqlState`` is set).
        case server
        /// The server could not be reached, or the connection broke during the query.
        case connection
        /// No connection became available in time (the server is down or every connection is busy).
        case timeout
        /// The binding is closed (the dev server is shutting down).
        case closed
        /// A result column has a type Flarelet does not read; cast it in SQL.
        case decoding
        /// The query itself could not be sent (for example more than 65,535 parameters).
        case usage
    }

    public var kind: Kind
    public var message: String
    /// The five-character SQLSTATE of a server error, e.g. `23505`.
    public var sqlState: String?
    /// PostgreSQL's `DETAIL` line, if any.
    public var detail: String?
    /// The constraint a server error names, if any.
    public var constraint: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.constraint = constraint
    }

    public var description: String {
        if let sqlState { return "\(self.message) (SQLSTATE \(sqlState))" }
        return self.message
    }
}

/// Something that runs SQL on PostgreSQL: the pooled client of a Hyperdrive binding, or one transaction of it.
public protocol PostgresQuerying: Sendable {
    /// Runs one statement with positional parameters `$1`, `$2`, … and returns all of its rows.
    func query(_ sql: String, _ bindings: [PostgresValue]) async throws(PostgresDriverError) -> PostgresResult
}

/// The pooled PostgreSQL client behind a Hyperdrive binding. The host owns its lifetime (it is opened when the dev
/// server starts and drained and closed when it stops); workers only run queries.
public protocol PostgresDriver: PostgresQuerying {
    /// Runs `body` on one connection inside `BEGIN` … `COMMIT`; any error thrown by `body` rolls back and is rethrown.
    func withTransaction<T: Sendable>(_ body: @escaping @Sendable (any PostgresQuerying) async throws -> T) async throws -> T
}

extension PostgresQuerying {
    /// Runs a statement without parameters.
    public func query(_ sql: String) async throws(PostgresDriverError) -> PostgresResult {
        try await self.query(sql, [])
    }
}

/// A Hyperdrive binding (`env.HYPERDRIVE`): the connection details a Workers script sees, plus a pooled client.
///
/// Locally, ``host`` and ``port`` name a forwarder on `127.0.0.1` that relays to the configured database (doing TLS
/// when its `sslmode` asks for it), so a client a worker brings itself can use ``connectionString``. Swift workers
/// normally use ``driver`` (or the ``query(_:_:)`` shortcut), the host's connection pool.
public struct Hyperdrive: Sendable, PostgresQuerying {
    /// `<scheme>://<user>:<password>@<host>:<port>/<database>?sslmode=disable` (user, password and database
    /// percent-encoded).
    public var connectionString: String
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var database: String
    /// The forwarder's address (always `127.0.0.1` locally).
    public var ip: String
    /// The pooled client.
    public var driver: any PostgresDriver

    public init(
        connectionString: String,
        host: String,
        port: Int,
        user: String,
        password: String,
        database: String,
        ip: String? = nil,
        driver: any PostgresDriver
    ) {
        self.connectionString = connectionString
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.ip = ip ?? host
        self.driver = driver
    }

    public func query(_ sql: String, _ bindings: [PostgresValue]) async throws(PostgresDriverError) -> PostgresResult {
        try await self.driver.query(sql, bindings)
    }

    /// See ``PostgresDriver/withTransaction(_:)``.
    public func withTransaction<T: Sendable>(_ body: @escaping @Sendable (any PostgresQuerying) async throws -> T) async throws -> T {
        try await self.driver.withTransaction(body)
    }
}
