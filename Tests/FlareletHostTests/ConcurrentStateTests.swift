import FlareletCore
import FlareletJSON
import Foundation
import Testing

/// The CLI and `flarelet dev` use the same D1 file and KV directory at the same time (platform.md 7.3, 7.5, 7.2).
struct ConcurrentStateTests {
    static let toml = """
        name = "concurrent"
        main = "counter"
        compatibility_date = "2026-11-01"

        [[d1_databases]]
        binding = "DB"
        database_name = "counter-db"
        database_id = "local-counter-db"

        [[kv_namespaces]]
        binding = "KV"
        id = "local-counter-kv"
        """

    /// Runs `flarelet` on a dispatch thread so the cooperative pool stays free for the load generator.
    static func run(_ project: CLIProject, _ arguments: [String]) async throws -> CommandResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try project.run(arguments) })
            }
        }
    }

    @Test(.timeLimit(.minutes(3))) func cliCommandsSucceedWhileTheServerWrites() async throws {
        let project = try CLIProject(toml: Self.toml)
        try project.write("migrations/0001_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n")
        let server = try LiveServer([
            "-c", project.path + "/wrangler.toml", "--port", "0", "--persist-to", project.state.path, "--no-crons",
        ])
        defer { server.stop() }
        let url = server.url

        // A stream of writing requests (each one upserts a D1 row and writes KV in waitUntil).
        let stop = LockedValue(false)
        let load = Task { () -> [Int] in
            var statuses: [Int] = []
            var index = 0
            while !stop.withLock({ $0 }) {
                let response = try await httpRequest("GET", url + "/load/\(index % 7)")
                statuses.append(response.status)
                index += 1
            }
            return statuses
        }
        try await Task.sleep(nanoseconds: 200_000_000)

        let migrate = try await Self.run(project, ["d1", "migrations", "apply", "DB"])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        var failures: [String] = []
        for index in 0..<20 {
            let insert = try await Self.run(
                project,
                ["d1", "execute", "DB", "--command", "INSERT INTO notes (body) VALUES ('note \(index)')", "--json"]
            )
            if insert.status != 0 { failures.append("d1 execute \(index): \(insert.stdout) \(insert.stderr)") }
            let put = try await Self.run(project, ["kv", "key", "put", "cli:\(index)", "value \(index)", "--binding", "KV"])
            if put.status != 0 { failures.append("kv put \(index): \(put.stderr)") }
            let get = try await Self.run(project, ["kv", "key", "get", "cli:\(index)", "--binding", "KV"])
            if get.status != 0 || get.stdout != "value \(index)" { failures.append("kv get \(index): \(get.stdout) \(get.stderr)") }
        }
        stop.withLock { $0 = true }
        let statuses = try await load.value
        #expect(failures.isEmpty, "\(failures)")
        #expect(statuses.count >= 5)
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses.filter { $0 != 200 })")

        // Both sides' writes are all there.
        let counts = try await Self.run(
            project,
            ["d1", "execute", "DB", "--json", "--command", "SELECT COUNT(*) AS notes FROM notes; SELECT SUM(count) AS hits FROM hits"]
        )
        let document = try #require(try JSONValue.parse(counts.stdout).arrayValue)
        #expect(document[0]["results"] == .array([["notes": 20]]))
        #expect(document[1]["results"] == .array([["hits": .number(Double(statuses.count))]]))
        let keys = try await Self.run(project, ["kv", "key", "list", "--binding", "KV", "--prefix", "cli:"])
        #expect(try JSONValue.parse(keys.stdout).arrayValue?.count == 20)

        // A value written by the CLI is what the running worker reads (no flags on either side).
        try await Task.sleep(nanoseconds: 300_000_000)
        let put = try await Self.run(project, ["kv", "key", "put", "last-visitor", "written-by-cli", "--binding", "KV"])
        #expect(put.status == 0)
        let seen = try await httpRequest("GET", url + "/after")
        #expect(seen.status == 200)
        #expect(seen.body.contains("\"lastVisitor\":\"written-by-cli\""))
        // The migration applied during the load is recorded once.
        let listed = try await Self.run(project, ["d1", "execute", "DB", "--json", "--command", "SELECT name FROM d1_migrations"])
        #expect(try JSONValue.parse(listed.stdout).arrayValue?.first?["results"] == .array([["name": "0001_notes.sql"]]))
        #expect(server.stop() == 0)
    }
}
