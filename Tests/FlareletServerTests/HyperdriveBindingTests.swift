import FlareletConfig
import FlareletCore
import FlareletServer
import FlareletTesting
import FlareletWorkers
import Foundation
import Logging
import Testing

/// A hosted worker's Hyperdrive binding: the values a worker sees, and the pool the host runs.
struct HyperdriveBindingTests {
    @Test func theBindingExposesWorkersFieldsBackedByTheLocalListener() async throws {
        let server: PostgresTestServer
        do {
            server = try await PostgresTestServer.shared()
        } catch {
            if PostgresTestServer.isRequired {
                Issue.record("PostgreSQL is required here (CI=true or FLARELET_REQUIRE_POSTGRES=1) but could not be started: \(error)")
                throw error
            }
            print("◇ Skipping: PostgreSQL unavailable: \(error)")
            try Test.cancel("PostgreSQL unavailable: \(error)")
        }
        let database = try server.createDatabase(prefix: "shop db")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-hd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let encodedDatabase = database.replacingOccurrences(of: " ", with: "%20")
        let toml = """
            name = "tk"
            main = "telemetry-kit"

            [[hyperdrive]]
            binding = "DB"
            id = "a76a99bc342644deb02c38d66082262a"
            localConnectionString = "postgresql://\(server.user):\(server.password)@127.0.0.1:\(server.port)/\(encodedDatabase)?sslmode=disable"
            """
        try Data(toml.utf8).write(to: URL(fileURLWithPath: directory + "/wrangler.toml"))
        let config = try WranglerConfig.load(path: directory + "/wrangler.toml", env: nil, processEnvironment: [:])
        let hosted = try HostedWorker(config: config, registry: SeedWorkers.registry, clock: SystemClock(), logger: Logger(label: "test"))
        defer { hosted.close() }
        let binding = try hosted.env.hyperdrive("DB")
        #expect(binding.host == "127.0.0.1")
        #expect(binding.ip == "127.0.0.1")
        #expect(binding.port != server.port)
        #expect(binding.user == server.user)
        #expect(binding.password == server.password)
        #expect(binding.database == database)
        #expect(
            binding.connectionString
                == "postgresql://\(server.user):\(server.password)@127.0.0.1:\(binding.port)/\(encodedDatabase)?sslmode=disable"
        )
        #expect(hosted.services.count == 2)
        try await hosted.withServicesRunning {
            let row = try await binding.query("SELECT current_database() AS db, $1::int + 1 AS n", [.integer(41)]).first
            #expect(row?["db"] == .text(database))
            #expect(row?["n"] == .integer(42))
        }
        // Once the services stopped, the pool is closed.
        let error = await #expect(throws: PostgresDriverError.self) { try await binding.query("SELECT 1") }
        #expect(error?.kind == .closed)
    }
}
