import Flarelet
import Foundation

/// The Minigem telemetry server (upstream `iteacher/minigem-telemetry`, a Fastify server), registered as
/// `main = "minigem"`.
///
/// Routes: `POST /t` ingests anonymous `jwc.v1` events (one, or a `batch`) into the D1 table
/// `telemetry_events`; `GET /health`, `GET /dbhealth`, `GET /stats` (aggregate statistics) and the four
/// `GET /debug/*` endpoints; `HEAD` on every GET route. The framework answers of Fastify are reproduced: the
/// 404 shape, the 65,536-byte body limit, JSON/plain-text media types, JSON parse errors. A per-IP fixed-window
/// rate limit (`RATE_LIMIT_MAX` per `RATE_LIMIT_TIME_WINDOW`, in memory, exact under concurrency) covers every
/// route. Binding `DB` ("database configured" means the binding is present): D1, or a Hyperdrive binding to
/// PostgreSQL (upstream's own schema, statistics computed in SQL); the schema is applied on the first request. No cron, no KV, no hashing (ids must already be 32 lowercase hex characters).
public struct MinigemWorker: Worker {
    /// The wrangler `main` value this worker is registered under.
    public static let main = "minigem"
    /// One line for worker listings.
    public static let summary = "Minigem telemetry (D1): POST /t, /health, /dbhealth, /stats, /debug/*"
    /// The D1 database name `/dbhealth` reports (the `database_name` of `workers/minigem/wrangler.toml`; a worker
    /// cannot see its binding's name).
    public static let databaseName = "minigem"
    /// The fixed body limit in bytes.
    public static let bodyLimit = 65_536
    /// The content type of every JSON answer.
    public static let jsonContentType = "application/json; charset=utf-8"

    private let limiter: RateLimiter
    private let startup: StartupGate

    /// A worker with its own (empty) rate-limit store.
    public init() {
        self.limiter = RateLimiter()
        self.startup = StartupGate()
    }

    /// Registers the worker in `registry` under ``main``.
    public static func register(in registry: inout WorkerRegistry) {
        registry.register(main: Self.main, summary: Self.summary) { MinigemWorker() }
    }

    enum Route {
        case health, dbhealth, stats, ingest, debugRecent, debugCounts, debugEnv, debugLogping

        init?(method: String, path: String) {
            if method == "POST" {
                guard path == "/t" else { return nil }
                self = .ingest
                return
            }
            guard method == "GET" || method == "HEAD" else { return nil }
            switch path {
            case "/health": self = .health
            case "/dbhealth": self = .dbhealth
            case "/stats": self = .stats
            case "/debug/recent": self = .debugRecent
            case "/debug/counts": self = .debugCounts
            case "/debug/env": self = .debugEnv
            case "/debug/logping": self = .debugLogping
            default: return nil
            }
        }
    }

    // MARK: fetch

    public func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        let database = MinigemDatabase(env: env)
        try await self.startup.ensure(database: database, logger: env.logger)
        let config = MinigemConfig(env: env)
        let url = Self.requestURL(request.url)
        let ip = Geo.requestIP(request.headers)
        let requestLog: JSONValue = ["method": .string(request.method), "url": .string(url), "ip": .string(ip)]
        env.logger.debug("req \(requestLog.stringify())")
        var response = await self.respond(request, url: url, ip: ip, config: config, database: database, env: env)
        if request.method == "HEAD" { response.body = [] }
        let responseLog: JSONValue = ["method": .string(request.method), "url": .string(url), "status": .number(Double(response.status))]
        env.logger.debug("res \(responseLog.stringify())")
        return response
    }

    private func respond(
        _ request: WorkerRequest,
        url: String,
        ip: String,
        config: MinigemConfig,
        database: MinigemDatabase?,
        env: Env
    ) async -> WorkerResponse {
        guard let route = Route(method: request.method, path: request.pathname) else {
            return Self.json(["message": .string("Route \(request.method):\(url) not found"), "error": "Not Found", "statusCode": 404], status: 404)
        }
        let hit = await self.limiter.hit(ip, now: env.clock.now().epochMilliseconds, window: config.timeWindow)
        var headers = Headers()
        headers.append("x-ratelimit-limit", JavaScript.numberToString(config.rateLimitMax))
        let reset = JavaScript.numberToString((max(0, hit.timeLeft) / 1000).rounded(.up))
        guard hit.count <= config.rateLimitMax else {
            headers.append("x-ratelimit-remaining", "0")
            headers.append("x-ratelimit-reset", reset)
            headers.append("retry-after", JavaScript.numberToString((config.timeWindow / 1000).rounded(.up)))
            let message = "Rate limit exceeded, retry in \(MSDuration.long(config.timeWindow))"
            return Self.json(["statusCode": 429, "error": "Too Many Requests", "message": .string(message)], status: 429, headers: headers)
        }
        headers.append("x-ratelimit-remaining", JavaScript.numberToString(config.rateLimitMax - hit.count))
        headers.append("x-ratelimit-reset", reset)
        let response: WorkerResponse
        do {
            response = try await self.handle(route, request, config: config, database: database, env: env)
        } catch let error as FrameworkError {
            response = error.response
        } catch {
            response = FrameworkError(status: 500, error: "Internal Server Error", message: "\(error)").response
        }
        for field in response.headers { headers.append(field.name, field.value) }
        return WorkerResponse(status: response.status, headers: headers, body: response.body)
    }

    private func handle(
        _ route: Route,
        _ request: WorkerRequest,
        config: MinigemConfig,
        database: MinigemDatabase?,
        env: Env
    ) async throws -> WorkerResponse {
        switch route {
        case .health:
            return Self.json(["ok": true, "ts": .integer(env.clock.now().epochMilliseconds)])
        case .dbhealth:
            return await Self.databaseHealth(database)
        case .ingest:
            let body = try Self.parseBody(request)
            return await Self.ingest(body, headers: request.headers, database: database)
        case .stats:
            guard let database else {
                return Self.json(["error": "db_disabled", "message": "Database not configured. Stats require DB-only mode."], status: 503)
            }
            let now = env.clock.now().epochMilliseconds
            switch database {
            case .d1(let d1):
                return Self.json(await StatsQuery(database: d1, config: config, now: now).response(params: request.searchParams))
            case .postgres(let hyperdrive):
                return Self.json(await PostgresStatsQuery(database: hyperdrive, config: config, now: now).response(params: request.searchParams))
            }
        case .debugRecent, .debugCounts:
            if let denied = Self.guardDebug(request, config: config) { return denied }
            return try await route == .debugRecent
                ? Debug.recent(request, database: database)
                : Debug.counts(request, database: database, now: env.clock.now().epochMilliseconds)
        case .debugEnv:
            return Debug.environment(config)
        case .debugLogping:
            return Debug.logping(config, logger: env.logger, now: env.clock.now().epochMilliseconds)
        }
    }

    // MARK: Routes

    /// `POST /t` after body parsing (section 4.1, steps 3 to 9).
    static func ingest(_ body: RequestBody, headers: Headers, database: MinigemDatabase?) async -> WorkerResponse {
        guard let database else {
            return Self.json(["error": "db_disabled", "message": "Database not configured. Ingestion requires DB-only mode."], status: 503)
        }
        guard case .json(.object(let envelope)) = body, case .string(let schema)? = envelope["schema"],
            JavaScript.trim(schema.string).lowercased() == "jwc.v1"
        else {
            return Self.json(["error": "schema_unsupported", "expected": "jwc.v1"], status: 400)
        }
        let geo = Geo.lookup(headers)
        let items: [JSONValue]
        if case .array(let batch)? = envelope["batch"] {
            items = batch.elements
        } else {
            items = [.object(envelope)]
        }
        var accepted = 0
        var skipped = 0
        for item in items {
            guard let event = TelemetryEvent(item), let row = try? EventRow(event, country: geo.country, region: geo.region) else {
                skipped += 1
                continue
            }
            do {
                switch database {
                case .d1(let d1): _ = try await d1.prepare(EventRow.insertSQL).bind(row.values).run()
                case .postgres(let hyperdrive): _ = try await hyperdrive.query(MinigemPostgresSchema.insertSQL, row.postgresValues)
                }
                accepted += 1
            } catch {
                skipped += 1
            }
        }
        return Self.json(["ok": true, "accepted": .number(Double(accepted)), "skipped": .number(Double(skipped))])
    }

    /// `GET /dbhealth` (section 7): always 200.
    static func databaseHealth(_ database: MinigemDatabase?) async -> WorkerResponse {
        guard let database else {
            return Self.json([
                "enabled": false, "ok": false, "error": "DB not configured (set DATABASE_URL or PGHOST/PGUSER/PGDATABASE)",
            ])
        }
        do {
            switch database {
            case .d1(let d1):
                let value = try await d1.prepare("SELECT sqlite_version() AS version").first("version")
                guard case .text(let version)? = value else { throw D1Error(.error, "sqlite_version() returned no text") }
                return Self.json(["enabled": true, "ok": true, "db": .string(Self.databaseName), "version": .string("SQLite " + version)])
            case .postgres(let hyperdrive):
                let row = try await hyperdrive.query("SELECT current_database() AS db, version() AS version").first
                guard case .text(let name)? = row?["db"], case .text(let version)? = row?["version"] else {
                    throw PostgresDriverError(.decoding, "current_database() and version() returned no text")
                }
                return Self.json(["enabled": true, "ok": true, "db": .string(name), "version": .string(version)])
            }
        } catch let error as PostgresDriverError {
            return Self.json(["enabled": true, "ok": false, "error": .string(error.message)])
        } catch {
            return Self.json(["enabled": true, "ok": false, "error": .string("\(error)")])
        }
    }

    /// The `STATS_SECRET` guard of `/debug/recent` and `/debug/counts`.
    private static func guardDebug(_ request: WorkerRequest, config: MinigemConfig) -> WorkerResponse? {
        guard !config.statsSecret.isEmpty else { return nil }
        var key = Geo.header(request.headers, "x-stats-key") ?? ""
        if key.isEmpty { key = Query.single(request.searchParams, "key") ?? "" }
        // Byte equality in constant time, as the JavaScript `===` upstream compares code units: Swift's `==` would
        // also accept a canonically equivalent key (a decomposed "é" for a precomposed one) and stops at the first
        // difference.
        let matches = Crypto.constantTimeEqual(Array(key.utf8), Array(config.statsSecret.utf8))
        return matches ? nil : Self.json(["error": "unauthorized"], status: 401)
    }

    // MARK: Framework

    /// What reached the handler.
    enum RequestBody: Equatable {
        case none
        case json(JSONValue)
        case text(String)
    }

    /// Fastify's content-type parsing: 415, 413, 400 or the parsed body.
    static func parseBody(_ request: WorkerRequest) throws(FrameworkError) -> RequestBody {
        let contentType = Geo.header(request.headers, "content-type")
        let isJSON = contentType?.lowercased().contains("application/json") ?? false
        let isText = !isJSON && (contentType?.lowercased().contains("text/plain") ?? false)
        guard contentType != nil || !request.body.isEmpty else { return .none }
        guard isJSON || isText else {
            throw FrameworkError(
                status: 415,
                code: "FST_ERR_CTP_INVALID_MEDIA_TYPE",
                error: "Unsupported Media Type",
                message: "Unsupported Media Type: \(contentType ?? "undefined")"
            )
        }
        let declared = Geo.header(request.headers, "content-length").flatMap { Int($0.trimmingSpaces()) }
        if request.body.count > Self.bodyLimit || (declared ?? 0) > Self.bodyLimit {
            throw FrameworkError(
                status: 413,
                code: "FST_ERR_CTP_BODY_TOO_LARGE",
                error: "Payload Too Large",
                message: "Request body is too large",
                closeConnection: (declared ?? 0) > Self.bodyLimit
            )
        }
        if isText { return .text(String(decoding: request.body, as: UTF8.self)) }
        guard !request.body.isEmpty else {
            throw FrameworkError(
                status: 400,
                code: "FST_ERR_CTP_EMPTY_JSON_BODY",
                error: "Bad Request",
                message: "Body cannot be empty when content-type is set to 'application/json'"
            )
        }
        let bytes = JavaScript.withoutByteOrderMark(request.body)
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw FrameworkError(status: 400, error: "Bad Request", message: error.message)
        }
        if Self.hasForbiddenPrototype(value) {
            throw FrameworkError(status: 400, error: "Bad Request", message: "Object contains forbidden prototype property")
        }
        return .json(value)
    }

    /// secure-json-parse: an own `__proto__` key, or a `constructor` object with an own `prototype` key, at any depth.
    /// Walks with an explicit stack: a body nested as deep as the parser allows must not overflow the call stack.
    static func hasForbiddenPrototype(_ value: JSONValue) -> Bool {
        var pending: [JSONValue] = [value]
        while let next = pending.popLast() {
            switch next {
            case .object(let object):
                if object["__proto__"] != nil { return true }
                if case .object(let constructor)? = object["constructor"], constructor["prototype"] != nil { return true }
                for entry in object.entries { pending.append(entry.value) }
            case .array(let elements):
                for element in elements { pending.append(element) }
            default:
                break
            }
        }
        return false
    }

    /// `req.url`: the path and query of the request URL (no fragment).
    static func requestURL(_ url: String) -> String {
        var rest = Substring(url)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let scheme = rest.range(of: "://") {
            let afterScheme = rest[scheme.upperBound...]
            rest = afterScheme[(afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex)...]
        }
        if rest.isEmpty { return "/" }
        return rest.first == "?" ? "/" + rest : String(rest)
    }

    /// A compact JSON answer with `content-type: application/json; charset=utf-8`.
    static func json(_ value: JSONValue, status: Int = 200, headers: Headers = [:]) -> WorkerResponse {
        var headers = headers
        headers.append("content-type", Self.jsonContentType)
        return WorkerResponse(status: status, headers: headers, body: Array(value.stringify().utf8))
    }
}

/// A Fastify error answer: `{"statusCode",["code"],"error","message"}`.
struct FrameworkError: Error, Sendable {
    var status: Int
    var code: String?
    var error: String
    var message: String
    var closeConnection = false

    var response: WorkerResponse {
        var object = JSONObject()
        object["statusCode"] = .number(Double(self.status))
        if let code { object["code"] = .string(code) }
        object["error"] = .string(self.error)
        object["message"] = .string(self.message)
        var headers = Headers()
        if self.closeConnection { headers.append("connection", "close") }
        return MinigemWorker.json(.object(object), status: self.status, headers: headers)
    }
}

/// Query-string access as Fastify's parser presents it.
enum Query {
    /// The value of `name` when it occurs exactly once.
    static func single(_ params: [(name: String, value: String)], _ name: String) -> String? {
        let values = params.filter { $0.name == name }.map(\.value)
        return values.count == 1 ? values[0] : nil
    }
}
