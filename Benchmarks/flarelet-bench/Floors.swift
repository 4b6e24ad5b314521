import CSQLite
import FlareletCrypto
import Foundation

/// The floors the worker figures are compared with: what the storage and the crypto can do with nothing in front
/// of them, measured in this run on this machine.
enum Floors {
    struct Schema {
        var name: String
        var schemaFile: String
        var insertSQL: String
        /// Binds row `n` to the insert.
        var bind: (OpaquePointer, Int) -> Void
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func text(_ statement: OpaquePointer, _ index: Int32, _ value: String) {
        sqlite3_bind_text(statement, index, value, -1, transient)
    }

    /// The insert each worker runs per event, on its own schema.
    static func schemas(root: String) -> [Schema] {
        let now = "2026-12-03T10:00:00.000Z"
        return [
            Schema(
                name: "voicemode",
                schemaFile: root + "/schema.sql",
                insertSQL:
                    "INSERT INTO events (event_id, telemetry_id, timestamp, environment, usage, client_ip_hash, created_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)",
                bind: { s, n in
                    text(s, 1, Requests.uuid(n, salt: 1))
                    text(s, 2, Requests.uuid(n, salt: 2))
                    text(s, 3, now)
                    text(s, 4, #"{"os":"Linux","version":"1.0.0","installation_method":"uv","mcp_host":"claude-code","execution_source":"mcp"}"#)
                    text(s, 5, #"{"total_sessions":5,"duration_distribution":{"1-5min":3,"5-10min":2}}"#)
                    text(s, 6, String(format: "%016x", n))
                    text(s, 7, now)
                }
            ),
            Schema(
                name: "runt",
                schemaFile: root + "/workers/runt/schema.sql",
                insertSQL: "INSERT OR IGNORE INTO events (install_id, event_type, event_data, created_at) VALUES (?, ?, ?, ?)",
                bind: { s, n in
                    text(s, 1, "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c")
                    text(s, 2, "auto_launch")
                    text(s, 3, #"{"runtime":"python","success":true,"duration_ms":150}"#)
                    text(s, 4, "2026-12-03T10:00:00.\(n)Z")
                }
            ),
            Schema(
                name: "drift",
                schemaFile: root + "/workers/drift/schema.sql",
                insertSQL:
                    "INSERT INTO events (type, timestamp, installation_id, drift_version, payload, created_at) "
                    + "VALUES (?, ?, ?, ?, ?, datetime('now'))",
                bind: { s, n in
                    text(s, 1, "user_action")
                    text(s, 2, now)
                    text(s, 3, Requests.uuid(n % 100, salt: 3))
                    text(s, 4, "0.9.0")
                    text(s, 5, #"{"language":"swift","category":"naming"}"#)
                }
            ),
            Schema(
                name: "telemetry-kit",
                schemaFile: root + "/workers/telemetry-kit/schema.sql",
                insertSQL: """
                    INSERT INTO events (event_id, org_id, app_id, schema_version, timestamp, service_name, service_version, \
                    service_language, user_id, os, event_type, event_data, sdk_version, transmission_timestamp, batch_size, \
                    retry_count, received_at) VALUES (?, '550e8400-e29b-41d4-a716-446655440000', \
                    '7c9e6679-7425-40de-944b-e07fc1f90ae7', '1.0.0', ?, 'demo', '1.0.0', 'rust', 'client_abc', 'linux', \
                    'command_execution', '{}', 'telemetry-kit-rust/0.1.0', ?, 1, 0, ?)
                    """,
                bind: { s, n in
                    text(s, 1, Requests.uuid(n, salt: 4))
                    text(s, 2, now)
                    text(s, 3, now)
                    text(s, 4, now)
                }
            ),
            Schema(
                name: "minigem",
                schemaFile: root + "/workers/minigem/schema.sql",
                insertSQL:
                    "INSERT INTO telemetry_events (t, t_ms, anon, evt, os, ext, vscode, duration_ms, exit_code, session_id, m) "
                    + "VALUES (?, ?, ?, 'java.run.completed', 'linux', '1.0.0', '1.95.0', 1200, 0, ?, ?)",
                bind: { s, n in
                    text(s, 1, now)
                    sqlite3_bind_int64(s, 2, 1_796_292_000_000 + Int64(n))
                    text(s, 3, String(format: "%032x", n))
                    text(s, 4, "s\(n)")
                    text(s, 5, #"{"durationMs":1200,"exitCode":0}"#)
                }
            ),
        ]
    }

    /// Rows per second inserted with `rowsPerTransaction` rows per `BEGIN IMMEDIATE … COMMIT`, on a fresh file
    /// database with the binding's pragmas (WAL, `synchronous=FULL`, foreign keys on), for `seconds`.
    static func sqliteRowsPerSecond(_ schema: Schema, rowsPerTransaction: Int, seconds: Double, directory: String) throws -> Double {
        let path = directory + "/floor-\(schema.name)-\(rowsPerTransaction).sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw BenchError("cannot open \(path)") }
        defer { sqlite3_close(db) }
        func exec(_ sql: String) throws {
            var message: UnsafeMutablePointer<CChar>?
            if sqlite3_exec(db, sql, nil, nil, &message) != SQLITE_OK {
                defer { sqlite3_free(message) }
                throw BenchError("\(schema.name): \(message.map { String(cString: $0) } ?? "error")")
            }
        }
        try exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
        try exec(try String(contentsOfFile: schema.schemaFile, encoding: .utf8))
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, schema.insertSQL, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw BenchError("\(schema.name): \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(statement) }
        var rows = 0
        let start = ContinuousClock.now
        while (ContinuousClock.now - start).seconds < seconds {
            try exec("BEGIN IMMEDIATE")
            for _ in 0..<rowsPerTransaction {
                schema.bind(statement, rows)
                guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError("\(schema.name): \(String(cString: sqlite3_errmsg(db)))") }
                sqlite3_reset(statement)
                rows += 1
            }
            try exec("COMMIT")
        }
        return Double(rows) / (ContinuousClock.now - start).seconds
    }

    /// libsodium Ed25519 verifications per second of a one-event Runt message, on one thread.
    static func verifiesPerSecond(seconds: Double) -> Double {
        let seed = [UInt8](repeating: 0x07, count: 32)
        guard let pair = Crypto.ed25519KeyPair(seed: seed) else { return 0 }
        let message = Array(
            #"[{"event_type":"auto_launch","data":{"runtime":"python","success":true,"duration_ms":150},"timestamp":"2024-02-16T12:00:00Z"}]"#
                .utf8
        )
        let signature = Crypto.ed25519Sign(secretKey: pair.secretKey, message: message)
        var count = 0
        let start = ContinuousClock.now
        while (ContinuousClock.now - start).seconds < seconds {
            for _ in 0..<100 where Crypto.ed25519Verify(publicKey: pair.publicKey, signature: signature, message: message) {
                count += 1
            }
        }
        return Double(count) / (ContinuousClock.now - start).seconds
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
