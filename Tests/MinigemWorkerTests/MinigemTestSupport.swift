import Flarelet
import FlareletD1
import FlareletPostgres
import FlareletTesting
import Foundation
import Logging
import Testing

@testable import MinigemWorker

/// The repository root, found from this file's path (`Tests/MinigemWorkerTests/<file>`).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// 2026-01-01T00:00:00.000Z, the `TestClock` default, in Unix milliseconds.
let startMilliseconds: Int64 = 1_767_225_600_000

/// The content type of every JSON answer.
let jsonType = "application/json; charset=utf-8"

/// A worker with a `:memory:` D1 database (with `workers/minigem/schema.sql` applied) and a test clock.
struct Minigem: Sendable {
    let clock: TestClock
    let database: SQLiteD1Database?
    var hyperdrive: Hyperdrive? = nil
    let harness: WorkerHarness

    /// Applies `workers/minigem/schema.sql`, split like `wrangler d1 execute --file`.
    static func applySchema(to database: any D1Database) async throws {
        let url = repositoryRoot.appendingPathComponent("workers/minigem/schema.sql")
        let schema = try String(contentsOf: url, encoding: .utf8)
        _ = try await database.batch(queries: SQLSplitter.split(schema).map { D1Query(sql: $0) })
    }

    /// `GET`/`HEAD`/... `path` from `ip` (sent as `X-Forwarded-For`; `CF-Connecting-IP` is always 127.0.0.1).
    func request(_ method: String, _ path: String, ip: String? = nil, headers: Headers = [:], body: String = "") async -> WorkerResponse {
        var headers = headers
        if headers["CF-Connecting-IP"] == nil { headers["CF-Connecting-IP"] = "127.0.0.1" }
        if let ip { headers["X-Forwarded-For"] = ip }
        return await self.harness.fetch(method, path, headers: headers, body: body)
    }

    /// `POST /t` with a JSON body.
    func ingest(_ payload: JSONValue, headers: Headers = [:], ip: String? = nil) async -> WorkerResponse {
        var headers = headers
        if headers["Content-Type"] == nil { headers["Content-Type"] = "application/json" }
        return await self.request("POST", "/t", ip: ip, headers: headers, body: payload.stringify())
    }

    /// Rows of `sql` as objects.
    func rows(_ sql: String, _ bindings: D1Value...) async throws -> [JSONObject] {
        if let hyperdrive {
            let values = bindings.map { value -> PostgresValue in
                switch value {
                case .null: .null
                case .integer(let number): .integer(number)
                case .real(let number): .double(number)
                case .text(let text): .text(text)
                case .blob(let bytes): .bytes(bytes)
                }
            }
            return try await hyperdrive.query(ContractSQL.numberPlaceholders(sql), values).results.map(\.object)
        }
        let database = try #require(self.database)
        return try await database.prepare(sql).bind(bindings).all().results.map(\.object)
    }

    /// Inserts an event row directly (for `/stats`), with `t_ms` and its ISO text.
    func insert(
        t: Int64,
        anon: String = "0123456789abcdef0123456789abcdef",
        evt: String,
        os: String? = nil,
        ext: String? = nil,
        vscode: String? = nil,
        country: String? = nil,
        duration: Int64? = nil,
        wait: Int64? = nil,
        exit: Int64? = nil,
        session: String? = nil,
        bucket: String? = nil,
        scanner: Bool? = nil,
        truncated: Bool? = nil,
        phase: String? = nil,
        hash: String? = nil,
        m: String? = nil
    ) async throws {
        if let hyperdrive {
            func text(_ value: String?) -> PostgresValue { value.map { .text($0) } ?? .null }
            func int(_ value: Int64?) -> PostgresValue { value.map { .integer($0) } ?? .null }
            func bool(_ value: Bool?) -> PostgresValue { value.map { .bool($0) } ?? .null }
            let sql =
                "INSERT INTO telemetry_events (t, anon, evt, os, ext, vscode, country, duration_ms, wait_ms_total, exit_code, "
                + "session_id, out_bytes_bucket, scanner_usage, truncated_output, error_phase, exception_hash, m) "
                + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
            _ = try await hyperdrive.query(
                sql,
                [
                    .timestamp(microseconds: t * 1000), .text(anon), .text(evt), text(os), text(ext), text(vscode), text(country),
                    int(duration), int(wait), int(exit), text(session), text(bucket), bool(scanner), bool(truncated), text(phase),
                    text(hash), text(m),
                ]
            )
            return
        }
        let database = try #require(self.database)
        func text(_ value: String?) -> D1Value { value.map { .text($0) } ?? .null }
        func int(_ value: Int64?) -> D1Value { value.map { .integer($0) } ?? .null }
        func bool(_ value: Bool?) -> D1Value { value.map { .integer($0 ? 1 : 0) } ?? .null }
        let sql =
            "INSERT INTO telemetry_events (t, t_ms, anon, evt, os, ext, vscode, country, duration_ms, wait_ms_total, exit_code, "
            + "session_id, out_bytes_bucket, scanner_usage, truncated_output, error_phase, exception_hash, m) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        _ = try await database.prepare(sql).bind([
            .text(Date(epochMilliseconds: t).isoString), .integer(t), .text(anon), .text(evt), text(os), text(ext), text(vscode),
            text(country), int(duration), int(wait), int(exit), text(session), text(bucket), bool(scanner), bool(truncated),
            text(phase), text(hash), text(m),
        ]).run()
    }
}

/// The two storage modes: the binding `DB` as D1 (SQLite) or as Hyperdrive (a real PostgreSQL).
enum Storage: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case d1
    case postgres

    var testDescription: String { self.rawValue }
}

/// Runs `body` with a fresh worker on `storage`. On PostgreSQL the database is new (named `databaseName`, or a fresh
/// unique name) and already holds the schema; where no PostgreSQL server can be started the test is skipped with the
/// reason (and fails on CI).
func withMinigem<T: Sendable>(
    storage: Storage,
    vars: [String: String] = [:],
    databaseName: String? = nil,
    clock: TestClock = TestClock(),
    _ body: (Minigem) async throws -> T
) async throws -> T {
    guard storage == .postgres else { return try await withMinigem(vars: vars, clock: clock, body) }
    let server: PostgresTestServer
    do {
        server = try await PostgresTestServer.shared()
    } catch {
        if PostgresTestServer.isRequired {
            Issue.record("PostgreSQL is required here (CI=true or FLARELET_REQUIRE_POSTGRES=1) but could not be started: \(error)")
            throw error
        }
        print("◇ Skipping: PostgreSQL unavailable: \(error)")
        try Test.cancel("PostgreSQL unavailable: \(error)")
    }
    let database: String
    if let databaseName {
        try server.createDatabase(databaseName)
        database = databaseName
    } else {
        database = try server.createDatabase(prefix: "minigem")
    }
    let configuration = PostgresPoolConfiguration(
        host: server.host,
        port: server.port,
        user: server.user,
        password: server.password,
        database: database,
        leaseTimeout: .seconds(15),
        connectTimeout: .seconds(10)
    )
    let logger = Logger(label: "minigem-test") { _ in SwiftLogNoOpLogHandler() }
    return try await PostgresPool.withRunning(configuration, logger: logger) { pool in
        let hyperdrive = Hyperdrive.testing(pool, user: server.user, password: server.password, database: database)
        try await MinigemPostgresSchema.apply(to: hyperdrive)
        let env = Env(vars: vars.mapValues { .text($0) }, hyperdrives: ["DB": hyperdrive], clock: clock, logger: logger)
        let minigem = Minigem(
            clock: clock,
            database: nil,
            hyperdrive: hyperdrive,
            harness: WorkerHarness(worker: MinigemWorker(), env: env)
        )
        return try await body(minigem)
    }
}

/// Runs `body` with a fresh worker. `database: false` leaves the `DB` binding out.
func withMinigem<T>(
    vars: [String: String] = [:],
    database withDatabase: Bool = true,
    clock: TestClock = TestClock(),
    _ body: (Minigem) async throws -> T
) async throws -> T {
    let database = withDatabase ? try SQLiteD1Database(path: ":memory:") : nil
    defer { database?.close() }
    if let database { try await Minigem.applySchema(to: database) }
    let env = Env(
        vars: vars.mapValues { .text($0) },
        d1Databases: database.map { ["DB": $0] } ?? [:],
        clock: clock,
        logger: Logger(label: "minigem-test") { _ in SwiftLogNoOpLogHandler() }
    )
    return try await body(Minigem(clock: clock, database: database, harness: WorkerHarness(worker: MinigemWorker(), env: env)))
}

/// A valid single event with overridable fields (`nil` deletes one).
func event(
    anon: String = "0123456789abcdef0123456789abcdef",
    evt: String = "test.ping",
    t: JSONValue = .number(Double(startMilliseconds)),
    _ overrides: [(String, JSONValue?)] = []
) -> JSONValue {
    var object: JSONObject = ["schema": "jwc.v1", "anon": .string(anon), "evt": .string(evt), "t": t]
    for (key, value) in overrides { object[key] = value }
    return .object(object)
}

/// The 200 body of `/t`.
func okBody(_ accepted: Int, _ skipped: Int) -> String {
    #"{"ok":true,"accepted":\#(accepted),"skipped":\#(skipped)}"#
}

/// The response body parsed as JSON.
func bodyJSON(_ response: WorkerResponse) throws -> JSONValue {
    try JSONValue.parse(response.body)
}
