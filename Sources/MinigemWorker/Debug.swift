import Flarelet

/// The `/debug/*` endpoints (section 9).
enum Debug {
    static let recentSQL =
        "SELECT id, t, anon, evt, os, ext, vscode, country, region, duration_ms, wait_ms_total, exit_code, out_bytes_bucket, "
        + "scanner_usage, truncated_output, error_phase, exception_hash FROM telemetry_events ORDER BY id DESC LIMIT ?"
    static let countsSQL =
        "SELECT evt, COUNT(*) AS n FROM telemetry_events WHERE t_ms >= ? GROUP BY evt ORDER BY n DESC, evt ASC"

    /// A query parameter as `Number()` sees Fastify's value: `nil` when absent or empty; repeated values are an
    /// array, whose text (`"1,2"`) is not a number.
    static func numericParameter(_ request: WorkerRequest, _ name: String) -> Double? {
        let values = request.searchParams.filter { $0.name == name }.map(\.value)
        guard !values.isEmpty, values != [""] else { return nil }
        return JavaScript.stringToNumber(values.joined(separator: ","))
    }

    /// `GET /debug/recent?limit=`: the latest rows by id, limit clamped to 1…500 (default 50).
    static func recent(_ request: WorkerRequest, database: (any D1Database)?) async throws -> WorkerResponse {
        guard let database else { return MinigemWorker.json(["rows": []]) }
        let requested = self.numericParameter(request, "limit") ?? 50
        let limit = requested.isNaN ? requested : min(max(requested, 1), 500)
        guard limit == limit.rounded() else {
            throw FrameworkError(
                status: 500,
                code: "22P02",
                error: "Internal Server Error",
                message: "invalid input syntax for type bigint: \"\(JavaScript.numberToString(limit))\""
            )
        }
        let result = try await database.prepare(self.recentSQL).bind(.integer(Int64(limit))).all()
        let rows: [JSONValue] = result.results.map { row in
            var object = JSONObject()
            for (column, value) in zip(row.columns, row.values) {
                switch (column, value) {
                case (_, .null): object[column] = .null
                case ("id", .integer(let number)), ("duration_ms", .integer(let number)), ("wait_ms_total", .integer(let number)):
                    object[column] = .string(String(number))
                case ("scanner_usage", .integer(let number)), ("truncated_output", .integer(let number)):
                    object[column] = .bool(number != 0)
                default: object[column] = value.json
                }
            }
            return .object(object)
        }
        return MinigemWorker.json(["rows": .array(rows)])
    }

    /// `GET /debug/counts?hours=`: events since now − hours (default 24, at least 1) by event name.
    static func counts(_ request: WorkerRequest, database: (any D1Database)?, now: Int64) async throws -> WorkerResponse {
        guard let database else { return MinigemWorker.json([:]) }
        let requested = self.numericParameter(request, "hours") ?? 24
        guard !requested.isNaN else {
            throw FrameworkError(
                status: 500,
                code: "22007",
                error: "Internal Server Error",
                message: "invalid input syntax for type interval: \"NaN hours\""
            )
        }
        let hours = max(requested, 1)
        let sinceDouble = (Double(now) - hours * 3_600_000).rounded(.towardZero)
        let since = Int64(max(min(sinceDouble, Double(ISOTime.maxMilliseconds)), -Double(ISOTime.maxMilliseconds)))
        let result = try await database.prepare(self.countsSQL).bind(.integer(since)).all()
        var byEvent = JSONObject()
        var total: Int64 = 0
        for row in result.results {
            guard case .text(let evt)? = row["evt"], case .integer(let count)? = row["n"] else { continue }
            byEvent[evt] = .integer(count)
            total += count
        }
        return MinigemWorker.json(["since": .string(ISOTime.string(milliseconds: since)), "total": .integer(total), "byEvent": .object(byEvent)])
    }

    /// `GET /debug/env`.
    static func environment(_ config: MinigemConfig) -> WorkerResponse {
        var env = JSONObject()
        for name in MinigemConfig.echoedNames {
            if name == "DATABASE_URL" {
                env[name] = .bool(config.raw[name] != nil)
            } else {
                env[name] = config.raw[name].map { .string($0) } ?? .null
            }
        }
        #if swift(>=6.3)
        let runtime = "Swift 6.3 (Flarelet)"
        #else
        let runtime = "Swift (Flarelet)"
        #endif
        return MinigemWorker.json(["node": .string(runtime), "port": .number(config.port), "env": .object(env)])
    }

    /// `GET /debug/logping`: writes the `debug.logping` info line.
    static func logping(_ config: MinigemConfig, logger: Logger, now: Int64) -> WorkerResponse {
        let when = ISOTime.string(milliseconds: now)
        logger.info("[\(when)] [info] debug.logping {\"when\":\"\(when)\"}")
        return MinigemWorker.json(["ok": true, "file": .string(config.logFile), "level": .string(config.logLevel)])
    }
}
