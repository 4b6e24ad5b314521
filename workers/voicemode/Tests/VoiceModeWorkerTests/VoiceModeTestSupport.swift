import Flarelet
import FlareletD1
import FlareletTesting
import Foundation
import Logging
import Testing
import VoiceModeWorker

/// The four CORS headers, in the worker's order.
let corsFields: [(String, String)] = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type"),
    ("Access-Control-Max-Age", "86400"),
]

/// The exact header list of a JSON answer.
let jsonHeaders = Headers([("Content-Type", "application/json")] + corsFields)
/// The exact header list of a 429 answer.
let rateLimitHeaders = Headers([("Content-Type", "application/json"), ("Retry-After", "3600")] + corsFields)
/// The exact header list of the 404 answer (the runtime adds the string body's Content-Type after the CORS headers).
let notFoundHeaders = Headers(corsFields + [("Content-Type", "text/plain;charset=UTF-8")])

/// 2026-01-01T00:00:00.000Z, the `TestClock` default.
let startDate = Date(timeIntervalSince1970: 1_767_225_600)

/// A worker on fresh bindings (``withWorker``: `:memory:` D1 with `schema.sql`, in-memory KV, a test clock), with
/// VoiceMode's request helpers.
struct VoiceModeFixture: Sendable {
    let clock: TestClock
    let harness: WorkerHarness
    let database: any D1Database
    let kv: any KVNamespace

    init(clock: TestClock, harness: WorkerHarness) throws {
        self.clock = clock
        self.harness = harness
        self.database = try harness.d1()
        self.kv = try harness.kv()
    }

    var env: Env { self.harness.env }
    var logs: LogCapture { self.harness.logs }

    /// Applies VoiceMode's `schema.sql` (at the repository root) again.
    static func applySchema(to database: any D1Database) async throws {
        try await TestFiles.applySchema(try TestFiles.path("schema.sql"), to: database)
    }

    /// POSTs `payload` to `/telemetry` from `ip` (no `CF-Connecting-IP` header when `ip` is `nil`).
    func post(_ payload: JSONValue, ip: String? = "198.51.100.7", path: String = "/telemetry") async -> WorkerResponse {
        var headers: Headers = ["Content-Type": "application/json", "User-Agent": "VoiceMode/1.0.0"]
        if let ip { headers["CF-Connecting-IP"] = ip }
        return await self.harness.post(path, json: payload, headers: headers)
    }

    /// POSTs a raw body.
    func post(body: String, ip: String = "198.51.100.7") async -> WorkerResponse {
        await self.harness.fetch("POST", "/telemetry", headers: ["Content-Type": "application/json", "CF-Connecting-IP": ip], body: body)
    }

    /// Rows of `sql` as objects.
    func rows(_ sql: String, _ bindings: D1Value...) async throws -> [JSONObject] {
        try await self.database.prepare(sql).bind(bindings).all().results.map(\.object)
    }

    /// `SELECT COUNT(*)` of `events`, optionally filtered.
    func eventCount(where condition: String = "1 = 1", _ bindings: D1Value...) async throws -> Int {
        let row = try await self.database.prepare("SELECT COUNT(*) AS n FROM events WHERE \(condition)").bind(bindings).first()
        return try #require(row).int("n")
    }

    /// A KV value as text, or `nil`.
    func kvValue(_ key: String) async throws -> String? {
        try await self.kv.get(key)
    }
}

/// Runs `body` with a fresh fixture whose clock starts at `now`.
func withVoiceMode<T>(now: Date = startDate, _ body: (VoiceModeFixture) async throws -> T) async throws -> T {
    let clock = TestClock(now)
    return try await withWorker(VoiceModeWorker(), d1: ["DB": "schema.sql"], kv: ["KV"], clock: clock) { harness async throws in
        try await body(try VoiceModeFixture(clock: clock, harness: harness))
    }
}

/// The seed README's example environment, keys in its order.
let seedEnvironment: JSONValue = [
    "os": "Linux", "version": "1.0.0", "installation_method": "uv", "mcp_host": "claude-code", "execution_source": "mcp",
]

/// The seed README's example usage, keys in its order.
let seedUsage: JSONValue = [
    "total_sessions": 5,
    "duration_distribution": ["1-5min": 3, "5-10min": 2],
    "transport_usage": ["local": 4, "livekit": 1],
    "provider_usage": ["tts": ["openai": 3, "kokoro": 2], "stt": ["whisper-local": 5]],
]

/// A fresh lower-case UUID string.
func newTelemetryID() -> String { UUID().uuidString.lowercased() }

/// A valid event (seed example shape) with its fields overridable; `nil` values of `overrides` delete a field.
func payload(
    eventID: String = UUID().uuidString.lowercased(),
    telemetryID: String = "550e8400-e29b-41d4-a716-446655440000",
    timestamp: String = "2025-12-31T23:00:00Z",
    environment: JSONValue = seedEnvironment,
    usage: JSONValue = seedUsage,
    overrides: [(String, JSONValue?)] = []
) -> JSONValue {
    var object: JSONObject = [
        "event_id": .string(eventID),
        "telemetry_id": .string(telemetryID),
        "timestamp": .string(timestamp),
        "environment": environment,
        "usage": usage,
    ]
    for (key, value) in overrides { object[key] = value }
    return .object(object)
}

/// The response body parsed as JSON (`.null` if it is not JSON).
func bodyJSON(_ response: WorkerResponse) -> JSONValue {
    (try? JSONValue.parse(response.body)) ?? .null
}

/// The 400 body for `message`.
func errorBody(_ message: String) -> String {
    JSONValue.object(["error": .string(message)]).stringify()
}

/// The 200 body of an accepted event.
func acceptedBody(_ eventID: String) -> String {
    JSONValue.object(["status": "ok", "event_id": .string(eventID)]).stringify()
}

let alreadyRecordedBody = #"{"status":"ok","message":"Event already recorded"}"#
let idLimitBody = #"{"error":"Rate limit exceeded for telemetry ID","retry_after":3600}"#
let ipLimitBody = #"{"error":"Rate limit exceeded for IP address","retry_after":3600}"#
