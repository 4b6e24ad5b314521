public import Flarelet

/// The Drift telemetry worker (`dadbodgeoff/drift`, `infrastructure/telemetry-worker/src/index.ts`), ported to Swift.
///
/// Routes (exact pathname and method; the query string is ignored):
///
/// | request | handler |
/// | --- | --- |
/// | `OPTIONS` on any path | 200, no body, the three CORS headers |
/// | `POST /v1/events` | stores a batch of up to 100 events and updates the daily aggregates |
/// | `GET /v1/health` | `{"status":"healthy","timestamp":…}`, no database access |
/// | `GET /v1/stats` | aggregate counts of the last 30 days |
/// | anything else | 404 `{"error":"Not found"}` |
///
/// Every response except the OPTIONS preflight is JSON with `Content-Type: application/json` and the CORS headers.
/// The only binding is the D1 database `DB`.
///
/// Upstream has no `scheduled` handler. Flarelet adds one (see
/// ``scheduled(_:env:ctx:)``) for the 90-day retention of raw events that upstream only documents as a manual
/// SQL command.
public struct DriftWorker: Worker {
    /// The wrangler `main` value this worker is registered under.
    public static let main = "drift"
    /// The name of the D1 binding.
    public static let databaseBinding = "DB"
    /// Largest accepted batch.
    public static let maxEventsPerBatch = 100
    /// Raw events older than this many days are deleted by the scheduled handler.
    public static let retentionDays = 90

    public init() {}

    /// The CORS headers of every response, in upstream order.
    static let corsHeaders: [(String, String)] = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type"),
    ]

    public func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        if request.method == "OPTIONS" {
            return WorkerResponse(status: 200, headers: Headers(Self.corsHeaders), body: [])
        }
        switch (request.method, request.pathname) {
        case ("POST", "/v1/events"):
            return await self.handleEvents(request, env: env)
        case ("GET", "/v1/health"):
            return Self.json(["status": "healthy", "timestamp": .string(env.clock.now().isoString)])
        case ("GET", "/v1/stats"):
            return await self.handleStats(env: env)
        default:
            return Self.json(["error": "Not found"], status: 404)
        }
    }

    /// A compact JSON response with `Content-Type: application/json` followed by the CORS headers.
    static func json(_ value: JSONValue, status: Int = 200) -> WorkerResponse {
        let headers = Headers([("Content-Type", "application/json")] + Self.corsHeaders)
        return WorkerResponse(status: status, headers: headers, body: Array(value.stringify().utf8))
    }

    /// The 500 answer to any exception in the events and stats handlers.
    static var internalError: WorkerResponse {
        Self.json(["error": "Internal server error"], status: 500)
    }
}
