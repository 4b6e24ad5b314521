import Flarelet

/// `GET /stats` (section 8), computed in Swift from the rows in range (buckets in UTC from `t_ms`).
struct StatsQuery: Sendable {
    let database: any D1Database
    let config: MinigemConfig
    /// Unix milliseconds.
    let now: Int64

    static let rowsSQL = "SELECT \(StatsRow.columns) FROM telemetry_events WHERE t_ms >= ? AND t_ms < ? ORDER BY t_ms, id"
    static let activeSQL = "SELECT session_id, evt FROM telemetry_events WHERE t_ms >= ? AND session_id IS NOT NULL"
    static let installsSQL = "SELECT COUNT(*) AS n FROM telemetry_events WHERE evt = 'install.created'"

    static let histogramLabels = [
        "0-500ms", "500-1000ms", "1000-3000ms", "3000-10000ms", "10000-30000ms", "30000-60000ms", "60000-120000ms", "≥120000ms",
    ]
    static let histogramBounds: [Int64] = [500, 1000, 3000, 10000, 30000, 60000, 120_000]

    static let continents: [String: String] = {
        var map: [String: String] = [:]
        let table: [(String, [String])] = [
            ("NA", ["US", "CA", "MX"]),
            ("SA", ["BR", "AR", "CL", "CO"]),
            ("EU", ["GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "IE", "PT", "CZ", "RO", "HU", "RU", "UA"]),
            ("AS", ["TR", "CN", "JP", "KR", "IN", "SG", "HK", "TW", "ID", "PH", "TH", "VN", "MY", "PK", "BD"]),
            ("OC", ["AU", "NZ"]),
            ("AF", ["ZA", "NG", "EG", "MA", "KE", "ET", "DZ", "GH", "TZ", "CI", "SN"]),
        ]
        for (continent, countries) in table {
            for country in countries { map[country] = continent }
        }
        return map
    }()

    /// The default range: 1970-01-01T00:00:00Z to 2099-12-31T23:59:59Z.
    static let defaultRange: (from: Int64, to: Int64) = (0, ISOTime.days(year: 2099, month: 12, day: 31) * ISOTime.dayMilliseconds + 86_399_000)

    /// The range of 8.1: `from`/`to` when both occur once, parse and are ordered; else all data.
    static func range(_ params: [(name: String, value: String)]) -> (from: Int64, to: Int64) {
        guard let fromText = Query.single(params, "from"), let toText = Query.single(params, "to") else { return self.defaultRange }
        // `new Date(`${from}T00:00:00Z`)` and `new Date(`${to}T23:59:59Z`)`.
        let from = JavaScript.parseDate(JSString(fromText + "T00:00:00Z"))
        let to = JavaScript.parseDate(JSString(toText + "T23:59:59Z"))
        guard !from.isNaN, !to.isNaN, from <= to else { return self.defaultRange }
        return (Int64(from), Int64(to))
    }

    /// The answer: the full body, or the fallback when anything fails.
    func response(params: [(name: String, value: String)]) async -> JSONValue {
        do {
            return try await self.compute(params)
        } catch {
            return Self.fallback(today: ISOTime.datePart(milliseconds: self.now), windowDays: self.config.windowDays)
        }
    }

    /// The zero-filled fallback of 8.3.
    static func fallback(today: String, windowDays: JSONValue) -> JSONValue {
        let zeros24 = JSONValue.array(Array(repeating: 0, count: 24))
        return [
            "from": .string(today), "to": .string(today), "windowDays": windowDays, "total": 0, "uniques": 0, "osTypes": 0,
            "extTypes": 0, "vscodeTypes": 0, "daily": ["dates": [], "hits": [], "uniques": []], "dailyOs": ["labels": [], "series": []],
            "byEvent": [:], "byOs": [:], "byExt": [:], "byVscode": [:], "hourly": zeros24, "hourlyVisitors": zeros24,
            "dow": .array(Array(repeating: 0, count: 7)), "runs": ["started": 0, "completed": 0],
            "errors": ["compile": 0, "runtime": 0, "compileRate": 0, "runtimeRate": 0],
            "durations": ["count": 0, "median": 0, "p90": 0, "hist": ["labels": [], "values": []], "avgWaitMs": 0],
            "exitCodes": [:], "outputBuckets": [:], "interactiveRate": 0, "truncationRate": 0, "topExceptions": [:],
            "geo": ["byContinent": [:], "byCountry": [:]],
            "tables": ["eventsTop": [], "extTop": [], "vscodeTop": [], "exitTop": [], "exceptionsTop": []],
        ]
    }

    // MARK: Computation

    private func compute(_ params: [(name: String, value: String)]) async throws -> JSONValue {
        let (from, to) = Self.range(params)
        var trace: [JSONValue] = []
        func run(_ sql: String, _ bindings: [D1Value]) async throws -> [D1Row] {
            trace.append(["sql": .string(sql), "params": .array(bindings.map(\.json))])
            return try await self.database.prepare(sql).bind(bindings).all().results
        }
        let rows = try await run(Self.rowsSQL, [.integer(from), .integer(to)]).map(StatsRow.init)
        let activeRows = try await run(Self.activeSQL, [.integer(self.now - 600_000)])
        let installsTotal = try await run(Self.installsSQL, []).first?["n"] ?? .integer(0)

        var body = JSONObject()
        body["from"] = .string(ISOTime.datePart(milliseconds: from))
        body["to"] = .string(ISOTime.datePart(milliseconds: to))
        body["windowDays"] = self.config.windowDays
        body["total"] = Self.count(rows.count)
        body["uniques"] = Self.count(Set(rows.map(\.anon)).count)
        let byEvent = Self.ranked(rows.map(\.evt))
        let byOs = Self.ranked(rows.map { $0.os ?? "Unknown" })
        let byExt = Self.ranked(rows.map { $0.ext ?? "Unknown" })
        let byVscode = Self.ranked(rows.map { $0.vscode ?? "Unknown" })
        body["osTypes"] = Self.count(byOs.count)
        body["extTypes"] = Self.count(byExt.count)
        body["vscodeTypes"] = Self.count(byVscode.count)
        let (daily, dailyOs) = Self.daily(rows, from: from, to: to)
        body["daily"] = daily
        body["dailyOs"] = dailyOs
        body["byEvent"] = Self.object(byEvent)
        body["byOs"] = Self.object(byOs)
        body["byExt"] = Self.object(byExt)
        body["byVscode"] = Self.object(byVscode)
        var hourly = Array(repeating: 0, count: 24)
        var hourlyVisitors = Array(repeating: Set<String>(), count: 24)
        var dow = Array(repeating: 0, count: 7)
        for row in rows {
            let day = ISOTime.floorDiv(row.t, ISOTime.dayMilliseconds)
            let hour = Int((row.t - day * ISOTime.dayMilliseconds) / 3_600_000)
            hourly[hour] += 1
            hourlyVisitors[hour].insert(row.anon)
            dow[Int(((day + 4) % 7 + 7) % 7)] += 1
        }
        body["hourly"] = .array(hourly.map(Self.count))
        body["hourlyVisitors"] = .array(hourlyVisitors.map { Self.count($0.count) })
        body["dow"] = .array(dow.map(Self.count))

        let started = rows.filter { $0.evt == "java.run.started" }.count
        let completed = rows.filter { $0.evt == "java.run.completed" }
        body["runs"] = ["started": Self.count(started), "completed": Self.count(completed.count)]
        let errorRows = rows.filter { $0.evt == "java.run.error" }
        let compile = errorRows.filter { $0.phase == "compile" }.count
        let runtime = errorRows.filter { $0.phase != nil && $0.phase != "compile" }.count
        body["errors"] = [
            "compile": Self.count(compile), "runtime": Self.count(runtime),
            "compileRate": Self.rate(compile, started), "runtimeRate": Self.rate(runtime, started),
        ]
        body["durations"] = try Self.durations(completed)
        let exitCodes = Self.ranked(completed.map(\.exitText))
        body["exitCodes"] = Self.object(exitCodes)
        body["outputBuckets"] = Self.object(Self.ranked(completed.map { $0.bucket ?? "-" }))
        var interactive = 0
        var truncated = 0
        for row in completed {
            if try row.interactive() == true { interactive += 1 }
            if try row.truncated() == true { truncated += 1 }
        }
        body["interactiveRate"] = Self.rate(interactive, completed.count)
        body["truncationRate"] = Self.rate(truncated, completed.count)
        let topExceptions = Array(Self.ranked(errorRows.compactMap(\.exceptionHash)).prefix(50))
        body["topExceptions"] = Self.object(topExceptions)
        body["geo"] = Self.geo(rows)
        body["activeSessions"] = Self.count(Self.activeSessions(activeRows))
        body["installsTotal"] = installsTotal.json
        body["installsWindow"] = Self.count(rows.filter { $0.evt == "install.created" }.count)
        body["sessionsRecent"] = try Self.sessionsRecent(rows)
        body["dailyLearningOutcomes"] = try Self.dailyLearningOutcomes(completed)
        body["sessions"] = try Self.sessions(completed)
        let total = rows.count
        body["tables"] = [
            "eventsTop": Self.table(byEvent, name: "event", total: total),
            "extTop": Self.table(byExt, name: "version", total: total),
            "vscodeTop": Self.table(byVscode, name: "version", total: total),
            "exitTop": Self.table(exitCodes, name: "code", total: total),
            "exceptionsTop": Self.table(topExceptions, name: "exceptionHash", total: total),
        ]
        if self.config.traceStats { body["_trace"] = .array(trace) }
        return .object(body)
    }

    // MARK: Pieces

    static func count(_ value: Int) -> JSONValue { .number(Double(value)) }

    static func rate(_ part: Int, _ whole: Int) -> JSONValue {
        whole == 0 ? 0 : .number(Double(part) / Double(whole))
    }

    /// Byte order, as PostgreSQL's C collation sorts.
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Group counts, count descending, ties by key ascending.
    static func ranked(_ keys: [String]) -> [(key: String, count: Int)] {
        var counts: [String: Int] = [:]
        for key in keys { counts[key, default: 0] += 1 }
        return counts.map { (key: $0.key, count: $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : self.precedes($0.key, $1.key)
        }
    }

    /// The rows as a JavaScript object (integer-like keys first, as JavaScript orders them).
    static func object(_ rows: [(key: String, count: Int)]) -> JSONValue {
        var object = JSONObject()
        for row in rows { object[row.key] = self.count(row.count) }
        return .object(object)
    }

    static func daily(_ rows: [StatsRow], from: Int64, to: Int64) -> (daily: JSONValue, dailyOs: JSONValue) {
        let firstDay = ISOTime.floorDiv(from, ISOTime.dayMilliseconds)
        let lastDay = ISOTime.floorDiv(to, ISOTime.dayMilliseconds)
        let dayCount = Int(lastDay - firstDay + 1)
        var hits = Array(repeating: 0, count: dayCount)
        var visitors = Array(repeating: Set<String>(), count: dayCount)
        var osByDay: [Int: [String: Int]] = [:]
        for row in rows {
            let index = Int(ISOTime.floorDiv(row.t, ISOTime.dayMilliseconds) - firstDay)
            guard index >= 0, index < dayCount else { continue }
            hits[index] += 1
            visitors[index].insert(row.anon)
            osByDay[index, default: [:]][row.os ?? "Unknown", default: 0] += 1
        }
        var seriesKeys: [String] = []
        var seriesData: [String: [JSONValue]] = [:]
        for index in osByDay.keys.sorted() {
            for (os, count) in osByDay[index, default: [:]].sorted(by: { self.precedes($0.key, $1.key) }) {
                if seriesData[os] == nil {
                    seriesKeys.append(os)
                    seriesData[os] = Array(repeating: 0, count: dayCount)
                }
                seriesData[os]?[index] = self.count(count)
            }
        }
        let dates = JSONValue.array((0..<dayCount).map { .string(ISOTime.date(days: firstDay + Int64($0))) })
        let daily: JSONValue = ["dates": dates, "hits": .array(hits.map(self.count)), "uniques": .array(visitors.map { self.count($0.count) })]
        let series = JSONValue.array(seriesKeys.map { ["key": .string($0), "data": .array(seriesData[$0] ?? [])] })
        return (daily, ["labels": dates, "series": series])
    }

    static func durations(_ completed: [StatsRow]) throws(StatsError) -> JSONValue {
        var values: [Int64] = []
        var waits: [Int64] = []
        var histogram = Array(repeating: 0, count: self.histogramLabels.count)
        for row in completed {
            guard let duration = try row.duration() else { continue }
            values.append(duration)
            if let wait = try row.wait() { waits.append(wait) }
            if duration >= 0 { histogram[self.histogramBounds.firstIndex { duration < $0 } ?? self.histogramBounds.count] += 1 }
        }
        values.sort()
        func percentile(_ p: Double) -> JSONValue {
            guard !values.isEmpty else { return 0 }
            let index = max(1, Int((p * Double(values.count)).rounded(.up)))
            return .integer(values[min(index, values.count) - 1])
        }
        let average = waits.isEmpty ? 0 : waits.reduce(0.0) { $0 + Double($1) } / Double(waits.count)
        return [
            "count": self.count(values.count), "median": percentile(0.5), "p90": percentile(0.9),
            "hist": ["labels": .array(self.histogramLabels.map { .string($0) }), "values": .array(histogram.map(self.count))],
            "avgWaitMs": .number(average),
        ]
    }

    static func geo(_ rows: [StatsRow]) -> JSONValue {
        var hits: [String: Int] = [:]
        var visitors: [String: Set<String>] = [:]
        for row in rows {
            let country = row.country ?? "Unknown"
            hits[country, default: 0] += 1
            visitors[country, default: []].insert(row.anon)
        }
        let ordered = hits.sorted { $0.value != $1.value ? $0.value > $1.value : self.precedes($0.key, $1.key) }
        var byCountry = JSONObject()
        for (country, count) in ordered {
            byCountry[country] = ["hits": self.count(count), "visitors": self.count(visitors[country]?.count ?? 0)]
        }
        var continentOrder: [String] = []
        var sums: [String: (hits: Int, visitors: Int)] = [:]
        for country in byCountry.keys.map(\.string) {
            let continent = self.continents[country] ?? "Unknown"
            if sums[continent] == nil { continentOrder.append(continent) }
            let previous = sums[continent] ?? (0, 0)
            sums[continent] = (previous.hits + (hits[country] ?? 0), previous.visitors + (visitors[country]?.count ?? 0))
        }
        var byContinent = JSONObject()
        for continent in continentOrder {
            let sum = sums[continent] ?? (0, 0)
            byContinent[continent] = ["hits": self.count(sum.hits), "visitors": self.count(sum.visitors)]
        }
        return ["byContinent": .object(byContinent), "byCountry": .object(byCountry)]
    }

    /// Sessions with an event in the last 10 minutes and no `java.run.completed` among those events.
    static func activeSessions(_ rows: [D1Row]) -> Int {
        var completed: [String: Bool] = [:]
        for row in rows {
            guard case .text(let session)? = row["session_id"] else { continue }
            let isCompleted = row["evt"] == .text("java.run.completed")
            completed[session] = (completed[session] ?? false) || isCompleted
        }
        return completed.values.filter { !$0 }.count
    }

    static func sessionsRecent(_ rows: [StatsRow]) throws(StatsError) -> JSONValue {
        struct Session {
            var id: String
            var student: String
            var started: Int64
            var last: Int64
            var completed = false
            var exit: Int64?
            var duration: Int64?
            var interactive = false
        }
        var sessions: [String: Session] = [:]
        for row in rows {
            guard let id = row.session else { continue }
            var session = sessions[id] ?? Session(id: id, student: row.anon, started: row.t, last: row.t)
            session.started = min(session.started, row.t)
            session.last = max(session.last, row.t)
            if row.evt == "java.run.completed" { session.completed = true }
            if let exit = try row.exit() { session.exit = max(session.exit ?? exit, exit) }
            if let duration = try row.duration() { session.duration = max(session.duration ?? duration, duration) }
            if try row.interactive() == true { session.interactive = true }
            sessions[id] = session
        }
        let ordered = sessions.values.sorted { $0.last != $1.last ? $0.last > $1.last : self.precedes($0.id, $1.id) }.prefix(100)
        return .array(
            ordered.map { session in
                let exit = session.exit.flatMap { $0 == 0 ? nil : $0 } ?? -1
                return [
                    "id": .string(session.id), "student": .string(session.student),
                    "startedAt": .string(ISOTime.string(milliseconds: session.started)),
                    "lastAt": .string(ISOTime.string(milliseconds: session.last)), "completed": .bool(session.completed),
                    "exit": .integer(exit), "durationMs": .integer(session.duration ?? 0), "interactive": .bool(session.interactive),
                ]
            }
        )
    }

    static func dailyLearningOutcomes(_ completed: [StatsRow]) throws(StatsError) -> JSONValue {
        var counts: [Int64: [Int64: Int]] = [:]
        for row in completed {
            let day = ISOTime.floorDiv(row.t, ISOTime.dayMilliseconds)
            counts[day, default: [:]][try row.exit() ?? 0, default: 0] += 1
        }
        var outcome = JSONObject()
        for day in counts.keys.sorted() {
            var inner = JSONObject()
            for (exit, count) in counts[day, default: [:]].sorted(by: { $0.key < $1.key }) { inner[String(exit)] = self.count(count) }
            outcome[ISOTime.date(days: day)] = .object(inner)
        }
        return .object(outcome)
    }

    static func sessions(_ completed: [StatsRow]) throws(StatsError) -> JSONValue {
        struct Run {
            var row: StatsRow
            var interactive: Bool?
            var duration: Int64?
        }
        var success: [Run] = []
        var frustrated: [Run] = []
        for row in completed {
            let exit = try row.exit()
            guard exit == 0 || exit == 130 else { continue }
            let run = Run(row: row, interactive: try row.interactive(), duration: try row.duration())
            if exit == 0 { success.append(run) } else { frustrated.append(run) }
        }
        func flagRank(_ flag: Bool?, trueFirst: Bool) -> Int {
            switch flag {
            case true?: trueFirst ? 0 : 1
            case false?: trueFirst ? 1 : 0
            case nil: 2
            }
        }
        func order(_ runs: [Run], descending: Bool) -> [Run] {
            runs.sorted { a, b in
                let flagA = flagRank(a.interactive, trueFirst: descending)
                let flagB = flagRank(b.interactive, trueFirst: descending)
                if flagA != flagB { return flagA < flagB }
                switch (a.duration, b.duration) {
                case (let x?, let y?) where x != y: return descending ? x > y : x < y
                case (.some, nil): return true
                case (nil, .some): return false
                default: return a.row.id < b.row.id
                }
            }
        }
        func item(_ run: Run, exit: Int64) -> JSONValue {
            let anon = Array(run.row.anon.utf16)
            let suffix = anon.count >= 6 ? String(decoding: anon.suffix(6), as: UTF16.self) : "—"
            var object: JSONObject = [
                "student": .string("Student #" + suffix), "ts": .string(ISOTime.string(milliseconds: run.row.t)),
                "durationMs": .integer(run.duration ?? 0), "interactive": .bool(run.interactive == true), "exit": .integer(exit),
            ]
            if let bucket = run.row.bucket, !bucket.isEmpty { object["outputBucket"] = .string(bucket) }
            return .object(object)
        }
        return [
            "successTop": .array(order(success, descending: true).prefix(20).map { item($0, exit: 0) }),
            "frustratedTop": .array(order(frustrated, descending: false).prefix(20).map { item($0, exit: 130) }),
        ]
    }

    static func table(_ rows: [(key: String, count: Int)], name: String, total: Int) -> JSONValue {
        .array(
            rows.prefix(20).map { row in
                let pct = total == 0 ? 0 : Double(row.count) / Double(total)
                return [
                    "key": .string(row.key), name: .string(row.key), "count": self.count(row.count), "pct": .number(pct),
                    "percent": .number(JavaScript.mathRound(pct * 1000) / 10),
                ]
            }
        )
    }
}
