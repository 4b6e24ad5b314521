import DriftWorker
import Flarelet
import FlareletD1
import FlareletTesting
import Foundation
import Testing

/// Routing, CORS, health, stats, retention and the environments without a `DB` binding (drift.md 1, 2, 5, 6).
struct DriftRoutesTests {
    typealias Support = DriftTestSupport

    static let cors: [(String, String)] = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type"),
    ]

    @Test(arguments: ["/v1/events", "/v1/health", "/v1/stats", "/", "/nowhere/at/all?x=1"])
    func optionsOnAnyPathIsAPreflight(path: String) async throws {
        try await Support.withHarness { harness async throws in
            let response = await harness.fetch("OPTIONS", path)
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            #expect(response.headers.fields.map { "\($0.name): \($0.value)" } == Self.cors.map { "\($0.0): \($0.1)" })
        }
    }

    @Test(arguments: [
        ("GET", "/"), ("GET", "/v1/events"), ("PUT", "/v1/events"), ("POST", "/v1/health"), ("HEAD", "/v1/health"),
        ("GET", "/v1/health/"), ("POST", "/v1/events/"), ("GET", "/v1/stats/"), ("DELETE", "/v1/stats"), ("GET", "/v1"),
        ("GET", "/V1/health"), ("PATCH", "/v1/unknown"),
    ])
    func everythingElseIsA404(method: String, path: String) async throws {
        try await Support.withHarness { harness async throws in
            let response = await harness.fetch(method, path)
            #expect(response.status == 404)
            #expect(response.text == #"{"error":"Not found"}"#)
            #expect(
                response.headers.fields.map { "\($0.name): \($0.value)" }
                    == (["Content-Type: application/json"] + Self.cors.map { "\($0.0): \($0.1)" })
            )
        }
    }

    @Test(arguments: ["/v1/health", "/v1/health?x=1", "/v1/health?"])
    func healthAnswersWithTheClockTime(path: String) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_795_368_440.272))
        try await Support.withHarness(clock: clock, withDatabase: false) { harness async throws in
            let response = await harness.fetch("GET", path)
            #expect(response.status == 200)
            #expect(response.text == #"{"status":"healthy","timestamp":"2026-11-22T17:27:20.272Z"}"#)
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(response.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS")
        }
    }

    @Test func statsOfAnEmptyDatabase() async throws {
        let clock = TestClock(Date())
        try await Support.withHarness(clock: clock) { harness async throws in
            let response = await harness.fetch("GET", "/v1/stats")
            #expect(response.status == 200)
            #expect(response.text == #"{"period":"last_30_days","totalEvents":0,"metrics":{},"generatedAt":"\#(clock.now().isoString)"}"#)
            #expect(response.headers["Access-Control-Allow-Origin"] == "*")
        }
    }

    /// `metrics` covers today and the 30 calendar days before; `totalEvents` the last 30 × 24 hours (SQLite's clock).
    @Test func statsAgreeWithTheStoredRows() async throws {
        let now = Date()
        let clock = TestClock(now)
        try await Support.withHarness(clock: clock) { harness async throws in
            let database = try harness.d1()
            let day: Double = 86_400
            let stats: [(Double, String, Int64)] = [
                (0, "events:pattern_signature", 5), (10, "events:pattern_signature", 4),
                (30, "events:scan_completion", 6), (31, "events:scan_completion", 50), (31, "language:go", 100),
                (1, "unique_installations", 3), (0, "category:api", 1), (2, "big:total", 3_000_000_000),
            ]
            for (daysAgo, metric, value) in stats {
                _ = try await database.prepare("INSERT INTO daily_stats (date, metric, value) VALUES (?, ?, ?)")
                    .bind(.text(Support.sqlDate(now.addingTimeInterval(-daysAgo * day))), .text(metric), .integer(value)).run()
            }
            let ages: [Double] = [60, 29 * day, 30 * day - 3600, 30 * day + 3600, 60 * day]
            for age in ages {
                _ = try await database.prepare(
                    "INSERT INTO events (type, timestamp, installation_id, drift_version, payload, created_at) VALUES ('t', 't', 'i', 'v', '{}', ?)"
                ).bind(.text(Support.sqlTime(now.addingTimeInterval(-age)))).run()
            }
            let response = await harness.fetch("GET", "/v1/stats")
            #expect(response.status == 200)
            #expect(
                response.text
                    == #"{"period":"last_30_days","totalEvents":3,"metrics":{"big:total":3000000000,"events:pattern_signature":9,"#
                    + #""events:scan_completion":6,"unique_installations":3,"category:api":1},"generatedAt":"\#(now.isoString)"}"#
            )
        }
    }

    @Test func statsAfterABatchReportTheBatch() async throws {
        try await Support.withHarness(clock: TestClock(Date())) { harness async throws in
            let events: [JSONValue] = [
                Support.event("pattern_signature", installationId: "a", [("category", "api")]),
                Support.event("pattern_signature", installationId: "b"),
                Support.event("pattern_signature", installationId: "c"),
            ]
            #expect(await harness.post("/v1/events", json: ["events": .array(events)]).status == 200)
            let response = await harness.fetch("GET", "/v1/stats")
            let body = try JSONValue.parse(response.text)
            #expect(body["totalEvents"]?.doubleValue == 3)
            #expect(
                body["metrics"].map { $0.stringify() } == #"{"events:pattern_signature":3,"unique_installations":3,"category:api":1}"#
            )
        }
    }

    @Test func statsFailWith500WhenTheQueryFails() async throws {
        try await Support.withHarness { harness async throws in
            _ = try await harness.d1().prepare("DROP TABLE events").run()
            let response = await harness.fetch("GET", "/v1/stats")
            #expect(response.status == 500)
            #expect(response.text == #"{"error":"Internal server error"}"#)
            #expect(response.headers["Content-Type"] == "application/json")
        }
    }

    /// `--env staging` / `--env production`: no `DB` binding (drift.md 1).
    @Test func environmentWithoutDatabase() async throws {
        try await Support.withHarness(withDatabase: false) { harness async throws in
            #expect(await harness.fetch("GET", "/v1/health").status == 200)
            let events = await harness.post("/v1/events", json: ["events": [Support.event("scan_completion")]])
            #expect(events.status == 500)
            #expect(events.text == #"{"error":"Internal server error"}"#)
            let empty = await harness.post("/v1/events", json: ["events": []])
            #expect(empty.status == 200)
            #expect(empty.text == #"{"success":true,"eventsProcessed":0}"#)
            #expect(await harness.post("/v1/events", json: [:]).status == 400)
            let tooMany = await harness.post("/v1/events", json: ["events": .array(Array(repeating: [:], count: 101))])
            #expect(tooMany.status == 400)
            let stats = await harness.fetch("GET", "/v1/stats")
            #expect(stats.status == 500)
            #expect(stats.text == #"{"error":"Internal server error"}"#)
            #expect(!(await harness.scheduled(cron: "0 3 * * *")).isOK)
        }
    }

    // MARK: Retention (Flarelet addition)

    @Test func retentionDeletesOnlyEventsOlderThan90Days() async throws {
        let now = Date(timeIntervalSince1970: 1_772_679_600)  // 2026-03-05T03:00:00Z
        let clock = TestClock(now)
        try await Support.withHarness(clock: clock) { harness async throws in
            #expect(harness.worker.hasScheduledHandler)
            let database = try harness.d1()
            let day: Double = 86_400
            let ages: [(String, Double)] = [
                ("91 days", 91 * day), ("90 days + 1 s", 90 * day + 1), ("90 days", 90 * day), ("89 days", 89 * day), ("1 hour", 3600),
            ]
            for (label, age) in ages {
                _ = try await database.prepare(
                    "INSERT INTO events (type, timestamp, installation_id, drift_version, payload, created_at) VALUES (?, 't', 'i', 'v', '{}', ?)"
                ).bind(.text(label), .text(Support.sqlTime(now.addingTimeInterval(-age)))).run()
            }
            _ = try await database.prepare("INSERT INTO daily_stats (date, metric, value) VALUES ('2025-01-01', 'events:old', 7)").run()

            let outcome = await harness.scheduled(cron: "0 3 * * *")
            #expect(outcome.isOK)
            let kept = try await harness.rows("SELECT type, created_at FROM events ORDER BY id").map { $0.json }
            #expect(
                kept == [
                    #"{"type":"90 days","created_at":"2025-12-05 03:00:00"}"#,
                    #"{"type":"89 days","created_at":"2025-12-06 03:00:00"}"#,
                    #"{"type":"1 hour","created_at":"2026-03-05 02:00:00"}"#,
                ]
            )
            #expect(try await Support.count(harness, "daily_stats") == 1)
            #expect(harness.logs.messages.contains { $0.contains("deleted 2 events") && $0.contains("2025-12-05 03:00:00") })

            // Three days later the cutoff is 2025-12-08 03:00:00: only the recent event is left.
            clock.advance(by: 3 * day)
            #expect(await harness.scheduled(cron: "0 3 * * *").isOK)
            #expect(try await Support.count(harness, "events") == 1)
            #expect(try await Support.count(harness, "daily_stats") == 1)
        }
    }

    @Test func schemaIsIdempotent() async throws {
        try await Support.withHarness { harness async throws in
            let database = try harness.d1()
            try await TestFiles.applySchema(try TestFiles.path("schema.sql"), to: database)
            let tables = try await database.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).all().results.map { $0["name"] }
            #expect(tables == [.text("action_aggregates"), .text("daily_stats"), .text("events"), .text("pattern_signatures")])
            let indexes = try await database.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%' ORDER BY name"
            ).all().results.compactMap { row -> String? in
                if case .text(let name)? = row["name"] { return name }
                return nil
            }
            #expect(
                indexes == [
                    "idx_actions_category", "idx_daily_stats_date", "idx_daily_stats_metric", "idx_events_created",
                    "idx_events_installation", "idx_events_timestamp", "idx_events_type", "idx_signatures_category",
                    "idx_signatures_language",
                ]
            )
        }
    }

    // MARK: Contract fixtures

    @Test func fixturesPassInProcess() async throws {
        try await Support.withHarness(clock: SystemClock()) { harness async throws in
            let results = try await harness.playContract(try Support.fixturesFolder)
            #expect(results.count == (try ContractRunner.caseFiles(in: try Support.fixturesFolder)).count)
            #expect(results.count >= 30)
            #expect(results.problems == [])
        }
    }
}
