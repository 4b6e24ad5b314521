import Flarelet
import FlareletTesting
import Foundation
import RuntWorker
import Testing

/// The seed README's three "Querying Data" queries, run through the D1 binding over rows the worker stored.
struct QueryTests {
    /// Stores, through the worker, events of two installs: 1 and 2 days ago and a month ago.
    /// `datetime('now')` in the queries is SQLite's wall clock, so the timestamps are relative to the real time.
    private func seed(_ harness: WorkerHarness) async throws -> (recent: String, older: String, old: String) {
        // Noon (UTC) 1, 2 and 30 days ago: far from day boundaries and from the 7-day window's edge.
        let today = (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
        let recent = Date(timeIntervalSince1970: today - 86_400 + 43_200)
        let older = Date(timeIntervalSince1970: today - 2 * 86_400 + 43_200)
        let old = Date(timeIntervalSince1970: today - 30 * 86_400 + 43_200)
        func at(_ date: Date, _ seconds: Double = 0) -> JSONValue { .string(date.addingTimeInterval(seconds).isoString) }
        let first: JSONValue = [
            ["event_type": "auto_launch", "data": ["runtime": "python", "success": true], "timestamp": at(recent)],
            ["event_type": "auto_launch", "data": ["runtime": "deno", "success": false], "timestamp": at(recent, 1)],
            ["event_type": "app_open", "data": ["notebook_type": "new"], "timestamp": at(recent, 2)],
            ["event_type": "auto_launch", "data": ["runtime": "python", "success": true], "timestamp": at(old)],
            ["event_type": "app_close", "data": ["session_duration_ms": 5000], "timestamp": at(old, 1)],
        ]
        let second: JSONValue = [
            ["event_type": "auto_launch", "data": ["runtime": "python", "success": true], "timestamp": at(older)],
            ["event_type": "app_open", "data": ["notebook_type": "existing"], "timestamp": at(recent, 3)],
        ]
        expectJSON(await harness.postTelemetry(try Runt.signed(first)), status: 200, #"{"success":true,"count":5}"#)
        expectJSON(await harness.postTelemetry(try Runt.signed(second, seed: Runt.otherSeed)), status: 200, #"{"success":true,"count":2}"#)
        func day(_ date: Date) -> String { String(date.isoString.prefix(10)) }
        return (day(recent), day(older), day(old))
    }

    /// Runs `body` on a fresh harness holding the seeded events, with their three days.
    private func withSeededHarness(_ body: (WorkerHarness, String, String, String) async throws -> Void) async throws {
        try await Runt.withHarness { harness async throws in
            let (recent, older, old) = try await self.seed(harness)
            try await body(harness, recent, older, old)
        }
    }

    @Test func countEventsByType() async throws {
        try await self.withSeededHarness { harness, _, _, _ async throws in
            let rows = try await harness.jsonRows("SELECT event_type, COUNT(*) FROM events GROUP BY event_type")
            let sorted = (rows.arrayValue ?? []).sorted { ($0["event_type"]?.stringValue ?? "") < ($1["event_type"]?.stringValue ?? "") }
            expectMatch(
                .array(sorted),
                [
                    ["event_type": "app_close", "COUNT(*)": 1],
                    ["event_type": "app_open", "COUNT(*)": 2],
                    ["event_type": "auto_launch", "COUNT(*)": 4],
                ]
            )
        }
    }

    @Test func recentAutoLaunchSuccessRate() async throws {
        try await self.withSeededHarness { harness, _, _, _ async throws in
            let rows = try await harness.jsonRows(
                """
                SELECT
                  json_extract(event_data, '$.success') as success,
                  COUNT(*) as count
                FROM events
                WHERE event_type = 'auto_launch'
                  AND created_at > datetime('now', '-7 days')
                GROUP BY success
                """
            )
            // The month-old success is outside the window; json_extract gives SQLite's 0/1 for JSON booleans.
            expectMatch(rows, [["success": 0, "count": 1], ["success": 1, "count": 2]])
        }
    }

    @Test func uniqueInstallsPerDay() async throws {
        try await self.withSeededHarness { harness, recent, older, old async throws in
            let rows = try await harness.jsonRows(
                """
                SELECT
                  date(created_at) as day,
                  COUNT(DISTINCT install_id) as unique_installs
                FROM events
                GROUP BY day
                ORDER BY day DESC
                LIMIT 30
                """
            )
            expectMatch(
                rows,
                [
                    ["day": .string(recent), "unique_installs": 2],
                    ["day": .string(older), "unique_installs": 1],
                    ["day": .string(old), "unique_installs": 1],
                ]
            )
        }
    }
}
