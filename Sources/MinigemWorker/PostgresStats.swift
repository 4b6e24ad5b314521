import Flarelet

/// `GET /stats` on PostgreSQL (section 8.2, "The port computes the full response"): every count, group, percentile,
/// bucket and session list comes from SQL over `telemetry_events`, with the corrected statistics upstream intended
/// (`bool_or` instead of `max(boolean)`, no `any_value()`). Buckets are UTC (`AT TIME ZONE 'UTC'`), ties in count
/// order break by key in byte order (`COLLATE "C"`), and the "column, else the same key in `m`" fallbacks read `m`
/// with PostgreSQL's own `bigint` and `boolean` input rules, so a value those rules refuse fails the statement and
/// the answer becomes the fallback of 8.3, as on D1. Swift only lays the rows out in the response's shape (and
/// divides for the rates), so the D1 and PostgreSQL answers agree for the same events.
struct PostgresStatsQuery: Sendable {
    let database: Hyperdrive
    let config: MinigemConfig
    /// Unix milliseconds.
    let now: Int64

    /// The earliest `timestamptz` (4714-11-24 BC), in Unix milliseconds: range bounds are clamped to it.
    static let minimumMilliseconds: Int64 = -210_866_803_200_000

    // MARK: SQL pieces

    static let range = "t >= $1 AND t < $2"
    static let completed = "t >= $1 AND t < $2 AND evt = 'java.run.completed'"
    static let day = "floor(extract(epoch FROM t) / 86400)::bigint"

    /// `m.key` read as `bigint`: an integral JSON number as its value, anything else through `int8in` (so `12.5`,
    /// `"abc"`, `true` or an object fail the statement).
    static func mInteger(_ key: String) -> String {
        let node = "(m->'\(key)')"
        return "(CASE jsonb_typeof(\(node)) WHEN 'number' THEN CASE WHEN \(node)::numeric = trunc(\(node)::numeric) "
            + "THEN \(node)::numeric::bigint ELSE (m->>'\(key)')::bigint END ELSE (m->>'\(key)')::bigint END)"
    }

    /// `m.key` read as `boolean`: JSON `1`/`0` as true/false, anything else through `boolin`.
    static func mBoolean(_ key: String) -> String {
        let node = "(m->'\(key)')"
        return "(CASE jsonb_typeof(\(node)) WHEN 'number' THEN CASE \(node)::numeric WHEN 1 THEN true WHEN 0 THEN false "
            + "ELSE (m->>'\(key)')::boolean END ELSE (m->>'\(key)')::boolean END)"
    }

    static let duration = "coalesce(duration_ms, \(mInteger("durationMs")))"
    static let wait = "coalesce(wait_ms_total, \(mInteger("waitMsTotal")))"
    static let exit = "coalesce(exit_code::bigint, \(mInteger("exit")))"
    static let interactive = "coalesce(scanner_usage, \(mBoolean("scannerUsage")))"
    static let truncated = "coalesce(truncated_output, \(mBoolean("truncatedOutput")))"
    static let phase = "coalesce(error_phase, m->>'phase')"
    static let exceptionHash = "coalesce(exception_hash, m->>'exceptionHash')"
    static let bucket = "coalesce(out_bytes_bucket, m->>'cumulativeBytesBucket')"

    static let totalsSQL = """
        SELECT count(*) AS total, count(DISTINCT anon) AS uniques, \
        count(*) FILTER (WHERE evt = 'java.run.started') AS started, \
        count(*) FILTER (WHERE evt = 'java.run.completed') AS completed, \
        count(*) FILTER (WHERE evt = 'java.run.error' AND \(phase) = 'compile') AS compile, \
        count(*) FILTER (WHERE evt = 'java.run.error' AND \(phase) <> 'compile') AS runtime, \
        count(*) FILTER (WHERE evt = 'install.created') AS installs \
        FROM telemetry_events WHERE \(range)
        """

    static let groupsSQL = """
        SELECT dim, key, n FROM (\
        SELECT 'evt' AS dim, evt AS key, count(*) AS n FROM telemetry_events WHERE \(range) GROUP BY 2 \
        UNION ALL SELECT 'os', coalesce(os, 'Unknown'), count(*) FROM telemetry_events WHERE \(range) GROUP BY 2 \
        UNION ALL SELECT 'ext', coalesce(ext, 'Unknown'), count(*) FROM telemetry_events WHERE \(range) GROUP BY 2 \
        UNION ALL SELECT 'vscode', coalesce(vscode, 'Unknown'), count(*) FROM telemetry_events WHERE \(range) GROUP BY 2 \
        UNION ALL SELECT 'exit', coalesce(exit_code::text, m->>'exit', '0'), count(*) FROM telemetry_events WHERE \(completed) GROUP BY 2 \
        UNION ALL SELECT 'bucket', coalesce(\(bucket), '-'), count(*) FROM telemetry_events WHERE \(completed) GROUP BY 2\
        ) g ORDER BY dim, n DESC, key COLLATE "C"
        """

    static let dailySQL = """
        SELECT \(day) AS day, count(*) AS hits, count(DISTINCT anon) AS uniques FROM telemetry_events WHERE \(range) GROUP BY 1
        """

    static let dailyOsSQL = """
        SELECT day, os, n FROM (SELECT \(day) AS day, coalesce(os, 'Unknown') AS os, count(*) AS n FROM telemetry_events \
        WHERE \(range) GROUP BY 1, 2) g ORDER BY day, os COLLATE "C"
        """

    static let hourlySQL = """
        SELECT 'hour' AS unit, extract(hour FROM t AT TIME ZONE 'UTC')::bigint AS slot, count(*) AS n, count(DISTINCT anon) AS visitors \
        FROM telemetry_events WHERE \(range) GROUP BY 2 \
        UNION ALL SELECT 'dow', extract(dow FROM t AT TIME ZONE 'UTC')::bigint, count(*), 0 FROM telemetry_events WHERE \(range) GROUP BY 2
        """

    static let durationsSQL = """
        SELECT count(*) AS n, percentile_disc(0.5) WITHIN GROUP (ORDER BY duration) AS median, \
        percentile_disc(0.9) WITHIN GROUP (ORDER BY duration) AS p90, sum(wait)::text AS wait_sum, count(wait) AS waits, \
        count(*) FILTER (WHERE duration >= 0 AND duration < 500) AS h0, \
        count(*) FILTER (WHERE duration >= 500 AND duration < 1000) AS h1, \
        count(*) FILTER (WHERE duration >= 1000 AND duration < 3000) AS h2, \
        count(*) FILTER (WHERE duration >= 3000 AND duration < 10000) AS h3, \
        count(*) FILTER (WHERE duration >= 10000 AND duration < 30000) AS h4, \
        count(*) FILTER (WHERE duration >= 30000 AND duration < 60000) AS h5, \
        count(*) FILTER (WHERE duration >= 60000 AND duration < 120000) AS h6, \
        count(*) FILTER (WHERE duration >= 120000) AS h7 \
        FROM (SELECT duration, CASE WHEN duration IS NOT NULL THEN \(wait) END AS wait FROM \
        (SELECT \(duration) AS duration, wait_ms_total, m FROM telemetry_events WHERE \(completed) OFFSET 0) c \
        WHERE duration IS NOT NULL) d
        """

    static let ratesSQL = """
        SELECT count(*) FILTER (WHERE \(interactive)) AS interactive, count(*) FILTER (WHERE \(truncated)) AS truncated \
        FROM telemetry_events WHERE \(completed)
        """

    static let exceptionsSQL = """
        SELECT key, n FROM (SELECT \(exceptionHash) AS key, count(*) AS n FROM telemetry_events \
        WHERE \(range) AND evt = 'java.run.error' AND \(exceptionHash) IS NOT NULL GROUP BY 1) g \
        ORDER BY n DESC, key COLLATE "C" LIMIT 50
        """

    static let geoSQL = """
        SELECT key, hits, visitors FROM (SELECT coalesce(country, 'Unknown') AS key, count(*) AS hits, \
        count(DISTINCT anon) AS visitors FROM telemetry_events WHERE \(range) GROUP BY 1) g ORDER BY hits DESC, key COLLATE "C"
        """

    static let activeSQL = """
        SELECT count(*) AS n FROM (SELECT session_id FROM telemetry_events WHERE t >= $1 AND session_id IS NOT NULL \
        GROUP BY session_id HAVING NOT bool_or(evt = 'java.run.completed')) s
        """

    static let installsSQL = "SELECT count(*) AS n FROM telemetry_events WHERE evt = 'install.created'"

    static let sessionsRecentSQL = """
        SELECT session_id AS id, (array_agg(anon ORDER BY t, id))[1] AS student, min(t) AS started, max(t) AS last, \
        bool_or(evt = 'java.run.completed') AS completed, max(\(exit)) AS exit, max(\(duration)) AS duration, \
        coalesce(bool_or(\(interactive)), false) AS interactive \
        FROM telemetry_events WHERE \(range) AND session_id IS NOT NULL \
        GROUP BY session_id ORDER BY max(t) DESC, session_id COLLATE "C" LIMIT 100
        """

    static let outcomesSQL = """
        SELECT \(day) AS day, coalesce(\(exit), 0) AS exit, count(*) AS n FROM telemetry_events WHERE \(completed) \
        GROUP BY 1, 2 ORDER BY 1, 2
        """

    /// Completed runs with exit code `$3`, ordered as `successTop` (`descending`) or `frustratedTop`.
    static func topRunsSQL(descending: Bool) -> String {
        let direction = descending ? "DESC" : "ASC"
        return """
            SELECT id, anon, t, \(duration) AS duration, \(interactive) AS interactive, \(bucket) AS bucket \
            FROM (SELECT *, \(exit) AS exit FROM telemetry_events WHERE \(completed) OFFSET 0) c WHERE exit = $3 \
            ORDER BY interactive \(direction) NULLS LAST, duration \(direction) NULLS LAST, id LIMIT 20
            """
    }

    // MARK: Answer

    /// The full body of 8.2, or the fallback of 8.3 when any statement fails.
    func response(params: [(name: String, value: String)]) async -> JSONValue {
        do {
            return try await self.compute(params)
        } catch {
            return StatsQuery.fallback(today: ISOTime.datePart(milliseconds: self.now), windowDays: self.config.windowDays)
        }
    }

    private func compute(_ params: [(name: String, value: String)]) async throws(PostgresDriverError) -> JSONValue {
        let (from, to) = StatsQuery.range(params)
        let bounds: [PostgresValue] = [
            .timestamp(microseconds: max(from, Self.minimumMilliseconds) * 1000),
            .timestamp(microseconds: max(to, Self.minimumMilliseconds) * 1000),
        ]
        var trace: [JSONValue] = []
        func run(_ sql: String, _ bindings: [PostgresValue]) async throws(PostgresDriverError) -> [PostgresResultRow] {
            trace.append(["sql": .string(sql), "params": .array(bindings.map(\.json))])
            return try await self.database.query(sql, bindings).results
        }
        func int(_ value: PostgresValue?) -> Int {
            if case .integer(let number)? = value { return Int(number) }
            return 0
        }
        func text(_ value: PostgresValue?) -> String? {
            if case .text(let string)? = value { return string }
            return nil
        }
        func milliseconds(_ value: PostgresValue?) -> Int64 {
            if case .timestamp(let micros)? = value { return ISOTime.floorDiv(micros, 1000) }
            return 0
        }

        let totals = try await run(Self.totalsSQL, bounds).first
        let groups = try await run(Self.groupsSQL, bounds)
        let dailyRows = try await run(Self.dailySQL, bounds)
        let dailyOsRows = try await run(Self.dailyOsSQL, bounds)
        let hourlyRows = try await run(Self.hourlySQL, bounds)
        let durations = try await run(Self.durationsSQL, bounds).first
        let rates = try await run(Self.ratesSQL, bounds).first
        let exceptions = try await run(Self.exceptionsSQL, bounds)
        let geoRows = try await run(Self.geoSQL, bounds)
        let active = try await run(Self.activeSQL, [.timestamp(microseconds: (self.now - 600_000) * 1000)]).first
        let installs = try await run(Self.installsSQL, []).first
        let recent = try await run(Self.sessionsRecentSQL, bounds)
        let outcomes = try await run(Self.outcomesSQL, bounds)
        let success = try await run(Self.topRunsSQL(descending: true), bounds + [.integer(0)])
        let frustrated = try await run(Self.topRunsSQL(descending: false), bounds + [.integer(130)])

        func grouped(_ dimension: String) -> [(key: String, count: Int)] {
            groups.filter { $0["dim"] == .text(dimension) }.map { (key: text($0["key"]) ?? "", count: int($0["n"])) }
        }
        let total = int(totals?["total"])
        let started = int(totals?["started"])
        let completed = int(totals?["completed"])
        let byEvent = grouped("evt")
        let byOs = grouped("os")
        let byExt = grouped("ext")
        let byVscode = grouped("vscode")
        let exitCodes = grouped("exit")
        let topExceptions = exceptions.map { (key: text($0["key"]) ?? "", count: int($0["n"])) }

        var body = JSONObject()
        body["from"] = .string(ISOTime.datePart(milliseconds: from))
        body["to"] = .string(ISOTime.datePart(milliseconds: to))
        body["windowDays"] = self.config.windowDays
        body["total"] = StatsQuery.count(total)
        body["uniques"] = StatsQuery.count(int(totals?["uniques"]))
        body["osTypes"] = StatsQuery.count(byOs.count)
        body["extTypes"] = StatsQuery.count(byExt.count)
        body["vscodeTypes"] = StatsQuery.count(byVscode.count)
        let (daily, dailyOs) = Self.daily(dailyRows, dailyOsRows, from: from, to: to)
        body["daily"] = daily
        body["dailyOs"] = dailyOs
        body["byEvent"] = StatsQuery.object(byEvent)
        body["byOs"] = StatsQuery.object(byOs)
        body["byExt"] = StatsQuery.object(byExt)
        body["byVscode"] = StatsQuery.object(byVscode)
        var hourly = Array(repeating: 0, count: 24)
        var hourlyVisitors = Array(repeating: 0, count: 24)
        var dow = Array(repeating: 0, count: 7)
        for row in hourlyRows {
            let slot = int(row["slot"])
            if row["unit"] == .text("hour"), (0..<24).contains(slot) {
                hourly[slot] = int(row["n"])
                hourlyVisitors[slot] = int(row["visitors"])
            } else if row["unit"] == .text("dow"), (0..<7).contains(slot) {
                dow[slot] = int(row["n"])
            }
        }
        body["hourly"] = .array(hourly.map(StatsQuery.count))
        body["hourlyVisitors"] = .array(hourlyVisitors.map(StatsQuery.count))
        body["dow"] = .array(dow.map(StatsQuery.count))
        body["runs"] = ["started": StatsQuery.count(started), "completed": StatsQuery.count(completed)]
        let compile = int(totals?["compile"])
        let runtime = int(totals?["runtime"])
        body["errors"] = [
            "compile": StatsQuery.count(compile), "runtime": StatsQuery.count(runtime),
            "compileRate": StatsQuery.rate(compile, started), "runtimeRate": StatsQuery.rate(runtime, started),
        ]
        let durationCount = int(durations?["n"])
        func percentile(_ name: String) -> JSONValue {
            if durationCount == 0 { return 0 }
            if case .integer(let value)? = durations?[name] { return .integer(value) }
            return 0
        }
        let waits = int(durations?["waits"])
        let waitSum = text(durations?["wait_sum"]).flatMap(Double.init) ?? 0
        body["durations"] = [
            "count": StatsQuery.count(durationCount), "median": percentile("median"), "p90": percentile("p90"),
            "hist": [
                "labels": .array(StatsQuery.histogramLabels.map { .string($0) }),
                "values": .array((0..<8).map { StatsQuery.count(int(durations?["h\($0)"])) }),
            ],
            "avgWaitMs": .number(waits == 0 ? 0 : waitSum / Double(waits)),
        ]
        body["exitCodes"] = StatsQuery.object(exitCodes)
        body["outputBuckets"] = StatsQuery.object(grouped("bucket"))
        body["interactiveRate"] = StatsQuery.rate(int(rates?["interactive"]), completed)
        body["truncationRate"] = StatsQuery.rate(int(rates?["truncated"]), completed)
        body["topExceptions"] = StatsQuery.object(topExceptions)
        body["geo"] = Self.geo(geoRows.map { (key: text($0["key"]) ?? "", hits: int($0["hits"]), visitors: int($0["visitors"])) })
        body["activeSessions"] = StatsQuery.count(int(active?["n"]))
        body["installsTotal"] = .integer(Int64(int(installs?["n"])))
        body["installsWindow"] = StatsQuery.count(int(totals?["installs"]))
        body["sessionsRecent"] = .array(
            recent.map { row in
                var exit: Int64 = -1
                if case .integer(let value)? = row["exit"], value != 0 { exit = value }
                var duration: Int64 = 0
                if case .integer(let value)? = row["duration"] { duration = value }
                return [
                    "id": .string(text(row["id"]) ?? ""), "student": .string(text(row["student"]) ?? ""),
                    "startedAt": .string(ISOTime.string(milliseconds: milliseconds(row["started"]))),
                    "lastAt": .string(ISOTime.string(milliseconds: milliseconds(row["last"]))),
                    "completed": .bool(row["completed"] == .bool(true)), "exit": .integer(exit), "durationMs": .integer(duration),
                    "interactive": .bool(row["interactive"] == .bool(true)),
                ]
            }
        )
        var learning = JSONObject()
        for row in outcomes {
            guard case .integer(let day)? = row["day"], case .integer(let exit)? = row["exit"] else { continue }
            let key = ISOTime.date(days: day)
            var inner = learning[key]?.objectValue ?? JSONObject()
            inner[String(exit)] = StatsQuery.count(int(row["n"]))
            learning[key] = .object(inner)
        }
        body["dailyLearningOutcomes"] = .object(learning)
        func item(_ row: PostgresResultRow, exit: Int64) -> JSONValue {
            let anon = Array((text(row["anon"]) ?? "").utf16)
            let suffix = anon.count >= 6 ? String(decoding: anon.suffix(6), as: UTF16.self) : "—"
            var duration: Int64 = 0
            if case .integer(let value)? = row["duration"] { duration = value }
            var object: JSONObject = [
                "student": .string("Student #" + suffix), "ts": .string(ISOTime.string(milliseconds: milliseconds(row["t"]))),
                "durationMs": .integer(duration), "interactive": .bool(row["interactive"] == .bool(true)), "exit": .integer(exit),
            ]
            if let bucket = text(row["bucket"]), !bucket.isEmpty { object["outputBucket"] = .string(bucket) }
            return .object(object)
        }
        body["sessions"] = [
            "successTop": .array(success.map { item($0, exit: 0) }),
            "frustratedTop": .array(frustrated.map { item($0, exit: 130) }),
        ]
        body["tables"] = [
            "eventsTop": StatsQuery.table(byEvent, name: "event", total: total),
            "extTop": StatsQuery.table(byExt, name: "version", total: total),
            "vscodeTop": StatsQuery.table(byVscode, name: "version", total: total),
            "exitTop": StatsQuery.table(exitCodes, name: "code", total: total),
            "exceptionsTop": StatsQuery.table(topExceptions, name: "exceptionHash", total: total),
        ]
        if self.config.traceStats { body["_trace"] = .array(trace) }
        return .object(body)
    }

    /// `daily` and `dailyOs` for every UTC day of the range, from the per-day rows.
    static func daily(_ days: [PostgresResultRow], _ osRows: [PostgresResultRow], from: Int64, to: Int64) -> (JSONValue, JSONValue) {
        let firstDay = ISOTime.floorDiv(from, ISOTime.dayMilliseconds)
        let lastDay = ISOTime.floorDiv(to, ISOTime.dayMilliseconds)
        let dayCount = Int(lastDay - firstDay + 1)
        var hits = Array(repeating: 0, count: dayCount)
        var uniques = Array(repeating: 0, count: dayCount)
        for row in days {
            guard case .integer(let day)? = row["day"], case .integer(let count)? = row["hits"], case .integer(let visitors)? = row["uniques"]
            else { continue }
            let index = Int(day - firstDay)
            guard index >= 0, index < dayCount else { continue }
            hits[index] = Int(count)
            uniques[index] = Int(visitors)
        }
        var seriesKeys: [String] = []
        var seriesData: [String: [JSONValue]] = [:]
        for row in osRows {
            guard case .integer(let day)? = row["day"], case .text(let os)? = row["os"], case .integer(let count)? = row["n"] else { continue }
            let index = Int(day - firstDay)
            guard index >= 0, index < dayCount else { continue }
            if seriesData[os] == nil {
                seriesKeys.append(os)
                seriesData[os] = Array(repeating: 0, count: dayCount)
            }
            seriesData[os]?[index] = StatsQuery.count(Int(count))
        }
        let dates = JSONValue.array((0..<dayCount).map { .string(ISOTime.date(days: firstDay + Int64($0))) })
        let daily: JSONValue = ["dates": dates, "hits": .array(hits.map(StatsQuery.count)), "uniques": .array(uniques.map(StatsQuery.count))]
        let series = JSONValue.array(seriesKeys.map { ["key": .string($0), "data": .array(seriesData[$0] ?? [])] })
        return (daily, ["labels": dates, "series": series])
    }

    /// `geo` from the per-country rows (already in `hits` order): continents sum their countries' hits and visitors.
    static func geo(_ countries: [(key: String, hits: Int, visitors: Int)]) -> JSONValue {
        var byCountry = JSONObject()
        for country in countries {
            byCountry[country.key] = ["hits": StatsQuery.count(country.hits), "visitors": StatsQuery.count(country.visitors)]
        }
        var continentOrder: [String] = []
        var sums: [String: (hits: Int, visitors: Int)] = [:]
        let byKey = Dictionary(countries.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for key in byCountry.keys.map(\.string) {
            let continent = StatsQuery.continents[key] ?? "Unknown"
            if sums[continent] == nil { continentOrder.append(continent) }
            let previous = sums[continent] ?? (0, 0)
            sums[continent] = (previous.hits + (byKey[key]?.hits ?? 0), previous.visitors + (byKey[key]?.visitors ?? 0))
        }
        var byContinent = JSONObject()
        for continent in continentOrder {
            let sum = sums[continent] ?? (0, 0)
            byContinent[continent] = ["hits": StatsQuery.count(sum.hits), "visitors": StatsQuery.count(sum.visitors)]
        }
        return ["byContinent": .object(byContinent), "byCountry": .object(byCountry)]
    }
}
