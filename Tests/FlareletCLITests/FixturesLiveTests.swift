import FlareletCore
import FlareletCrypto
import FlareletD1
import FlareletJSON
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
    /// (config, schema, database_name, fixtures folder) of every seed worker.
    @Test(arguments: [
        ("wrangler.toml", "schema.sql", "voicemode-telemetry", "fixtures/voicemode"),
        ("workers/runt/wrangler.toml", "workers/runt/schema.sql", "runt-telemetry", "fixtures/runt"),
        ("workers/drift/wrangler.toml", "workers/drift/schema.sql", "drift-telemetry", "fixtures/drift"),
        ("workers/telemetry-kit/wrangler.toml", "workers/telemetry-kit/schema.sql", "telemetry-kit", "fixtures/telemetry-kit"),
        ("workers/minigem/wrangler.toml", "workers/minigem/schema.sql", "minigem", "fixtures/minigem"),
    ])
    func fixturesOverARealSocket(config: String, schema: String, databaseName: String, fixtures: String) async throws {
        try await playFixturesLive(config: config, schema: schema, databaseName: databaseName, fixtures: fixtures)
    }
}

/// Every event acknowledged with 200 is in the database after the server is killed with SIGKILL.
struct CrashSafetyLiveTests {
    @Test func acknowledgedEventsSurviveSIGKILL() async throws {
        let state = try TemporaryDirectory()
        let databasePath = "\(state.path)/d1/voicemode-telemetry.sqlite"
        try await applySchema(repoRoot.appendingPathComponent("schema.sql").path, toDatabaseAt: databasePath)
        let server = try LiveServer([
            "-c", repoRoot.appendingPathComponent("wrangler.toml").path, "--port", "0", "--persist-to", state.path, "--no-crons",
        ])
        var acknowledged: [String] = []
        let timestamp = Date().addingTimeInterval(-60).isoString
        for index in 0..<40 {
            let eventID = "crash-\(index)-\(UUID().uuidString)"
            let body = """
                {"event_id":"\(eventID)","telemetry_id":"\(UUID().uuidString.lowercased())","timestamp":"\(timestamp)",\
                "environment":{"os":"Linux","version":"1.0"},"usage":{"total_sessions":1}}
                """
            let response = try await httpRequest("POST", server.url + "/telemetry", headers: ["CF-Connecting-IP": "10.0.0.\(index)"], body: body)
            if response.status == 200 { acknowledged.append(eventID) }
        }
        #expect(acknowledged.count == 40)
        server.stop(signal: SIGKILL)
        let database = try SQLiteD1Database(path: databasePath)
        defer { database.close() }
        let stored = try await database.prepare("SELECT event_id FROM events").raw().compactMap { row -> String? in
            if case .text(let id) = row.first { return id }
            return nil
        }
        #expect(Set(stored) == Set(acknowledged))
    }
}

/// Header bytes over a real socket: `CF-Connecting-IP: ünïcode` sent as UTF-8 reaches VoiceMode as Latin-1
/// `Ã¼nÃ¯code` (Fetch's isomorphic decoding), so the stored IP hash is the one Node computes for that string
/// (`header-latin1.json`), not the hash of the UTF-8 reading.
struct HeaderBytesLiveTests {
    @Test func nonASCIIHeaderBytesAreReadAsLatin1() async throws {
        let vectorsURL = repoRoot.appendingPathComponent("Tests/FlareletJavaScriptTests/Vectors/header-latin1.json")
        let vectors = try #require(try JSONValue.parse(Array(try Data(contentsOf: vectorsURL))).arrayValue)
        let vector = try #require(vectors.first { $0["utf8"] == "ünïcode" })
        let expectedHash = try #require(vector["voiceModeIPHash"]?.stringValue)

        let state = try TemporaryDirectory()
        let databasePath = "\(state.path)/d1/voicemode-telemetry.sqlite"
        try await applySchema(repoRoot.appendingPathComponent("schema.sql").path, toDatabaseAt: databasePath)
        let server = try LiveServer([
            "-c", repoRoot.appendingPathComponent("wrangler.toml").path, "--port", "0", "--persist-to", state.path, "--no-crons",
        ])
        let telemetryID = UUID().uuidString.lowercased()
        let body = """
            {"event_id":"\(UUID().uuidString)","telemetry_id":"\(telemetryID)","timestamp":"\(Date().addingTimeInterval(-60).isoString)",\
            "environment":{"os":"Linux","version":"1.0"},"usage":{"total_sessions":1}}
            """
        let response = try await LiveTarget(baseURL: server.url).send(
            method: "POST",
            path: "/telemetry",
            headers: ["Content-Type": "application/json", "CF-Connecting-IP": "ünïcode"],
            body: Array(body.utf8)
        )
        #expect(response.status == 200, "\(response.text)")
        server.stop()
        let database = try SQLiteD1Database(path: databasePath)
        defer { database.close() }
        let hash = try await database.prepare("SELECT client_ip_hash FROM events WHERE telemetry_id = ?").bind(.text(telemetryID)).first(
            "client_ip_hash"
        )
        #expect(hash == .text(expectedHash))
        #expect(hash != .text(VoiceModeHash.utf8Reading))
    }
}

/// The hash the port produced before (UTF-8 reading of the header), to show the difference.
enum VoiceModeHash {
    static let utf8Reading = String(Crypto.sha256Hex("ünïcode").prefix(16))
}
