import FlareletCore
import FlareletD1
import FlareletKV
import Foundation
import Testing

struct CronCLITests {
    @Test func triggerRunsTheScheduledHandlerAgainstLocalState() async throws {
        let state = try TemporaryDirectory()
        let config = repoRoot.appendingPathComponent("examples/counter/wrangler.toml").path
        let result = try runFlarelet(["cron", "trigger", "-c", config, "--persist-to", state.path, "--time", "2026-01-01T00:05:00Z"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == #"{"outcome":"ok","noRetry":false}"# + "\n")
        #expect(result.stderr.contains(#"[cron] counter "*/5 * * * *" at 2026-01-01T00:05:00.000Z: ok"#))
        let kv = try LMDBKVNamespace(directory: state.path + "/kv/KV")
        defer { kv.close() }
        #expect(try await kv.get("cron:last-run") == "2026-01-01T00:05:00.000Z")
    }

    /// `flarelet cron trigger` on VoiceMode's root config runs the 90-day retention on the shared state.
    @Test func triggerRunsVoiceModeRetention() async throws {
        let state = try TemporaryDirectory()
        let path = state.path + "/d1/voicemode-telemetry.sqlite"
        try await applySchema(repoRoot.appendingPathComponent("schema.sql").path, toDatabaseAt: path)
        do {
            let db = try SQLiteD1Database(path: path)
            defer { db.close() }
            let insert =
                "INSERT INTO events (event_id, telemetry_id, timestamp, environment, usage, client_ip_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            for (id, days) in [("old", 91.0), ("kept", 89.0)] {
                let created = Date().addingTimeInterval(-days * 86400).isoString
                _ = try await db.prepare(insert).bind(.text(id), "t", .text(created), "{}", "{}", "h", .text(created)).run()
            }
        }
        let result = try runFlarelet(["cron", "trigger", "-c", repoRoot.appendingPathComponent("wrangler.toml").path, "--persist-to", state.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Cleaned up events older than 90 days"))
        let db = try SQLiteD1Database(path: path)
        defer { db.close() }
        #expect(try await db.prepare("SELECT event_id FROM events").raw() == [[.text("kept")]])
    }

    @Test func triggerFailureExitsOne() throws {
        let directory = try TemporaryDirectory()
        let config = directory.url.appendingPathComponent("wrangler.toml")
        // Runt has no scheduled handler: the outcome is an exception.
        try "name = \"r\"\nmain = \"runt\"\n".write(to: config, atomically: true, encoding: .utf8)
        let result = try runFlarelet(["cron", "trigger", "-c", config.path, "--persist-to", directory.path + "/state"])
        #expect(result.status == 1)
        #expect(result.stdout == #"{"outcome":"exception","noRetry":false}"# + "\n")
    }

    @Test func badTimeNamesTheFlag() throws {
        let config = repoRoot.appendingPathComponent("examples/counter/wrangler.toml").path
        let state = try TemporaryDirectory()
        let result = try runFlarelet(["cron", "trigger", "-c", config, "--persist-to", state.path, "--time", "yesterday"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("--time yesterday"))
    }

    @Test func nextPrintsUpcomingFireTimes() throws {
        let result = try runFlarelet(["cron", "next", "-c", repoRoot.appendingPathComponent("wrangler.toml").path, "--count", "3"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0] == "\"0 2 * * *\"")
        for line in lines.dropFirst() {
            #expect(line.hasPrefix("  20"))
            #expect(line.hasSuffix("T02:00:00.000Z"))
        }
    }
}
