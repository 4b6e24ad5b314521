import DriftWorker
import FlareletCore
import FlareletCron
import FlareletD1
import FlareletServer
import FlareletTesting
import Foundation
import Testing
import VoiceModeWorker

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func database(schema: String) async throws -> SQLiteD1Database {
    let database = try SQLiteD1Database(path: ":memory:")
    let text = try String(contentsOf: repoRoot.appendingPathComponent(schema), encoding: .utf8)
    _ = try await database.batch(queries: SQLSplitter.split(text).map { D1Query(sql: $0) })
    return database
}

/// The scheduler fires the worker's configured cron at 02:00 UTC on the fake clock, and the worker's retention
/// runs against the same bindings.
struct RetentionEndToEndTests {
    @Test func voiceModeDailyRunDeletesOnly90DayOldEvents() async throws {
        let clock = TestClock(iso("2026-11-23T01:59:30Z"))
        let db = try await database(schema: "schema.sql")
        defer { db.close() }
        let env = Env(d1Databases: ["DB": db], kvNamespaces: ["KV": MemoryKVNamespace(clock: clock)], clock: clock)
        let insert =
            "INSERT INTO events (event_id, telemetry_id, timestamp, environment, usage, client_ip_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        let runAt = iso("2026-11-23T02:00:00Z")
        for (id, days) in [("old-91", 91.0), ("edge-90-plus", 90.0 + 1 / 24), ("keep-89", 89.0), ("new", 0.0)] {
            let created = runAt.addingTimeInterval(-days * 86400).isoString
            _ = try await db.prepare(insert).bind(
                .text(id),
                "00000000-0000-0000-0000-000000000000",
                .text(created),
                "{}",
                "{}",
                "b23a6a8439c0dde5",
                .text(created)
            ).run()
        }
        let worker = VoiceModeWorker()
        let outcomes = LockedValue<[String]>([])
        let scheduler = CronScheduler(crons: [try CronExpression(parsing: "0 2 * * *")], clock: clock) { cron, time in
            let outcome = await Invocation.scheduled(worker, cron: cron, scheduledTime: time, env: env)
            outcomes.withLock { $0.append(outcome.outcome) }
        }
        let task = Task { try await scheduler.run() }
        try await eventually { clock.sleeperCount == 1 }
        // 01:59:59: nothing has run yet.
        clock.set(runAt.addingTimeInterval(-1))
        try await Task.sleep(nanoseconds: 20_000_000)
        #expect(outcomes.withLock { $0 }.isEmpty)
        #expect(try await db.prepare("SELECT COUNT(*) AS n FROM events").first("n") == .integer(4))
        clock.set(runAt)
        try await eventually { outcomes.withLock { $0 } == ["ok"] }
        task.cancel()
        _ = try? await task.value
        let rows = try await db.prepare("SELECT event_id FROM events ORDER BY event_id").raw()
        #expect(rows == [[.text("keep-89")], [.text("new")]])
    }

    @Test func driftDailyRunDeletesOnlyEventsOlderThan90Days() async throws {
        let clock = TestClock(iso("2026-11-23T02:59:00Z"))
        let db = try await database(schema: "workers/drift/schema.sql")
        defer { db.close() }
        let env = Env(d1Databases: ["DB": db], clock: clock)
        let runAt = iso("2026-11-23T03:00:00Z")
        let insert = "INSERT INTO events (type, timestamp, installation_id, drift_version, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        for (id, days) in [("old-91", 91.0), ("keep-89", 89.0), ("new", 0.0)] {
            let created = String(runAt.addingTimeInterval(-days * 86400).isoString.prefix(19)).replacingOccurrences(of: "T", with: " ")
            _ = try await db.prepare(insert).bind("scan_completion", "t", .text(id), "1.0", "{}", .text(created)).run()
        }
        _ = try await db.prepare("INSERT INTO daily_stats (date, metric, value) VALUES ('2026-01-01', 'events:x', 3)").run()
        let worker = DriftWorker()
        let outcomes = LockedValue<[String]>([])
        let scheduler = CronScheduler(crons: [try CronExpression(parsing: "0 3 * * *")], clock: clock) { cron, time in
            let outcome = await Invocation.scheduled(worker, cron: cron, scheduledTime: time, env: env)
            outcomes.withLock { $0.append(outcome.outcome) }
        }
        let task = Task { try await scheduler.run() }
        try await eventually { clock.sleeperCount == 1 }
        clock.set(runAt)
        try await eventually { outcomes.withLock { $0 } == ["ok"] }
        task.cancel()
        _ = try? await task.value
        let rows = try await db.prepare("SELECT installation_id FROM events ORDER BY installation_id").raw()
        #expect(rows == [[.text("keep-89")], [.text("new")]])
        #expect(try await db.prepare("SELECT COUNT(*) AS n FROM daily_stats").first("n") == .integer(1))
    }
}
