public import Flarelet

/// The Telemetry Kit ingestion server (`ibrahimcesar/telemetry-kit`, `server/`, a Rust/Axum service on
/// PostgreSQL), ported to a Flarelet worker on D1.
///
/// | request | answer |
/// | --- | --- |
/// | `OPTIONS` on any path | 200 CORS preflight, before routing |
/// | `GET` / `HEAD /health` | `{"status":"healthy","version":"0.1.0"}`, no database access |
/// | `POST /v1/ingest/:org_id/:app_id` | bearer token + HMAC-SHA256 authentication, then batch ingestion |
/// | a known path with another method | 405, empty body, `allow` header, no authentication |
/// | anything else | 404, empty body |
///
/// Every response carries `X-Clacks-Overhead: GNU Terry Pratchett`, `access-control-allow-origin: *` and the
/// `vary` header of the CORS layer. Storage goes through the binding `DB`: a D1 database (schema:
/// `workers/telemetry-kit/schema.sql`), or a Hyperdrive binding to PostgreSQL, where the worker applies the
/// upstream DDL itself on first use. Without it the worker refuses every request, as upstream refuses to start
/// without a database URL.
public struct TelemetryKitWorker: Worker {
    /// The wrangler `main` value this worker is registered under.
    public static let main = "telemetry-kit"
    /// The name of the D1 binding.
    public static let databaseBinding = "DB"
    /// The server crate's version, reported by `/health`.
    public static let version = "0.1.0"
    /// Largest accepted batch.
    public static let maxEventsPerBatch = 1000
    /// Largest accepted |now − X-Timestamp|, in seconds.
    public static let timestampWindowSeconds: Int64 = 600

    static let clacks = ("x-clacks-overhead", "GNU Terry Pratchett")
    static let vary = ("vary", "origin, access-control-request-method, access-control-request-headers")
    static let allowOrigin = ("access-control-allow-origin", "*")

    /// Whether the PostgreSQL schema has been applied (Hyperdrive mode only).
    let schema = SchemaGate()

    public init() {}

    /// The storage behind the binding `DB`: PostgreSQL when it is a Hyperdrive binding, else D1.
    func store(_ env: Env) throws(WorkerError) -> any TelemetryStore {
        if let hyperdrive = env.hyperdrives[Self.databaseBinding] {
            return PostgresTelemetryStore(database: hyperdrive, schema: self.schema)
        }
        return D1TelemetryStore(database: try env.d1(Self.databaseBinding))
    }

    public func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        let store = try self.store(env)
        if request.method == "OPTIONS" {
            return Self.preflight
        }
        let path = request.pathname
        if path == "/health" {
            switch request.method {
            case "GET": return Self.health
            case "HEAD":
                var response = Self.health
                response.body = []
                return response
            default: return Self.methodNotAllowed(allow: "GET,HEAD")
            }
        }
        guard let segments = Self.ingestSegments(path) else {
            return Self.finish(WorkerResponse(status: 404))
        }
        guard request.method == "POST" else {
            return Self.methodNotAllowed(allow: "POST")
        }
        let response = await self.ingest(request, segments: segments, store: store, env: env)
        return Self.finish(response)
    }

    /// The raw `org_id` and `app_id` segments of `/v1/ingest/:org_id/:app_id`, or `nil` for another path.
    static func ingestSegments(_ path: String) -> (org: Substring, app: Substring)? {
        let prefix = "/v1/ingest/"
        guard path.hasPrefix(prefix) else { return nil }
        let parts = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (parts[0], parts[1])
    }

    // MARK: Responses

    /// Adds the CORS and clacks headers every response carries (the clacks value replaces any earlier one).
    static func finish(_ response: WorkerResponse) -> WorkerResponse {
        var response = response
        response.headers[Self.allowOrigin.0] = Self.allowOrigin.1
        response.headers[Self.vary.0] = Self.vary.1
        response.headers[Self.clacks.0] = Self.clacks.1
        return response
    }

    static var preflight: WorkerResponse {
        let headers = Headers([
            Self.allowOrigin,
            ("access-control-allow-methods", "*"),
            ("access-control-allow-headers", "*"),
            Self.vary,
            Self.clacks,
        ])
        return WorkerResponse(status: 200, headers: headers)
    }

    static var health: WorkerResponse {
        var object = JSONObject()
        object["status"] = "healthy"
        object["version"] = .string(Self.version)
        return Self.json(.object(object), status: 200)
    }

    static func methodNotAllowed(allow: String) -> WorkerResponse {
        Self.finish(WorkerResponse(status: 405, headers: Headers([("allow", allow)])))
    }

    /// A compact JSON body with `content-type: application/json` and the common headers.
    static func json(_ value: JSONValue, status: Int) -> WorkerResponse {
        Self.finish(WorkerResponse(status: status, headers: Headers([("content-type", "application/json")]), body: Array(value.stringify().utf8)))
    }

    /// The standard error body `{"error":"<reason phrase>","message":"<text>"}`.
    static func error(_ status: Int, _ message: String) -> WorkerResponse {
        var object = JSONObject()
        object["error"] = .string(Self.reasonPhrase(status))
        object["message"] = .string(message)
        return Self.json(.object(object), status: status)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        default: "Internal Server Error"
        }
    }

    /// A header's value, or `nil` when it is absent or holds a byte outside visible ASCII (tab and 0x20–0x7E
    /// allowed), which the `http` crate's `to_str()` refuses.
    static func header(_ request: WorkerRequest, _ name: String) -> String? {
        guard let value = request.headers[name] else { return nil }
        let visible = value.unicodeScalars.allSatisfy { $0 == "\t" || ($0.value >= 0x20 && $0.value <= 0x7E) }
        return visible ? value : nil
    }
}
