import FlareletCore
import FlareletCrypto
import FlareletJSON
import FlareletTesting
import Foundation
import Testing

/// `flarelet dev` with Hyperdrive bindings on a real PostgreSQL: several instances on one database, start-up
/// errors, an unreachable database, and shutdown.
@Suite(.serialized)
struct HyperdriveLiveTests {
    static let config = repoRoot.appendingPathComponent("workers/telemetry-kit/wrangler.postgres.toml").path
    static let variable = "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB"
    static let token = "tk_550e8400e29b41d4a716446655440000_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
    static let secret = "9f4b3c2a1e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0"
    static let path = "/v1/ingest/550e8400-e29b-41d4-a716-446655440000/7c9e6679-7425-40de-944b-e07fc1f90ae7"

    static func server() async throws -> PostgresTestServer {
        do {
            return try await PostgresTestServer.shared()
        } catch {
            if PostgresTestServer.isRequired {
                Issue.record("PostgreSQL is required here (CI=true or FLARELET_REQUIRE_POSTGRES=1) but could not be started: \(error)")
                throw error
            }
            print("◇ Skipping: PostgreSQL unavailable: \(error)")
            try Test.cancel("PostgreSQL unavailable: \(error)")
        }
    }

    static func event(_ id: String) -> String {
        #"{"schema_version":"1.0.0","event_id":"\#(id)","timestamp":"2025-01-01T00:00:00Z","#
            + #""service":{"name":"demo","version":"1.0.0","language":"rust"},"user_id":"client_abc","environment":{"os":"linux"},"#
            + #""event":{"type":"command_execution","data":{"n":1}},"metadata":{"sdk_version":"telemetry-kit-rust/0.1.0","#
            + #""transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":1,"retry_count":0}}"#
    }

    /// POSTs a signed batch of `ids` to `base`; returns the status and the parsed body.
    static func ingest(_ base: String, _ ids: [String]) async throws -> (status: Int, body: JSONValue) {
        let body = #"{"events":[\#(ids.map(Self.event).joined(separator: ","))]}"#
        let timestamp = String(Int64(Date().timeIntervalSince1970))
        let signature = Hex.encode(Crypto.hmacSHA256(key: Array(Self.secret.utf8), message: Array("\(timestamp):\(body)".utf8)))
        let response = try await httpRequest(
            "POST",
            base + Self.path,
            headers: [
                "Authorization": "Bearer \(Self.token)", "X-Timestamp": timestamp, "X-Signature": signature, "Content-Type": "application/json",
            ],
            body: body
        )
        return (response.status, try JSONValue.parse(Array(response.body.utf8)))
    }

    @Test func twoInstancesOnOneDatabaseStoreEveryAcceptedEventExactlyOnce() async throws {
        let server = try await Self.server()
        let database = try server.createDatabase(prefix: "live")
        let state = try TemporaryDirectory()
        let environment = [Self.variable: server.connectionString(database: database)]
        let first = try LiveServer(["-c", Self.config, "--port", "0", "--persist-to", state.path], environment: environment)
        let second = try LiveServer(["-c", Self.config, "--port", "0", "--persist-to", state.path], environment: environment)
        #expect(first.stdout.contains("Found a non-empty \(Self.variable) variable for binding."))
        #expect(
            first.stdout.contains(
                "env.DB (Hyperdrive telemetry-kit): PostgreSQL flarelet@127.0.0.1:\(server.port)/\(database) (sslmode disable) via 127.0.0.1:"
            )
        )

        // 45 batches of 8 events over 120 ids: every id is sent three times, at least once to each instance, all at
        // the same time (two copies of the same batch to the two instances, a third in another batch).
        let ids = (0..<120).map { String(format: "%08x-0000-4000-8000-%012x", $0, $0) }
        var batches: [(base: String, ids: [String])] = []
        for index in 0..<15 {
            let slice = Array(ids[(index * 8)..<(index * 8 + 8)])
            batches.append((first.url, slice))
            batches.append((second.url, slice.reversed()))
        }
        let shuffled = Array(ids.reversed())
        for index in 0..<15 {
            let slice = Array(shuffled[(index * 8)..<(index * 8 + 8)])
            batches.append((index % 2 == 0 ? second.url : first.url, slice))
        }
        let results = try await withThrowingTaskGroup(of: (ids: [String], status: Int, body: JSONValue).self) { group in
            for batch in batches {
                group.addTask {
                    let (status, body) = try await Self.ingest(batch.base, batch.ids)
                    return (batch.ids, status, body)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }

        var accepted: [String: Int] = [:]
        var duplicates = 0
        var races = 0
        for result in results {
            let errors = result.body["errors"]?.arrayValue ?? []
            var rejected: Set<String> = []
            for error in errors {
                let id = error["event_id"]?.stringValue ?? ""
                rejected.insert(id)
                let code = error["error"]?.stringValue
                let message = error["message"]?.stringValue
                let duplicate = code == "duplicate" && message == "Event already ingested (duplicate event_id: \(id))"
                let raced =
                    code == "database_error"
                    && message
                        == #"Failed to insert event: error returned from database: duplicate key value violates unique constraint "events_event_id_key""#
                #expect(duplicate || raced, "\(error.stringify())")
                if duplicate { duplicates += 1 }
                if raced { races += 1 }
            }
            switch result.status {
            case 200: #expect(errors.isEmpty && result.body["accepted"] == .number(8))
            case 207: #expect(result.body["accepted"] == .number(Double(8 - errors.count)))
            case 400: #expect(errors.count == 8)
            default: Issue.record("unexpected status \(result.status): \(result.body.stringify())")
            }
            for id in result.ids where !rejected.contains(id) { accepted[id, default: 0] += 1 }
        }
        print("two instances: 360 copies of 120 events; \(duplicates) answered duplicate, \(races) lost a race to the unique key")
        #expect(duplicates + races == 240)
        #expect(accepted.count == 120, "every event was accepted by one of the instances")
        #expect(accepted.values.allSatisfy { $0 == 1 }, "no event was accepted twice: \(accepted.filter { $0.value != 1 })")
        let stored = try server.psql(database: database, "SELECT count(*), count(DISTINCT event_id) FROM events")
        #expect(stored.trimmingCharacters(in: .whitespacesAndNewlines) == "120|120")

        // Both shut down cleanly, closing every connection to the database.
        #expect(first.stop() == 0)
        #expect(second.stop() == 0)
        let open = try server.psql(database: "postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(database)'")
        #expect(open.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func anUnreachableDatabaseAnswers500PromptlyAndTheServerKeepsRunning() async throws {
        let state = try TemporaryDirectory()
        // A port nothing listens on.
        let environment = [Self.variable: "postgres://user:password@127.0.0.1:9/nothing"]
        let live = try LiveServer(["-c", Self.config, "--port", "0", "--persist-to", state.path], environment: environment)
        defer { live.stop() }
        let started = Date()
        let response = try await httpRequest(
            "POST",
            live.url + Self.path,
            headers: ["X-Signature": "x", "X-Timestamp": "1", "Authorization": "Bearer \(Self.token)"],
            body: "{}"
        )
        #expect(response.status == 500)
        #expect(response.body == #"{"error":"Internal Server Error","message":"Database error"}"#)
        #expect(Date().timeIntervalSince(started) < 15)
        let health = try await httpRequest("GET", live.url + "/health")
        #expect(health.status == 200)
        #expect(live.stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:9"), "\(live.stderr)")
    }

    @Test func aServerThatGoesAwayGives500sAndTheWorkerRecoversWhenItReturns() async throws {
        let server: PostgresTestServer
        do {
            server = try await PostgresTestServer.start()
        } catch {
            _ = try await Self.server()  // skips (or fails on CI) with the reason
            return
        }
        defer { server.stop() }
        let database = try server.createDatabase(prefix: "live")
        let state = try TemporaryDirectory()
        let live = try LiveServer(
            ["-c", Self.config, "--port", "0", "--persist-to", state.path],
            environment: [Self.variable: server.connectionString(database: database)]
        )
        defer { live.stop() }
        #expect(try await Self.ingest(live.url, ["10000000-0000-4000-8000-000000000001"]).status == 200)
        server.halt()
        let started = Date()
        let down = try await Self.ingest(live.url, ["10000000-0000-4000-8000-000000000002"])
        #expect(down.status == 500)
        #expect(down.body.stringify() == #"{"error":"Internal Server Error","message":"Database error"}"#)
        #expect(Date().timeIntervalSince(started) < 15)
        try server.resume()
        var status = 0
        let deadline = Date().addingTimeInterval(30)
        while status != 200, Date() < deadline {
            status = try await Self.ingest(live.url, ["10000000-0000-4000-8000-000000000003"]).status
            if status != 200 { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(status == 200)
        #expect(live.process.isRunning)
        let stored = try server.psql(database: database, "SELECT count(*) FROM events")
        #expect(stored.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
    }

    @Test func aMalformedConnectionStringStopsDevWithTheFileAndLine() throws {
        let directory = try TemporaryDirectory()
        let config = directory.url.appendingPathComponent("wrangler.toml")
        try Data(
            """
            name = "tk"
            main = "telemetry-kit"

            [[hyperdrive]]
            binding = "DB"
            id = "x"
            localConnectionString = "postgres://user@127.0.0.1/db"
            """.utf8
        ).write(to: config)
        let result = try runFlarelet(["dev", "-c", config.path, "--port", "0"])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "✘ [ERROR] \(config.path):7:25: \"DB\"'s \"localConnectionString\": You must provide a password - e.g. "
                + "'user:password@database.example.com:port/databasename' \n"
        )
        let missing = try runFlarelet(
            ["dev", "-c", config.path.replacingOccurrences(of: "wrangler.toml", with: "none.toml"), "--port", "0"]
        )
        #expect(missing.status == 1)
    }

    @Test func noConnectionStringAtAllIsWranglersMessage() throws {
        let directory = try TemporaryDirectory()
        let config = directory.url.appendingPathComponent("wrangler.toml")
        try Data("name = \"tk\"\nmain = \"telemetry-kit\"\n\n[[hyperdrive]]\nbinding = \"HYPERDRIVE\"\nid = \"x\"\n".utf8).write(to: config)
        let result = try runFlarelet(["dev", "-c", config.path, "--port", "0"])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "✘ [ERROR] \(config.path):4:1: When developing locally, you should use a local Postgres connection string to "
                + "emulate Hyperdrive functionality. Please setup Postgres locally and set the value of the "
                + "'CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE' variable or \"HYPERDRIVE\"'s \"localConnectionString\" "
                + "to the Postgres connection string.\n"
        )
    }
}
