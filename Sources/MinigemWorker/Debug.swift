import Flarelet

/// The `/debug/*` endpoints (section 9).
enum Debug {
    static let recentSQL =
        "SELECT id, t, anon, evt, os, ext, vscode, country, region, duration_ms, wait_ms_total, exit_code, out_bytes_bucket, "
        + "scanner_usage, truncated_output, error_phase, exception_hash FROM telemetry_events ORDER BY id DESC LIMIT ?"
    static let countsSQL =
        "SELECT evt, COUNT(*) AS n FROM telemetry_events WHERE t_ms >= ? GROUP BY evt ORDER BY n DESC, evt ASC"

    static let recentPostgresSQL =
        "SELECT id, t, anon, evt, os, ext, vscode, country, region, duration_ms, wait_ms_total, exit_code, out_bytes_bucket, "
        + "scanner_usage, truncated_output, error_phase, exception_hash FROM telemetry_events ORDER BY id DESC LIMIT $1"
    static let countsPostgresSQL =
        "SELECT evt, count(*) AS n FROM telemetry_events WHERE t >= $1 GROUP BY evt ORDER BY n DESC, evt COLLATE \"C\" ASC"
    /// The earliest `timestamptz` (4714-11-24 BC), in Unix milliseconds.
    static let postgresMinimumMilliseconds: Int64 = -210_866_803_200_000

    /// Runs a PostgreSQL query; a failure becomes Fastify's 500 with PostgreSQL's code and message (section 14,
    /// "Behaviours that need a real PostgreSQL", item 2).
    static func postgres(_ body: () async throws(PostgresDriverError) -> PostgresResult) async throws(FrameworkError) -> PostgresResult {
        do {
            return try await body()
        } catch {
            throw FrameworkError(status: 500, code: error.sqlState, error: "Internal Server Error", message: error.message)
        }
    }

    /// One `/debug/recent` row as node-postgres returns it: `bigint` as strings, `t` as an ISO date.
    static func recentRow(_ row: PostgresResultRow) -> JSONValue {
        var object = JSONObject()
        for (column, value) in zip(row.columns, row.values) {
            switch (column, value) {
            case (_, .null): object[column] = .null
            case ("id", .integer(let number)), ("duration_ms", .integer(let number)), ("wait_ms_total", .integer(let number)):
                object[column] = .string(String(number))
            case (_, .timestamp(let micros)):
                object[column] = .string(ISOTime.string(milliseconds: ISOTime.floorDiv(micros, 1000)))
            default: object[column] = value.json
            }
        }
        return .object(object)
    }

    /// A query parameter as `Number()` sees Fastify's value: `nil` when absent or empty; repeated values are an
    /// array, whose text (`"1,2"`) is not a number.
    static func numericParameter(_ request: WorkerRequest, _ name: String) -> Double? {
        let values = request.searchParams.filter { $0.name == name }.map(\.value)
        guard !values.isEmpty, values != [""] else { return nil }
        return JavaScript.stringToNumber(values.joined(separator: ","))
    }

    /// `GET /debug/recent?limit=`: the latest rows by id, limit clamped to 1…500 (default 50).
    static func recent(_ request: WorkerRequest, database: MinigemDatabase?) async throws -> WorkerResponse {
        guard let database else { return MinigemWorker.json(["rows": []]) }
        let requested = self.numericParameter(request, "limit") ?? 50
        let limit = requested.isNaN ? requested : min(max(requested, 1), 500)
        let d1: any D1Database
        switch database {
        case .d1(let database): d1 = database
        case .postgres(let hyperdrive):
            // node-postgres sends the number as text; PostgreSQL itself refuses a non-integral limit.
            let result = try await self.postgres { () async throws(PostgresDriverError) in
                try await hyperdrive.query(self.recentPostgresSQL, [.text(JavaScript.numberToString(limit))])
            }
            return MinigemWorker.json(["rows": .array(result.results.map(self.recentRow))])
        }
        guard limit == limit.rounded() else {
            throw FrameworkError(
                status: 500,
                code: "22P02",
                error: "Internal Server Error",
                message: "invalid input syntax for type bigint: \"\(JavaScript.numberToString(limit))\""
            )
        }
        let result = try await d1.prepare(self.recentSQL).bind(.integer(Int64(limit))).all()
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
    static func counts(_ request: WorkerRequest, database: MinigemDatabase?, now: Int64) async throws -> WorkerResponse {
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
        var counts: [(evt: String, n: Int64)] = []
        switch database {
        case .d1(let d1):
            for row in try await d1.prepare(self.countsSQL).bind(.integer(since)).all().results {
                guard case .text(let evt)? = row["evt"], case .integer(let count)? = row["n"] else { continue }
                counts.append((evt, count))
            }
        case .postgres(let hyperdrive):
            let lowest = max(since, self.postgresMinimumMilliseconds)
            let result = try await self.postgres { () async throws(PostgresDriverError) in
                try await hyperdrive.query(self.countsPostgresSQL, [.timestamp(microseconds: lowest * 1000)])
            }
            for row in result.results {
                guard case .text(let evt)? = row["evt"], case .integer(let count)? = row["n"] else { continue }
                counts.append((evt, count))
            }
        }
        var byEvent = JSONObject()
        var total: Int64 = 0
        for (evt, count) in counts {
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
