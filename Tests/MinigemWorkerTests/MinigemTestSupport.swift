import Flarelet
import FlareletD1
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

/// Runs `body` with a fresh worker. `database: false` leaves the `DB` binding out.
func withMinigem<T>(
    vars: [String: String] = [:],
    database withDatabase: Bool = true,
    _ body: (Minigem) async throws -> T
) async throws -> T {
    let clock = TestClock()
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
