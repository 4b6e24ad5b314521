import Flarelet
import Foundation

/// The example worker: counts hits per path in D1 and remembers the last visitor in KV.
///
/// - `GET /` or any path: increments that path's counter and answers
///   `{"path":"/x","hits":3,"lastVisitor":"127.0.0.1"}`.
/// - `GET /__counts`: every counter as `{"counts":{"/x":3,…}}`, highest first.
/// - `GET /__cf`: the request's `cf` object.
/// - `scheduled`: writes the time of the run to KV key `cron:last-run`.
///
/// Bindings: D1 `DB` (table `hits` is created on first use), KV `KV`.
public struct CounterWorker: Worker {
    public init() {}

    public var hasScheduledHandler: Bool { true }

    public func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        let db = try env.d1("DB")
        let kv = try env.kv("KV")
        _ = try await db.prepare("CREATE TABLE IF NOT EXISTS hits (path TEXT PRIMARY KEY, count INTEGER NOT NULL)").run()
        if request.pathname == "/__cf" {
            return .json(request.cf.map(JSONValue.object) ?? .null)
        }
        if request.pathname == "/__counts" {
            var counts = JSONObject()
            for hit in try await db.prepare("SELECT path, count FROM hits ORDER BY count DESC, path").all(as: Hit.self) {
                counts[hit.path] = .integer(hit.count)
            }
            return .json(["counts": .object(counts)])
        }
        let hits = try await db.prepare(
            "INSERT INTO hits (path, count) VALUES (?, 1) ON CONFLICT(path) DO UPDATE SET count = count + 1 RETURNING count"
        ).bind(.text(request.pathname)).first(as: Int64.self)
        let previous = try await kv.get("last-visitor")
        let visitor = request.headers["CF-Connecting-IP"] ?? "unknown"
        ctx.waitUntil {
            try await kv.put("last-visitor", visitor)
        }
        var body = JSONObject()
        body["path"] = .string(request.pathname)
        body["hits"] = hits.map(JSONValue.integer) ?? .null
        body["lastVisitor"] = previous.map(JSONValue.string) ?? .null
        return .json(.object(body))
    }

    public func scheduled(_ controller: ScheduledController, env: Env, ctx: ExecutionContext) async throws {
        let kv = try env.kv("KV")
        try await kv.put("cron:last-run", Date(epochMilliseconds: controller.scheduledTime).isoString)
    }
}

/// A row of `hits`.
private struct Hit: Decodable {
    var path: String
    var count: Int64
}
