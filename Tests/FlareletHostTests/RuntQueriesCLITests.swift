import FlareletCore
import FlareletJSON
import Foundation
import Testing

/// Runt's `pnpm db:query` is `wrangler d1 execute runt-telemetry --command`; the seed's three "Querying Data"
/// queries run through `flarelet d1 execute` on `workers/runt/wrangler.toml`.
struct RuntQueriesCLITests {
    @Test func seedQueriesThroughTheCLI() throws {
        let state = try TemporaryDirectory()
        let config = repoRoot.appendingPathComponent("workers/runt/wrangler.toml").path
        func execute(_ arguments: [String]) throws -> JSONValue {
            let result = try runFlarelet(["d1", "execute", "runt-telemetry", "-c", config, "--persist-to", state.path, "--json"] + arguments)
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            return try JSONValue.parse(result.stdout)
        }
        _ = try execute(["--file", repoRoot.appendingPathComponent("workers/runt/schema.sql").path])
        let today = String(Date().isoString.prefix(10))
        let yesterday = String(Date().addingTimeInterval(-86400).isoString.prefix(10))
        let old = String(Date().addingTimeInterval(-10 * 86400).isoString.prefix(10))
        _ = try execute([
            "--command",
            """
            INSERT INTO events (install_id, event_type, event_data, created_at) VALUES
              ('a', 'auto_launch', '{"success":true}', '\(today)T10:00:00Z'),
              ('b', 'auto_launch', '{"success":true}', '\(today)T11:00:00Z'),
              ('a', 'auto_launch', '{"success":false}', '\(yesterday)T10:00:00Z'),
              ('c', 'auto_launch', '{"success":false}', '\(old)T10:00:00Z'),
              ('a', 'kernel_start', NULL, '\(yesterday)T12:00:00Z')
            """,
        ])
        let byType = try execute(["--command", "SELECT event_type, COUNT(*) FROM events GROUP BY event_type"])
        #expect(
            byType.arrayValue?.first?["results"]?.stringify()
                == #"[{"event_type":"auto_launch","COUNT(*)":4},{"event_type":"kernel_start","COUNT(*)":1}]"#
        )
        let successRate = try execute([
            "--command",
            """
            SELECT
              json_extract(event_data, '$.success') as success,
              COUNT(*) as count
            FROM events
            WHERE event_type = 'auto_launch'
              AND created_at > datetime('now', '-7 days')
            GROUP BY success
            """,
        ])
        #expect(successRate.arrayValue?.first?["results"]?.stringify() == #"[{"success":0,"count":1},{"success":1,"count":2}]"#)
        let installs = try execute([
            "--command",
            """
            SELECT
              date(created_at) as day,
              COUNT(DISTINCT install_id) as unique_installs
            FROM events
            GROUP BY day
            ORDER BY day DESC
            LIMIT 30
            """,
        ])
        #expect(
            installs.arrayValue?.first?["results"]?.stringify()
                == #"[{"day":"\#(today)","unique_installs":2},{"day":"\#(yesterday)","unique_installs":1},{"day":"\#(old)","unique_installs":1}]"#
        )
    }
}
