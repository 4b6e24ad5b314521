import Flarelet
import FlareletD1
import FlareletPostgres
import FlareletTesting
import Foundation
import Testing

@testable import TelemetryKitWorker

/// The two storage modes of the worker: the binding `DB` as D1 (SQLite) or as Hyperdrive (a real PostgreSQL).
enum Storage: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case d1
    case postgres

    var testDescription: String { self.rawValue }
}

/// Shared setup: an in-memory D1 database with `workers/telemetry-kit/schema.sql`, a test clock and signing helpers.
enum TK {
    /// The package root, found from this file's location.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    static var fixturesFolder: String {
        self.repositoryRoot.appendingPathComponent("fixtures/telemetry-kit").path
    }

    // MARK: The development seed token (spec 10.4)

    static let orgID = "550e8400-e29b-41d4-a716-446655440000"
    static let appID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    static let token = "tk_550e8400e29b41d4a716446655440000_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
    static let secret = "9f4b3c2a1e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0"
    static var ingestPath: String { "/v1/ingest/\(self.orgID)/\(self.appID)" }

    /// 2026-01-01T00:00:00Z, the default `TestClock` start.
    static let nowSeconds: Int64 = 1_767_225_600

    static func schemaQueries() throws -> [D1Query] {
        let url = self.repositoryRoot.appendingPathComponent("workers/telemetry-kit/schema.sql")
        return SQLSplitter.split(try String(contentsOf: url, encoding: .utf8)).map { D1Query(sql: $0) }
    }

    /// A harness with `DB` bound to a fresh `:memory:` database holding the schema (and the seed token).
    static func makeHarness(clock: TestClock = TestClock(), withDatabase: Bool = true) async throws -> WorkerHarness {
        var databases: [String: any D1Database] = [:]
        if withDatabase {
            let database = try SQLiteD1Database(path: ":memory:")
            _ = try await database.batch(queries: try self.schemaQueries())
            databases["DB"] = database
        }
        return WorkerHarness(worker: TelemetryKitWorker(), env: Env(d1Databases: databases, clock: clock))
    }

    /// A harness on `storage`; for PostgreSQL a fresh database with the schema already applied (skipped, with the
    /// reason printed, where no PostgreSQL server can be started).
    static func withHarness<T: Sendable>(
        _ storage: Storage,
        clock: TestClock = TestClock(),
        _ body: (WorkerHarness) async throws -> T
    ) async throws -> T {
        switch storage {
        case .d1:
            return try await body(self.makeHarness(clock: clock))
        case .postgres:
            return try await TKPostgres.withPool { pool in
                let hyperdrive = Hyperdrive.testing(pool)
                try await TelemetryKitSchema.apply(to: hyperdrive)
                return try await body(WorkerHarness(worker: TelemetryKitWorker(), env: Env(hyperdrives: ["DB": hyperdrive], clock: clock)))
            }
        }
    }

    /// Rows of `sql` (SQLite syntax with `?` placeholders; numbered for PostgreSQL) from whichever binding `DB` is.
    static func rows(_ harness: WorkerHarness, _ sql: String, _ bindings: D1Value...) async throws -> [JSONObject] {
        if let hyperdrive = harness.env.hyperdrives["DB"] {
            return try await hyperdrive.query(ContractSQL.numberPlaceholders(sql), bindings.map(self.postgres)).results.map(\.object)
        }
        return try await harness.env.d1("DB").prepare(sql).bind(bindings).all().results.map(\.object)
    }

    static func run(_ harness: WorkerHarness, _ sql: String, _ bindings: D1Value...) async throws {
        if let hyperdrive = harness.env.hyperdrives["DB"] {
            _ = try await hyperdrive.query(ContractSQL.numberPlaceholders(sql), bindings.map(self.postgres))
            return
        }
        _ = try await harness.env.d1("DB").prepare(sql).bind(bindings).run()
    }

    static func postgres(_ value: D1Value) -> PostgresValue {
        switch value {
        case .null: .null
        case .integer(let number): .integer(number)
        case .real(let number): .double(number)
        case .text(let text): .text(text)
        case .blob(let bytes): .bytes(bytes)
        }
    }

    static func eventCount(_ harness: WorkerHarness) async throws -> Int64 {
        let rows = try await self.rows(harness, "SELECT COUNT(*) AS n FROM events")
        guard case .integer(let n)? = rows.first?["n"] else { return -1 }
        return n
    }

    // MARK: Requests

    /// Lowercase hex HMAC-SHA256(secret, `<timestamp>:<body>`), computed independently of the worker.
    static func sign(_ timestamp: String, _ body: String, secret: String = TK.secret) -> String {
        Hex.encode(Crypto.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp):\(body)".utf8)))
    }

    /// The four authentication headers for a correctly signed request at `timestamp` (default: now).
    static func signedHeaders(
        _ body: String,
        timestamp: String = String(TK.nowSeconds),
        token: String = TK.token,
        secret: String = TK.secret
    ) -> Headers {
        Headers([
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer \(token)"),
            ("X-Timestamp", timestamp),
            ("X-Signature", self.sign(timestamp, body, secret: secret)),
        ])
    }

    /// POSTs a correctly signed `body` to `path` with `extra` headers added.
    static func ingest(
        _ harness: WorkerHarness,
        _ body: String,
        path: String = TK.ingestPath,
        extra: [(String, String)] = []
    ) async -> WorkerResponse {
        var headers = self.signedHeaders(body)
        for (name, value) in extra { headers[name] = value }
        return await harness.fetch("POST", path, headers: headers, body: body)
    }

    // MARK: Bodies

    /// One event as compact JSON with the fields of spec section 8 (defaults: the spec's minimal event).
    static func event(
        id: String = UUID().uuidString.lowercased(),
        schemaVersion: String = "1.0.0",
        timestamp: String = "2025-01-01T00:00:00Z",
        service: String = #"{"name":"demo","version":"1.0.0","language":"rust"}"#,
        userID: String = "client_abc",
        sessionID: String? = nil,
        environment: String = #"{"os":"linux"}"#,
        event: String = #"{"type":"command_execution","data":{}}"#,
        metadata: String =
            #"{"sdk_version":"telemetry-kit-rust/0.1.0","transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":1,"retry_count":0}"#
    ) -> String {
        var text = #"{"schema_version":\#(self.quote(schemaVersion)),"event_id":\#(self.quote(id)),"timestamp":\#(self.quote(timestamp)),"#
        text += #""service":\#(service),"user_id":\#(self.quote(userID)),"#
        if let sessionID { text += #""session_id":\#(self.quote(sessionID)),"# }
        text += #""environment":\#(environment),"event":\#(event),"metadata":\#(metadata)}"#
        return text
    }

    static func batch(_ events: [String]) -> String {
        #"{"events":[\#(events.joined(separator: ","))]}"#
    }

    static func quote(_ text: String) -> String {
        JSONValue.string(text).stringify()
    }

    /// The spec's minimal event (section 8), verbatim.
    static let minimalBody =
        #"{"events":[{"schema_version":"1.0.0","event_id":"0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b","timestamp":"2025-01-01T00:00:00Z","service":{"name":"demo","version":"1.0.0","language":"rust"},"user_id":"client_abc","environment":{"os":"linux"},"event":{"type":"command_execution","data":{}},"metadata":{"sdk_version":"telemetry-kit-rust/0.1.0","transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":1,"retry_count":0}}]}"#

    /// `{"error":"<reason>","message":"<message>"}`.
    static func errorBody(_ reason: String, _ message: String) -> String {
        #"{"error":\#(self.quote(reason)),"message":\#(self.quote(message))}"#
    }

    static let vary = "origin, access-control-request-method, access-control-request-headers"
}

/// A real PostgreSQL for the `.postgres` storage mode.
enum TKPostgres {
    static let logger = Logger(label: "telemetry-kit-postgres-test") { _ in SwiftLogNoOpLogHandler() }

    /// The shared throwaway server, or a skip (a failure on CI) with the reason.
    static func server() async throws -> PostgresTestServer {
        do {
            return try await PostgresTestServer.shared()
        } catch {
            if PostgresTestServer.isRequired {
                Issue.record("PostgreSQL is required here (CI=true or FLARELET_REQUIRE_POSTGRES=1) but could not be started: \(error)")
                throw error
            }
            print("◇ Skipping: PostgreSQL unavailable: \(error)")
            try Test.cancel("PostgreSQL unavailable: \(error)")
        }
    }

    static func configuration(_ server: PostgresTestServer, database: String) -> PostgresPoolConfiguration {
        PostgresPoolConfiguration(
            host: server.host,
            port: server.port,
            user: server.user,
            password: server.password,
            database: database,
            leaseTimeout: .seconds(15),
            connectTimeout: .seconds(10)
        )
    }

    /// A running pool on a fresh database.
    static func withPool<T: Sendable>(_ body: (PostgresPool) async throws -> T) async throws -> T {
        let server = try await self.server()
        let database = try server.createDatabase(prefix: "tk")
        return try await PostgresPool.withRunning(self.configuration(server, database: database), logger: self.logger, body)
    }
}
