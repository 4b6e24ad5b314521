import Flarelet
import FlareletD1
import FlareletTesting
import Foundation
import Logging
import RuntWorker
import Testing

/// Shared values and helpers of the Runt tests.
enum Runt {
    /// The spec's deterministic test key: seed 32 × 0x07.
    static let seed = [UInt8](repeating: 0x07, count: 32)
    static let publicKey = "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
    /// The spec's signature of ``readmeMessage``.
    static let readmeSignature =
        "ac43377bfb9dc18872ff8f338fb3c0d72a2b7916cd87d07e1278e740333533319a757e92a235598028faf4ad0ed22ecb00d456447e788b0845a39594a5b91409"
    /// `JSON.stringify` of the seed README's example events (143 bytes).
    static let readmeMessage =
        #"[{"event_type":"auto_launch","data":{"runtime":"python","success":true,"prewarmed":true,"duration_ms":150},"timestamp":"2024-02-16T12:00:00Z"}]"#
    /// A second install.
    static let otherSeed = [UInt8](repeating: 0x09, count: 32)

    /// The seed README's example `events`.
    static var readmeEvents: JSONValue {
        [
            [
                "event_type": "auto_launch",
                "data": ["runtime": "python", "success": true, "prewarmed": true, "duration_ms": 150],
                "timestamp": "2024-02-16T12:00:00Z",
            ]
        ]
    }

    /// The README's example request body, with the spec's public key and signature.
    static var readmeBody: JSONValue {
        ["public_key": .string(publicKey), "signature": .string(readmeSignature), "events": readmeEvents]
    }

    /// The repository root, found from this file's path.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static var fixturesFolder: URL { repositoryRoot.appendingPathComponent("fixtures/runt") }

    /// Applies `workers/runt/schema.sql` (split into statements, run as one batch).
    static func applySchema(to database: any D1Database) async throws {
        let url = repositoryRoot.appendingPathComponent("workers/runt/schema.sql")
        let schema = try String(contentsOf: url, encoding: .utf8)
        let statements = SQLSplitter.split(schema).map { D1Query(sql: $0) }
        _ = try await database.batch(queries: statements)
    }

    /// A fresh `:memory:` database with the schema, behind a harness running ``RuntWorker``.
    static func harness(clock: TestClock = TestClock(), logs: LogCapture? = nil) async throws -> WorkerHarness {
        let database = try SQLiteD1Database(path: ":memory:")
        try await applySchema(to: database)
        let logger = (logs ?? LogCapture()).logger(label: "runt.test")
        let env = Env(d1Databases: ["DB": database], clock: clock, logger: logger)
        return WorkerHarness(worker: RuntWorker(), env: env)
    }

    /// A body signed with `seed` (default: the test key) over `JSON.stringify(events)`.
    static func signed(_ events: JSONValue, seed: [UInt8] = Runt.seed) throws -> JSONValue {
        try RuntSigner.signedBody(seed: seed, events: events)
    }

    /// `body` with `key` replaced (or added at the end).
    static func replacing(_ key: String, with value: JSONValue?, in body: JSONValue) -> JSONValue {
        var object = body.objectValue ?? JSONObject()
        object[key] = value
        return .object(object)
    }

    /// `count` distinct events of `type`, one second apart from 2024-03-01T00:00:00.000Z.
    static func events(_ count: Int, type: String) -> JSONValue {
        .array(
            (0..<count).map { index in
                let time = Date(timeIntervalSince1970: 1_709_251_200 + Double(index))
                return ["event_type": .string(type), "data": ["index": .number(Double(index))], "timestamp": .string(time.isoString)]
            }
        )
    }
}

extension WorkerHarness {
    /// POSTs a raw text body to `/telemetry`.
    func postTelemetry(_ body: String, path: String = "/telemetry") async -> WorkerResponse {
        await self.fetch("POST", path, headers: ["Content-Type": "application/json"], body: body)
    }

    /// POSTs `JSON.stringify(body)` to `/telemetry`.
    func postTelemetry(_ body: JSONValue) async -> WorkerResponse {
        await self.postTelemetry(body.stringify())
    }

    var database: any D1Database {
        get throws { try self.env.d1("DB") }
    }

    /// The rows of `sql` as JSON objects.
    func rows(_ sql: String, _ params: [JSONValue] = []) async throws -> JSONValue {
        let result = try await self.database.prepare(sql).bind(javaScript: params.map { $0 }).all()
        return .array(result.results.map { .object($0.object) })
    }

    /// Every stored event (without `id`), oldest first.
    func storedEvents() async throws -> JSONValue {
        try await self.rows("SELECT install_id, event_type, event_data, created_at FROM events ORDER BY id")
    }

    func eventCount() async throws -> Int {
        let rows = try await self.rows("SELECT COUNT(*) AS n FROM events")
        return Int(rows.arrayValue?.first?["n"]?.doubleValue ?? -1)
    }
}

/// Expects `response` to be a JSON answer with exactly `body`, `status` and the four headers.
func expectJSON(
    _ response: WorkerResponse,
    status: Int,
    _ body: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.text == body, sourceLocation: sourceLocation)
    let headers = response.headers.fields.map { "\($0.name): \($0.value)" }
    #expect(
        headers == [
            "Content-Type: application/json",
            "Access-Control-Allow-Origin: *",
            "Access-Control-Allow-Methods: POST, OPTIONS",
            "Access-Control-Allow-Headers: Content-Type",
        ],
        sourceLocation: sourceLocation
    )
}

/// Expects `actual` to match `expected` with ``JSONMatcher`` (key order checked, numbers by value).
func expectMatch(_ actual: JSONValue, _ expected: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
    let mismatch = JSONMatcher.mismatch(expected: expected, actual: actual, path: "$")
    #expect(mismatch == nil, "\(mismatch ?? "")", sourceLocation: sourceLocation)
}

let internalError = #"{"error":"Internal error"}"#
let missingFields = #"{"error":"Missing required fields"}"#
let invalidPublicKey = #"{"error":"Invalid public key format"}"#
let invalidSignature = #"{"error":"Invalid signature"}"#
let tooManyEvents = #"{"error":"Too many events (max 100)"}"#
