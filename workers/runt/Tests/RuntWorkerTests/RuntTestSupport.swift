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

    static var fixturesFolder: URL {
        get throws { URL(fileURLWithPath: try TestFiles.path("fixtures/runt")) }
    }

    /// Runs `body` with ``RuntWorker`` on a fresh `:memory:` database holding `workers/runt/schema.sql`.
    static func withHarness<T>(
        clock: TestClock = TestClock(),
        _ body: (WorkerHarness) async throws -> T
    ) async throws -> T {
        try await withWorker(RuntWorker(), d1: ["DB": "schema.sql"], clock: clock, body)
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

    /// The rows of `sql` as one JSON array of objects, parameters bound like JavaScript values.
    func jsonRows(_ sql: String, _ params: [JSONValue] = []) async throws -> JSONValue {
        let result = try await self.d1().prepare(sql).bind(javaScript: params.map { $0 }).all()
        return .array(result.results.map { .object($0.object) })
    }

    /// Every stored event (without `id`), oldest first.
    func storedEvents() async throws -> JSONValue {
        try await self.jsonRows("SELECT install_id, event_type, event_data, created_at FROM events ORDER BY id")
    }

    func eventCount() async throws -> Int {
        try await self.d1().prepare("SELECT COUNT(*) AS n FROM events").first(as: Int.self) ?? -1
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
