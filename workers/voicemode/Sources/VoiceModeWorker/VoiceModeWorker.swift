import Flarelet
import Foundation
import Logging

/// The VoiceMode telemetry worker (upstream `mbailey/voicemode`, `cloudflare-worker/worker.js`), registered as
/// `main = "voicemode"`.
///
/// `POST …/telemetry` accepts one telemetry event: the body is parsed and validated (``TelemetryEvent``), a known
/// `event_id` is answered as already recorded, the KV counters `rate:id:<telemetry_id>` (10) and
/// `rate:ip:<ip hash>` (100) are checked, the event is inserted into the D1 table `events`, and both counters are
/// incremented with a TTL of 3600 s. `OPTIONS` on any path answers the CORS preflight; everything else is a 404.
/// The cron handler deletes events whose `created_at` is more than 90 days old. Bindings: D1 `DB`, KV `KV`.
///
/// ## Concurrency (better than upstream)
///
/// Upstream runs check → insert → increment without any atomicity, so concurrent requests overshoot both rate
/// limits, and two concurrent first submissions of one `event_id` make the second INSERT fail with a 500. This
/// port serialises that section, inside one process, per telemetry id, per IP hash and per `event_id`: an
/// in-process async keyed lock (an actor with a FIFO waiter queue per key, shared by every instance of this
/// worker in the process) is taken for the three keys in a fixed order (telemetry id, then IP hash, then event id,
/// so two requests can never wait on each other in a cycle) after validation and released when the answer is
/// known. So 64 concurrent requests for one telemetry id accept exactly 10 events and rate-limit the other 54, and
/// concurrent duplicates of one `event_id` store one row and are all answered 200. As a backstop against another
/// process racing on the same database, a UNIQUE/PRIMARY KEY failure of the INSERT on `events.event_id`
/// (SQLite extended code 1555, or the message `UNIQUE constraint failed: events.event_id`) is answered
/// `{"status":"ok","message":"Event already recorded"}` instead of a 500, without touching the counters.
/// Sequential behaviour is exactly upstream's.
public struct VoiceModeWorker: Worker {
    /// The wrangler `main` value this worker is registered under.
    public static let main = "voicemode"
    /// One line for worker listings.
    public static let summary = "VoiceMode telemetry endpoint (POST /telemetry, D1 DB, KV KV, daily retention cron)"
    /// `RATE_LIMIT_WINDOW`: the TTL of a rate-limit counter and the `Retry-After` value, in seconds.
    public static let rateLimitWindow: Int64 = 3600
    /// `ID_RATE_LIMIT`: accepted events per telemetry id while its counter lives.
    public static let idRateLimit = 10
    /// `IP_RATE_LIMIT`: accepted events per client IP while its counter lives.
    public static let ipRateLimit = 100
    /// `EVENT_RETENTION_DAYS`.
    public static let eventRetentionDays = 90

    /// The idempotency lookup.
    public static let selectEventSQL = "SELECT event_id FROM events WHERE event_id = ? LIMIT 1"
    /// The insert, with its upstream column order.
    public static let insertEventSQL =
        "INSERT INTO events (event_id, telemetry_id, timestamp, environment, usage, client_ip_hash, created_at) "
        + "VALUES (?, ?, ?, ?, ?, ?, ?)"
    /// The retention statement run by the cron handler.
    public static let cleanupSQL = "DELETE FROM events WHERE created_at < ?"

    /// The four CORS headers sent on every response, in upstream order.
    public static let corsHeaders: [(String, String)] = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "POST, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type"),
        ("Access-Control-Max-Age", "86400"),
    ]

    private let locks: KeyedLock

    /// A worker that shares the process-wide lock table with every other instance.
    public init() {
        self.locks = KeyedLock.shared
    }

    /// Registers the worker in `registry` under ``main``.
    public static func register(in registry: inout WorkerRegistry) {
        registry.register(main: Self.main, summary: Self.summary) { VoiceModeWorker() }
    }

    public var hasScheduledHandler: Bool { true }

    // MARK: fetch

    public func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        if request.method == "OPTIONS" {
            return WorkerResponse(status: 204, headers: Headers(Self.corsHeaders))
        }
        guard request.method == "POST", Self.endsWithTelemetry(request.url) else {
            return .text("Not Found", status: 404, headers: Headers(Self.corsHeaders))
        }
        do {
            return try await self.handleTelemetry(request, env: env)
        } catch {
            env.logger.error("Error processing telemetry: \(error)")
            return Self.jsonResponse(["error": "Internal server error", "message": .string("\(error)")], status: 500)
        }
    }

    /// Steps 1 to 9 of the POST handler; every thrown error becomes the 500 answer.
    private func handleTelemetry(_ request: WorkerRequest, env: Env) async throws -> WorkerResponse {
        let payload = try request.json()
        let event: TelemetryEvent
        do {
            event = try TelemetryEvent(payload: payload, now: env.clock.now())
        } catch {
            return Self.jsonResponse(["error": .string(error.message)], status: 400)
        }
        // `request.headers.get('CF-Connecting-IP') || 'unknown'`: repeated fields joined with ", ", each byte of the
        // value one character (Latin-1), absent or empty → `unknown`.
        let header = request.headers.get("CF-Connecting-IP") ?? ""
        let clientIP = header.isEmpty ? "unknown" : header
        let ipHash = Self.ipHash(clientIP)
        let keys = ["id:" + event.telemetryID.string, "ip:" + ipHash, "event:" + event.eventID.string]
        return try await self.locks.withLocks(keys) {
            try await self.record(event, ipHash: ipHash, env: env)
        }
    }

    /// Idempotency check, both rate limits, insert and counter increments (steps 4 to 9).
    private func record(_ event: TelemetryEvent, ipHash: String, env: Env) async throws -> WorkerResponse {
        let database = try env.d1("DB")
        if try await database.prepare(Self.selectEventSQL).bind(.text(event.eventID.string)).first() != nil {
            return Self.alreadyRecorded
        }
        let kv = try env.kv("KV")
        let idKey = "rate:id:" + event.telemetryID.string
        let ipKey = "rate:ip:" + ipHash
        if try await Self.isRateLimited(kv, key: idKey, limit: Self.idRateLimit) {
            return Self.rateLimited("Rate limit exceeded for telemetry ID")
        }
        if try await Self.isRateLimited(kv, key: ipKey, limit: Self.ipRateLimit) {
            return Self.rateLimited("Rate limit exceeded for IP address")
        }
        let insert = database.prepare(Self.insertEventSQL).bind(
            .text(event.eventID.string),
            .text(event.telemetryID.string),
            .text(event.timestamp.string),
            .text(event.environment.stringify()),
            .text(event.usage.stringify()),
            .text(ipHash),
            .text(env.clock.now().isoString)
        )
        do {
            _ = try await insert.run()
        } catch let error where Self.isDuplicateEventID(error) {
            return Self.alreadyRecorded
        }
        // Both counters are written at once, so they share one durable KV commit instead of waiting for two in a
        // row. This request holds both keys' locks, so nothing else can change them meanwhile; upstream writes the
        // id counter, then the IP counter, which a caller can only tell apart when a KV write fails (500 either way).
        try await Self.incrementRateLimits(kv, keys: idKey, ipKey)
        return Self.jsonResponse(["status": "ok", "event_id": .string(event.eventID)], status: 200)
    }

    // MARK: scheduled

    /// Deletes events whose `created_at` is older than now − 90 × 86 400 s; errors are logged, never rethrown.
    public func scheduled(_ controller: ScheduledController, env: Env, ctx: ExecutionContext) async throws {
        let cutoff = Self.retentionCutoff(now: env.clock.now())
        do {
            let database = try env.d1("DB")
            _ = try await database.prepare(Self.cleanupSQL).bind(.text(cutoff)).run()
            env.logger.info("Cleaned up events older than \(Self.eventRetentionDays) days")
        } catch {
            env.logger.error("Error during cleanup: \(error)")
        }
    }

    /// The cleanup cutoff for `now`: `now − 90 × 86 400 s` as a JavaScript ISO string.
    public static func retentionCutoff(now: Date) -> String {
        Date(epochMilliseconds: now.epochMilliseconds - Int64(Self.eventRetentionDays) * 86_400_000).isoString
    }

    // MARK: Helpers

    /// The client IP hash: SHA-256 of the UTF-8 bytes, lower-case hex, first 16 characters.
    public static func ipHash(_ ip: String) -> String {
        String(Crypto.sha256Hex(ip).prefix(16))
    }

    /// Whether the full URL string ends with `/telemetry` (byte comparison, like `String.prototype.endsWith`).
    static func endsWithTelemetry(_ url: String) -> Bool {
        let suffix = Array("/telemetry".utf8)
        let bytes = Array(url.utf8)
        return bytes.count >= suffix.count && Array(bytes[(bytes.count - suffix.count)...]) == suffix
    }

    /// `checkRateLimit`: limited when the counter exists, is non-empty and `parseInt` of it is at least `limit`.
    private static func isRateLimited(_ kv: any KVNamespace, key: String, limit: Int) async throws(KVError) -> Bool {
        guard let count = try await kv.get(key), !count.isEmpty else { return false }
        return JavaScript.parseInt(count) >= Double(limit)
    }

    /// `incrementRateLimit`: writes `parseInt(current) + 1` (or `1`) with the window as TTL.
    private static func incrementRateLimit(_ kv: any KVNamespace, key: String) async throws(KVError) {
        let current = try await kv.get(key)
        let next: Double
        if let current, !current.isEmpty {
            next = JavaScript.parseInt(current) + 1
        } else {
            next = 1
        }
        try await kv.put(key, JavaScript.numberToString(next), options: KVPutOptions(expirationTtl: Self.rateLimitWindow))
    }

    /// Both counter increments at once; the first error is thrown after both writes ended.
    private static func incrementRateLimits(_ kv: any KVNamespace, keys first: String, _ second: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Self.incrementRateLimit(kv, key: first) }
            group.addTask { try await Self.incrementRateLimit(kv, key: second) }
            try await group.waitForAll()
        }
    }

    /// Whether an INSERT failed because the `event_id` is already stored.
    static func isDuplicateEventID(_ error: D1Error) -> Bool {
        error.sqliteCode == 1555 || error.message.contains("UNIQUE constraint failed: events.event_id")
    }

    private static var alreadyRecorded: WorkerResponse {
        Self.jsonResponse(["status": "ok", "message": "Event already recorded"], status: 200)
    }

    private static func rateLimited(_ message: String) -> WorkerResponse {
        Self.jsonResponse(
            ["error": .string(message), "retry_after": .number(Double(Self.rateLimitWindow))],
            status: 429,
            retryAfter: true
        )
    }

    /// A compact JSON body with `Content-Type: application/json`, optionally `Retry-After`, and the CORS headers.
    private static func jsonResponse(_ object: JSONObject, status: Int, retryAfter: Bool = false) -> WorkerResponse {
        var headers = Headers([("Content-Type", "application/json")])
        if retryAfter { headers.append("Retry-After", String(Self.rateLimitWindow)) }
        for (name, value) in Self.corsHeaders { headers.append(name, value) }
        return .json(.object(object), status: status, headers: headers)
    }
}
