// Drift benchmark: rows per second stored by `POST /v1/events` with 100-event batches through DriftWorker in-process
// (file-backed SQLite D1 in a temporary directory), against raw SQLite 100-row transactions on the same schema
// through the C API, measured in the same run.
//
//     swift run -c release DriftBenchmark [seconds-per-side]
//
// The worker side does what a request does: parse the JSON body, bind every event, one batch (transaction) for the
// inserts, a second batch for the daily_stats upserts, and serialise the response. The raw side only inserts.

import CSQLite
import DriftWorker
import Flarelet
import FlareletD1
import FlareletTesting
import Foundation

let secondsPerSide = CommandLine.arguments.dropFirst().first.flatMap(Double.init) ?? 8
let batchSize = 100

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("drift-benchmark-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

// The schema of record, read from the package (the benchmark runs from the package root with `swift run`).
let schemaURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("workers/drift/schema.sql")
let schema = try String(contentsOf: schemaURL, encoding: .utf8)

// MARK: Events

let types = ["pattern_signature", "scan_completion", "user_action", "aggregate_stats"]
let languages = ["typescript", "python", "go", "rust"]
let categories = ["api", "auth", "security", "errors", "logging"]

/// One batch of 100 client-shaped events (drift.md 9), with `installations` distinct installation ids.
func makeEvent(_ index: Int, installation: String) -> JSONValue {
    let type = types[index % types.count]
    var event = JSONObject([
        ("type", .string(type)),
        ("timestamp", .string(Date().isoString)),
        ("installationId", .string(installation)),
        ("driftVersion", "0.9.3"),
    ])
    switch type {
    case "pattern_signature":
        event["signatureHash"] = .string(String(format: "%016llx", UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        event["category"] = .string(categories[index % categories.count])
        event["confidence"] = 0.87
        event["locationCount"] = .number(Double(index % 40))
        event["outlierCount"] = .number(Double(index % 3))
        event["detectionMethod"] = "ast"
        event["language"] = .string(languages[index % languages.count])
    case "scan_completion":
        event["durationMs"] = .number(Double(1200 + index))
        event["filesScanned"] = 412
        event["newPatternsDiscovered"] = 3
        event["isIncremental"] = true
        event["workerCount"] = 4
    case "user_action":
        event["action"] = "approve"
        event["category"] = .string(categories[index % categories.count])
        event["confidenceAtAction"] = 0.91
        event["hoursSinceDiscovery"] = 26.5
        event["isBulkAction"] = false
    default:
        event["totalPatterns"] = 128
        event["patternsByStatus"] = ["discovered": 100, "approved": 20, "ignored": 8]
        event["languages"] = ["typescript", "python"]
        event["codebaseSizeTier"] = "medium"
    }
    return .object(event)
}

let installations = (0..<5).map { _ in UUID().uuidString.lowercased() }
let events = (0..<batchSize).map { makeEvent($0, installation: installations[$0 % installations.count]) }
let body = Array(JSONValue.object(JSONObject([("events", .array(events))])).stringify().utf8)

// MARK: Worker side

func measureWorker() async throws -> (rows: Int, seconds: Double) {
    let database = try SQLiteD1Database(path: directory.appendingPathComponent("worker.sqlite").path)
    _ = try await database.batch(queries: SQLSplitter.split(schema).map { D1Query(sql: $0) })
    let harness = WorkerHarness(worker: DriftWorker(), env: Env(d1Databases: ["DB": database]))
    let request = WorkerRequest(method: "POST", url: "http://localhost/v1/events", headers: ["Content-Type": "application/json"], body: body)
    for _ in 0..<5 {
        let response = await harness.fetch(request)
        guard response.status == 200 else { throw BenchmarkError("worker answered \(response.status): \(response.text)") }
    }
    let clock = ContinuousClock()
    let start = clock.now
    var rows = 0
    while (clock.now - start) < .seconds(secondsPerSide) {
        let response = await harness.fetch(request)
        guard response.status == 200 else { throw BenchmarkError("worker answered \(response.status): \(response.text)") }
        rows += batchSize
    }
    return (rows, (clock.now - start).seconds)
}

// MARK: Raw SQLite side

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func check(_ code: Int32, _ db: OpaquePointer?, _ what: String) throws {
    guard code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW else {
        throw BenchmarkError("\(what): \(String(cString: sqlite3_errmsg(db)))")
    }
}

func measureRaw() throws -> (rows: Int, seconds: Double) {
    // SQLITE_TRANSIENT: SQLite copies bound text.
    let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    var db: OpaquePointer?
    let path = directory.appendingPathComponent("raw.sqlite").path
    let opened = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
    defer { sqlite3_close_v2(db) }
    try check(opened, db, "open")
    // The same journal mode SQLiteD1Database uses for file databases.
    try check(sqlite3_exec(db, "PRAGMA journal_mode=WAL", nil, nil, nil), db, "journal_mode")
    try check(sqlite3_exec(db, schema, nil, nil, nil), db, "schema")
    var statement: OpaquePointer?
    let sql =
        "INSERT INTO events (type, timestamp, installation_id, drift_version, payload, created_at) "
        + "VALUES (?, ?, ?, ?, ?, datetime('now'))"
    try check(sqlite3_prepare_v2(db, sql, -1, &statement, nil), db, "prepare")
    defer { sqlite3_finalize(statement) }

    // The same column values the worker stores.
    let named: [JSString] = ["type", "timestamp", "installationId", "driftVersion"]
    let rows: [[String]] = events.map { event in
        var payload = JSONObject()
        for (key, value) in event.objectValue?.entries ?? [] where !named.contains(key) { payload[key] = value }
        return named.map { event[$0]?.stringValue ?? "" } + [JSONValue.object(payload).stringify()]
    }

    func transaction() throws {
        try check(sqlite3_exec(db, "BEGIN", nil, nil, nil), db, "BEGIN")
        for row in rows {
            for (index, value) in row.enumerated() {
                try check(sqlite3_bind_text(statement, Int32(index + 1), value, -1, transient), db, "bind")
            }
            try check(sqlite3_step(statement), db, "step")
            sqlite3_reset(statement)
        }
        try check(sqlite3_exec(db, "COMMIT", nil, nil, nil), db, "COMMIT")
    }

    for _ in 0..<5 { try transaction() }
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    while (clock.now - start) < .seconds(secondsPerSide) {
        try transaction()
        count += batchSize
    }
    return (count, (clock.now - start).seconds)
}

extension Duration {
    var seconds: Double {
        let parts = self.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

// MARK: Run

func format(_ value: Double) -> String { String(format: "%.0f", value) }

let worker = try await measureWorker()
let raw = try measureRaw()
let workerRate = Double(worker.rows) / worker.seconds
let rawRate = Double(raw.rows) / raw.seconds
print("Drift benchmark: batches of \(batchSize) events, file-backed SQLite, SQLite \(String(cString: sqlite3_libversion()))")
print("  DriftWorker POST /v1/events: \(format(workerRate)) rows/s (\(worker.rows) rows in \(String(format: "%.2f", worker.seconds)) s)")
print("  raw SQLite C API 100-row transactions: \(format(rawRate)) rows/s (\(raw.rows) rows in \(String(format: "%.2f", raw.seconds)) s)")
print("  ratio worker / raw: \(String(format: "%.3f", workerRate / rawRate)) (raw is \(String(format: "%.1f", rawRate / workerRate))x faster)")
