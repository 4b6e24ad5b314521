import Flarelet
import FlareletTesting
import Foundation
import Logging
import Testing
import VoiceModeWorker

struct RetentionTests {
    private static let day: TimeInterval = 86_400

    @Test func cleanupDeletesEventsCreatedMoreThan90DaysAgo() async throws {
        try await withVoiceMode { fixture async throws in
            let cleanupTime = Date(timeIntervalSince1970: 1_767_232_800)  // 2026-01-01T02:00:00Z
            let tid = newTelemetryID()
            // Events created (server clock) 91 and 89 days before the cleanup run; their client timestamps are an
            // hour before their creation.
            for (eventID, age) in [("old-91", 91.0), ("kept-89", 89.0), ("kept-1", 1.0)] {
                let created = cleanupTime.addingTimeInterval(-age * Self.day)
                fixture.clock.set(created)
                let response = await fixture.post(
                    payload(eventID: eventID, telemetryID: tid, timestamp: created.addingTimeInterval(-3600).isoString)
                )
                #expect(response.status == 200)
            }
            fixture.clock.set(cleanupTime)
            try await fixture.kv.put("rate:id:\(tid)", "3", options: KVPutOptions(expirationTtl: 3600))
            let outcome = await fixture.harness.scheduled(cron: "0 2 * * *")
            #expect(outcome.isOK)
            #expect(outcome.outcome == "ok")
            let rows = try await fixture.rows("SELECT event_id, created_at FROM events ORDER BY created_at")
            #expect(
                rows == [
                    ["event_id": "kept-89", "created_at": "2025-10-04T02:00:00.000Z"],
                    ["event_id": "kept-1", "created_at": "2025-12-31T02:00:00.000Z"],
                ]
            )
            #expect(fixture.logs.entries.contains { $0.level == .info && $0.message == "Cleaned up events older than 90 days" })
            // KV is not touched.
            #expect(try await fixture.kvValue("rate:id:\(tid)") == "3")
        }
    }

    @Test func cutoffIsExactlyNinetyTimesTwentyFourHoursAndStrict() async throws {
        try await withVoiceMode { fixture async throws in
            let now = Date(epochMilliseconds: 1_767_232_800_500)  // 2026-01-01T02:00:00.500Z
            #expect(VoiceModeWorker.retentionCutoff(now: now) == "2025-10-03T02:00:00.500Z")
            for (eventID, createdAt) in [
                ("older", "2025-10-03T02:00:00.499Z"),
                ("at-cutoff", "2025-10-03T02:00:00.500Z"),
                ("newer", "2025-10-03T02:00:00.501Z"),
            ] {
                _ = try await fixture.database.prepare(
                    "INSERT INTO events (event_id, telemetry_id, timestamp, environment, usage, client_ip_hash, created_at) "
                        + "VALUES (?, 't', 'ts', '{}', '{}', 'h', ?)"
                ).bind(.text(eventID), .text(createdAt)).run()
            }
            fixture.clock.set(now)
            #expect(await fixture.harness.scheduled(cron: "0 2 * * *").isOK)
            let rows = try await fixture.rows("SELECT event_id FROM events ORDER BY event_id")
            #expect(rows == [["event_id": "at-cutoff"], ["event_id": "newer"]])
        }
    }

    @Test func cleanupUsesCreatedAtNotTheClientTimestamp() async throws {
        try await withVoiceMode { fixture async throws in
            _ = try await fixture.database.prepare(
                "INSERT INTO events (event_id, telemetry_id, timestamp, environment, usage, client_ip_hash, created_at) "
                    + "VALUES ('e', 't', '2000-01-01T00:00:00Z', '{}', '{}', 'h', ?)"
            ).bind(.text(startDate.isoString)).run()
            #expect(await fixture.harness.scheduled(cron: "0 2 * * *").isOK)
            #expect(try await fixture.eventCount() == 1)
        }
    }

    @Test func cleanupErrorsAreLoggedAndNotRethrown() async throws {
        try await withVoiceMode { fixture async throws in
            _ = try await fixture.database.prepare("DROP TABLE events").run()
            let outcome = await fixture.harness.scheduled(cron: "0 2 * * *")
            #expect(outcome.isOK)
            #expect(outcome.error == nil)
            let errors = fixture.logs.entries.filter { $0.level == .error }
            #expect(errors.count == 1)
            #expect(errors.first?.message.hasPrefix("Error during cleanup: D1_ERROR: no such table: events") == true)
            #expect(!fixture.logs.messages.contains("Cleaned up events older than 90 days"))
        }
    }

    @Test func missingDatabaseBindingIsLoggedToo() async throws {
        try await withVoiceMode { fixture async throws in
            var env = fixture.env
            env.d1Databases = [:]
            let outcome = await WorkerHarness(worker: VoiceModeWorker(), env: env).scheduled(cron: "0 2 * * *")
            #expect(outcome.isOK)
            #expect(fixture.logs.messages.contains { $0.hasPrefix("Error during cleanup: ") })
        }
    }
}
