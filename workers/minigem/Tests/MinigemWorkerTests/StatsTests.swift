import Flarelet
import FlareletTesting
import Foundation
import Testing

@testable import MinigemWorker

struct StatsTests {
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000
    static let a = "00000000000000000000000000a1b2c3"
    static let b = "000000000000000000000000000bbbbb"
    static let c = "0000000000000000000000000000cccc"

    /// Rows on 2026-01-01 and 2026-01-02, plus one on each side of the range.
    static func seed(_ minigem: Minigem) async throws {
        let d = startMilliseconds
        let h = Self.hour
        try await minigem.insert(t: d + h, anon: a, evt: "java.run.started", os: "Linux", ext: "1.0", vscode: "1.90", country: "US", session: "s1")
        try await minigem.insert(
            t: d + h + 1000,
            anon: a,
            evt: "java.run.completed",
            os: "Linux",
            ext: "1.0",
            vscode: "1.90",
            country: "US",
            duration: 1200,
            wait: 100,
            exit: 0,
            session: "s1",
            bucket: "1-10KB",
            scanner: true,
            truncated: false
        )
        try await minigem.insert(t: d + 2 * h, anon: b, evt: "java.run.started", os: "Windows_NT", ext: "1.1", country: "DE", session: "s2")
        try await minigem.insert(
            t: d + 2 * h + 5,
            anon: b,
            evt: "java.run.completed",
            os: "Windows_NT",
            ext: "1.1",
            country: "DE",
            duration: 400,
            exit: 130,
            session: "s2",
            scanner: false,
            truncated: true
        )
        try await minigem.insert(
            t: d + 2 * h + 10,
            anon: b,
            evt: "java.run.error",
            os: "Windows_NT",
            ext: "1.1",
            country: "DE",
            session: "s2",
            phase: "compile",
            hash: "h1"
        )
        try await minigem.insert(t: d + 27 * h, anon: c, evt: "java.run.error", phase: "runtime", hash: "h1")
        try await minigem.insert(t: d + 27 * h, anon: c, evt: "install.created")
        try await minigem.insert(
            t: d + 36 * h - 300_000,
            anon: a,
            evt: "java.run.started",
            os: "Linux",
            ext: "1.0",
            vscode: "1.90",
            country: "US",
            session: "s3"
        )
        try await minigem.insert(t: d - 1, anon: "ffffffffffffffffffffffffffffffff", evt: "install.created")
        try await minigem.insert(t: d + 2 * Self.day - 1000, anon: "ffffffffffffffffffffffffffffffff", evt: "test.ping")
    }

    static let expected = """
        {"from":"2026-01-01","to":"2026-01-02","windowDays":7,"total":8,"uniques":3,"osTypes":3,"extTypes":3,"vscodeTypes":2,\
        "daily":{"dates":["2026-01-01","2026-01-02"],"hits":[5,3],"uniques":[2,2]},\
        "dailyOs":{"labels":["2026-01-01","2026-01-02"],"series":[{"key":"Linux","data":[2,1]},{"key":"Windows_NT","data":[3,0]},\
        {"key":"Unknown","data":[0,2]}]},\
        "byEvent":{"java.run.started":3,"java.run.completed":2,"java.run.error":2,"install.created":1},\
        "byOs":{"Linux":3,"Windows_NT":3,"Unknown":2},"byExt":{"1.0":3,"1.1":3,"Unknown":2},"byVscode":{"Unknown":5,"1.90":3},\
        "hourly":[0,2,3,2,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0],\
        "hourlyVisitors":[0,1,1,1,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0],"dow":[0,0,0,0,5,3,0],\
        "runs":{"started":3,"completed":2},\
        "errors":{"compile":1,"runtime":1,"compileRate":0.3333333333333333,"runtimeRate":0.3333333333333333},\
        "durations":{"count":2,"median":400,"p90":1200,"hist":{"labels":["0-500ms","500-1000ms","1000-3000ms","3000-10000ms",\
        "10000-30000ms","30000-60000ms","60000-120000ms","≥120000ms"],"values":[1,0,1,0,0,0,0,0]},"avgWaitMs":100},\
        "exitCodes":{"0":1,"130":1},"outputBuckets":{"-":1,"1-10KB":1},"interactiveRate":0.5,"truncationRate":0.5,\
        "topExceptions":{"h1":2},\
        "geo":{"byContinent":{"EU":{"hits":3,"visitors":1},"NA":{"hits":3,"visitors":1},"Unknown":{"hits":2,"visitors":1}},\
        "byCountry":{"DE":{"hits":3,"visitors":1},"US":{"hits":3,"visitors":1},"Unknown":{"hits":2,"visitors":1}}},\
        "activeSessions":1,"installsTotal":2,"installsWindow":1,\
        "sessionsRecent":[\
        {"id":"s3","student":"00000000000000000000000000a1b2c3","startedAt":"2026-01-02T11:55:00.000Z","lastAt":"2026-01-02T11:55:00.000Z",\
        "completed":false,"exit":-1,"durationMs":0,"interactive":false},\
        {"id":"s2","student":"000000000000000000000000000bbbbb","startedAt":"2026-01-01T02:00:00.000Z","lastAt":"2026-01-01T02:00:00.010Z",\
        "completed":true,"exit":130,"durationMs":400,"interactive":false},\
        {"id":"s1","student":"00000000000000000000000000a1b2c3","startedAt":"2026-01-01T01:00:00.000Z","lastAt":"2026-01-01T01:00:01.000Z",\
        "completed":true,"exit":-1,"durationMs":1200,"interactive":true}],\
        "dailyLearningOutcomes":{"2026-01-01":{"0":1,"130":1}},\
        "sessions":{"successTop":[{"student":"Student #a1b2c3","ts":"2026-01-01T01:00:01.000Z","durationMs":1200,"interactive":true,\
        "exit":0,"outputBucket":"1-10KB"}],"frustratedTop":[{"student":"Student #0bbbbb","ts":"2026-01-01T02:00:00.005Z",\
        "durationMs":400,"interactive":false,"exit":130}]},\
        "tables":{"eventsTop":[{"key":"java.run.started","event":"java.run.started","count":3,"pct":0.375,"percent":37.5},\
        {"key":"java.run.completed","event":"java.run.completed","count":2,"pct":0.25,"percent":25},\
        {"key":"java.run.error","event":"java.run.error","count":2,"pct":0.25,"percent":25},\
        {"key":"install.created","event":"install.created","count":1,"pct":0.125,"percent":12.5}],\
        "extTop":[{"key":"1.0","version":"1.0","count":3,"pct":0.375,"percent":37.5},{"key":"1.1","version":"1.1","count":3,"pct":0.375,\
        "percent":37.5},{"key":"Unknown","version":"Unknown","count":2,"pct":0.25,"percent":25}],\
        "vscodeTop":[{"key":"Unknown","version":"Unknown","count":5,"pct":0.625,"percent":62.5},{"key":"1.90","version":"1.90","count":3,\
        "pct":0.375,"percent":37.5}],\
        "exitTop":[{"key":"0","code":"0","count":1,"pct":0.125,"percent":12.5},{"key":"130","code":"130","count":1,"pct":0.125,\
        "percent":12.5}],\
        "exceptionsTop":[{"key":"h1","exceptionHash":"h1","count":2,"pct":0.25,"percent":25}]}}
        """

    @Test func fullResponseOverInsertedRows() async throws {
        try await withMinigem { minigem async throws in
            try await Self.seed(minigem)
            minigem.clock.advance(by: 36 * 3600)
            let response = await minigem.request("GET", "/stats?from=2026-01-01&to=2026-01-02")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == jsonType)
            #expect(response.text == (try JSONValue.parse(Self.expected)).stringify())
        }
    }

    @Test func activeSessionsIgnoreTheRangeAndCompletedSessions() async throws {
        try await withMinigem { minigem async throws in
            let now = startMilliseconds
            try await minigem.insert(t: now - 600_000, evt: "java.run.started", session: "edge")
            try await minigem.insert(t: now - 600_001, evt: "java.run.started", session: "old")
            try await minigem.insert(t: now + 5000, evt: "java.run.started", session: "future")
            try await minigem.insert(t: now - 1000, evt: "java.run.started", session: "done")
            try await minigem.insert(t: now - 500, evt: "java.run.completed", session: "done")
            try await minigem.insert(t: now - 1000, evt: "java.run.started")
            let json = try bodyJSON(await minigem.request("GET", "/stats?from=1999-01-01&to=1999-01-01"))
            #expect(json["activeSessions"] == 2)
            #expect(json["total"] == 0)
        }
    }

    @Test func defaultRangeCoversAllDataAndExcludesTheLastSecondOfTheToDay() async throws {
        try await withMinigem(vars: ["STATS_WINDOW_DAYS": "30"]) { minigem async throws in
            try await minigem.insert(t: 0, evt: "test.ping")
            try await minigem.insert(t: -1, evt: "test.ping")
            try await minigem.insert(t: 4_102_444_798_999, evt: "test.ping")
            try await minigem.insert(t: 4_102_444_799_000, evt: "test.ping")
            let json = try bodyJSON(await minigem.request("GET", "/stats"))
            #expect(json["from"] == "1970-01-01")
            #expect(json["to"] == "2099-12-31")
            #expect(json["windowDays"] == 30)
            #expect(json["total"] == 2)
            let dates = try #require(json["daily"]?["dates"]?.arrayValue)
            #expect(dates.count == 47482)
            #expect(dates.last == "2099-12-31")
            #expect(json["dow"] == [0, 0, 0, 0, 2, 0, 0])
        }
    }

    @Test(arguments: [
        ("from=2024-02-30&to=2024-03-01", Optional(("2024-03-01", "2024-03-01"))),
        ("from=2024-02&to=2024", nil),
        ("from=2024&to=2024-01", Optional(("2024-01-01", "2024-01-01"))),
        ("from=%2B002024-08-01&to=2024-08-02", Optional(("2024-08-01", "2024-08-02"))),
        ("from=2024-8-1&to=2024-08-02", nil),
        ("from=2024-13-01&to=2024-12-01", nil),
        ("from=2024-01-32&to=2024-12-01", nil),
        ("from=2024-01-01", nil),
        ("from=2024-01-01&to=2024-01-02&to=2024-01-03", nil),
        ("from=2024-01-03&to=2024-01-02", nil),
        ("from=-000000-01-01&to=2024-01-02", nil),
    ])
    func range(query: String, bounds: (String, String)?) async throws {
        try await withMinigem { minigem async throws in
            let json = try bodyJSON(await minigem.request("GET", "/stats?" + query))
            #expect(json["from"]?.stringValue == (bounds?.0 ?? "1970-01-01"))
            #expect(json["to"]?.stringValue == (bounds?.1 ?? "2099-12-31"))
        }
    }

    @Test func booleanFlagsFallBackToMAndBadValuesGiveTheFallback() async throws {
        try await withMinigem(vars: ["STATS_WINDOW_DAYS": "abc"]) { minigem async throws in
            let d = startMilliseconds
            try await minigem.insert(t: d, evt: "java.run.completed", exit: 0, m: #"{"scannerUsage":" YE ","truncatedOutput":1,"exit":5}"#)
            try await minigem.insert(t: d, evt: "java.run.completed", m: #"{"scannerUsage":"of","exit":"7","durationMs":"250"}"#)
            let good = try bodyJSON(await minigem.request("GET", "/stats?from=2026-01-01&to=2026-01-01"))
            #expect(good["windowDays"] == .null)
            #expect(good["interactiveRate"] == 0.5)
            #expect(good["truncationRate"] == 0.5)
            #expect(good["exitCodes"]?.stringify() == #"{"0":1,"7":1}"#)
            #expect(good["durations"]?["median"] == 250)
            try await minigem.insert(t: d, evt: "java.run.completed", m: #"{"scannerUsage":"abc"}"#)
            let fallback = await minigem.request("GET", "/stats?from=2026-01-01&to=2026-01-01")
            #expect(fallback.status == 200)
            let text =
                #"{"from":"2026-01-01","to":"2026-01-01","windowDays":null,"total":0,"uniques":0,"osTypes":0,"extTypes":0,"vscodeTypes":0,"#
                + #""daily":{"dates":[],"hits":[],"uniques":[]},"dailyOs":{"labels":[],"series":[]},"byEvent":{},"byOs":{},"byExt":{},"#
                + #""byVscode":{},"hourly":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"#
                + #""hourlyVisitors":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"dow":[0,0,0,0,0,0,0],"#
                + #""runs":{"started":0,"completed":0},"errors":{"compile":0,"runtime":0,"compileRate":0,"runtimeRate":0},"#
                + #""durations":{"count":0,"median":0,"p90":0,"hist":{"labels":[],"values":[]},"avgWaitMs":0},"exitCodes":{},"#
                + #""outputBuckets":{},"interactiveRate":0,"truncationRate":0,"topExceptions":{},"geo":{"byContinent":{},"byCountry":{}},"#
                + #""tables":{"eventsTop":[],"extTop":[],"vscodeTop":[],"exitTop":[],"exceptionsTop":[]}}"#
            #expect(fallback.text == text)
        }
    }

    @Test func fallbackTextMatchesTheSpec() {
        let text = StatsQuery.fallback(today: "2025-01-01", windowDays: 7).stringify()
        #expect(text.hasPrefix(#"{"from":"2025-01-01","to":"2025-01-01","windowDays":7,"total":0,"#))
        #expect(text.hasSuffix(#""tables":{"eventsTop":[],"extTop":[],"vscodeTop":[],"exitTop":[],"exceptionsTop":[]}}"#))
    }

    @Test func percentilesAndHistogram() async throws {
        try await withMinigem { minigem async throws in
            for duration: Int64 in [-5, 0, 499, 500, 999, 1000, 2999, 3000, 9999, 10000, 120_000] {
                try await minigem.insert(t: startMilliseconds, evt: "java.run.completed", duration: duration, wait: duration == 0 ? 1 : nil)
            }
            try await minigem.insert(t: startMilliseconds, evt: "java.run.completed")
            let json = try bodyJSON(await minigem.request("GET", "/stats?from=2026-01-01&to=2026-01-01"))
            #expect(json["durations"]?.stringify().hasPrefix(#"{"count":11,"median":1000,"p90":10000,"#) == true)
            #expect(json["durations"]?["hist"]?["values"] == [2, 2, 2, 2, 1, 0, 0, 1])
            #expect(json["durations"]?["avgWaitMs"] == 1)
            #expect(json["exitCodes"]?.stringify() == #"{"0":12}"#)
        }
    }

    @Test func traceListsTheQueriesWhenEnabled() async throws {
        try await withMinigem(vars: ["DEBUG_STATS_TRACE": "Yes"]) { minigem async throws in
            let json = try bodyJSON(await minigem.request("GET", "/stats?from=2026-01-01&to=2026-01-01"))
            let trace = try #require(json["_trace"]?.arrayValue)
            #expect(trace.count == 3)
            #expect(trace.first?["params"] == [.number(Double(startMilliseconds)), .number(Double(startMilliseconds + 86_399_000))])
            #expect(json.objectValue?.keys.last == "_trace")
        }
        try await withMinigem { minigem async throws in
            #expect(try bodyJSON(await minigem.request("GET", "/stats"))["_trace"] == nil)
        }
    }

    @Test func withoutDatabaseStatsIs503() async throws {
        try await withMinigem(database: false) { minigem async throws in
            let response = await minigem.request("GET", "/stats")
            #expect(response.status == 503)
            #expect(response.text == #"{"error":"db_disabled","message":"Database not configured. Stats require DB-only mode."}"#)
        }
    }
}
