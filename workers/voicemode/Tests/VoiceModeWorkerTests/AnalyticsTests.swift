import Flarelet
import FlareletTesting
import Foundation
import Testing
import VoiceModeWorker

/// The seed README's analytics queries ("Querying Telemetry Data"), verbatim, run through the D1 binding against
/// events stored by the worker. The queries read SQLite's `'now'`, so the worker's clock is the real time here.
struct AnalyticsTests {
    static let dailyActiveUsers = """
        SELECT COUNT(DISTINCT telemetry_id) as dau
        FROM events
        WHERE DATE(timestamp) = DATE('now');
        """

    static let weeklyActiveUsers = """
        SELECT COUNT(DISTINCT telemetry_id) as wau
        FROM events
        WHERE timestamp >= datetime('now', '-7 days');
        """

    static let sessionsByOperatingSystem = """
        SELECT
          json_extract(environment, '$.os') as os,
          SUM(json_extract(usage, '$.total_sessions')) as total_sessions
        FROM events
        GROUP BY os
        ORDER BY total_sessions DESC;
        """

    static let ttsProviderUsage = """
        SELECT
          DATE(timestamp) as date,
          json_extract(usage, '$.provider_usage.tts') as tts_providers
        FROM events
        WHERE timestamp >= datetime('now', '-30 days')
        ORDER BY date DESC;
        """

    static let sevenDayRetention = """
        WITH first_seen AS (
          SELECT telemetry_id, MIN(DATE(timestamp)) as first_date
          FROM events
          GROUP BY telemetry_id
        )
        SELECT
          COUNT(DISTINCT e.telemetry_id) as retained_users,
          COUNT(DISTINCT f.telemetry_id) as cohort_size,
          ROUND(100.0 * COUNT(DISTINCT e.telemetry_id) / COUNT(DISTINCT f.telemetry_id), 2) as retention_pct
        FROM first_seen f
        LEFT JOIN events e ON e.telemetry_id = f.telemetry_id
          AND DATE(e.timestamp) = DATE(f.first_date, '+7 days')
        WHERE f.first_date = DATE('now', '-7 days');
        """

    static let averageSessionsPerUser = """
        SELECT
          AVG(total) as avg_sessions_per_user
        FROM (
          SELECT
            telemetry_id,
            SUM(json_extract(usage, '$.total_sessions')) as total
          FROM events
          GROUP BY telemetry_id
        );
        """

    /// `YYYY-MM-DD` of `days` days before `now` (UTC).
    private static func date(_ now: Date, minusDays days: Int) -> String {
        String(now.addingTimeInterval(-Double(days) * 86_400).isoString.prefix(10))
    }

    /// Five users: A (Linux) on day −7 and today, B (Darwin) on days −7 and −3, C (Linux) on day −8 and today,
    /// D (Windows) on day −40, E (Linux) on day −20. Every event is at midnight UTC of its day.
    private func seed(_ fixture: VoiceModeFixture, now: Date) async throws {
        let events: [(user: String, os: String, daysAgo: Int, sessions: Int)] = [
            ("a", "Linux", 7, 2), ("a", "Linux", 0, 3),
            ("b", "Darwin", 7, 4), ("b", "Darwin", 3, 1),
            ("c", "Linux", 8, 5), ("c", "Linux", 0, 1),
            ("d", "Windows", 40, 6),
            ("e", "Linux", 20, 0),
        ]
        for (index, event) in events.enumerated() {
            let tid = "00000000-0000-4000-8000-00000000000" + event.user
            let usage: JSONValue = [
                "total_sessions": .number(Double(event.sessions)),
                "provider_usage": ["tts": ["openai": .number(Double(event.sessions))], "stt": [:]],
            ]
            let response = await fixture.post(
                payload(
                    eventID: "analytics-\(index)",
                    telemetryID: tid,
                    timestamp: Self.date(now, minusDays: event.daysAgo) + "T00:00:00Z",
                    environment: ["os": .string(event.os), "version": "1.0.0"],
                    usage: usage
                ),
                ip: "192.0.2.\(index)"
            )
            #expect(response.status == 200, "\(response.text)")
        }
    }

    @Test func seedQueriesAnswerFromStoredEvents() async throws {
        let now = Date()
        try await withVoiceMode(now: now) { fixture async throws in
            try await self.seed(fixture, now: now)
            let db = fixture.database

            let dau = try await db.prepare(Self.dailyActiveUsers).all().results.map(\.object)
            #expect(dau == [["dau": .integer(2)]])

            let wau = try await db.prepare(Self.weeklyActiveUsers).all().results.map(\.object)
            #expect(wau == [["wau": .integer(3)]])

            let byOS = try await db.prepare(Self.sessionsByOperatingSystem).all().results.map(\.object)
            #expect(
                byOS == [
                    ["os": "Linux", "total_sessions": .integer(11)],
                    ["os": "Windows", "total_sessions": .integer(6)],
                    ["os": "Darwin", "total_sessions": .integer(5)],
                ]
            )

            let tts = try await db.prepare(Self.ttsProviderUsage).all().results.map(\.object)
            let dates = tts.compactMap { $0["date"]?.stringValue }
            #expect(dates == dates.sorted(by: >))
            let pairs = Set(tts.map { "\($0["date"]?.stringValue ?? "?") \($0["tts_providers"]?.stringValue ?? "?")" })
            #expect(
                pairs == [
                    "\(Self.date(now, minusDays: 0)) {\"openai\":3}", "\(Self.date(now, minusDays: 0)) {\"openai\":1}",
                    "\(Self.date(now, minusDays: 3)) {\"openai\":1}",
                    "\(Self.date(now, minusDays: 7)) {\"openai\":2}", "\(Self.date(now, minusDays: 7)) {\"openai\":4}",
                    "\(Self.date(now, minusDays: 8)) {\"openai\":5}",
                    "\(Self.date(now, minusDays: 20)) {\"openai\":0}",
                ]
            )
            #expect(tts.count == 7)

            let retention = try await db.prepare(Self.sevenDayRetention).all().results.map(\.object)
            #expect(retention == [["retained_users": .integer(1), "cohort_size": .integer(2), "retention_pct": .number(50)]])

            let average = try await db.prepare(Self.averageSessionsPerUser).all().results.map(\.object)
            #expect(average == [["avg_sessions_per_user": .number(4.4)]])
        }
    }
}
