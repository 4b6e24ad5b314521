import FlareletCore
import FlareletTesting
import Foundation
import Testing

/// Plays a worker's contract fixtures against the real `flarelet dev` binary over a real socket.
func playFixturesLive(config: String, schema: String, databaseName: String, fixtures: String) async throws {
    let state = try TemporaryDirectory()
    try await applySchema(repoRoot.appendingPathComponent(schema).path, toDatabaseAt: "\(state.path)/d1/\(databaseName).sqlite")
    let server = try LiveServer([
        "-c", repoRoot.appendingPathComponent(config).path, "--port", "0", "--persist-to", state.path, "--no-crons",
    ])
    defer { server.stop() }
    let runner = ContractRunner(target: LiveTarget(baseURL: server.url))
    let results = try await runner.run(folder: repoRoot.appendingPathComponent(fixtures).path)
    #expect(results.count >= 5)
    for result in results where !result.skipped {
        #expect(result.failures.isEmpty, "\(result.file) \(result.name): \(result.failures.joined(separator: "; "))")
    }
    #expect(results.filter { !$0.skipped }.count > results.count / 2, "most cases must run live")
}

struct FixturesLiveTests {
    @Test func voiceModeFixturesOverARealSocket() async throws {
        try await playFixturesLive(
            config: "wrangler.toml",
            schema: "schema.sql",
            databaseName: "voicemode-telemetry",
            fixtures: "fixtures/voicemode"
        )
    }
}
