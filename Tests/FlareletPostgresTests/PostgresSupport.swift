import FlareletCore
import FlareletPostgres
import FlareletTesting
import Foundation
import Logging
import Testing

/// Access to a real PostgreSQL for these tests: the shared throwaway server, or a skip with the reason.
enum Postgres {
    /// The shared server; skips the test (printing why) when PostgreSQL cannot be started, and fails it instead on
    /// CI, where `.ci/run` installs PostgreSQL.
    static func server() async throws -> PostgresTestServer {
        do {
            return try await PostgresTestServer.shared()
        } catch {
            try self.unavailable(error)
        }
    }

    /// A private server (for tests that stop and restart it).
    static func privateServer() async throws -> PostgresTestServer {
        do {
            return try await PostgresTestServer.start()
        } catch {
            try self.unavailable(error)
        }
    }

    static func unavailable(_ error: PostgresUnavailable) throws -> Never {
        if PostgresTestServer.isRequired {
            Issue.record("PostgreSQL is required here (CI=true or FLARELET_REQUIRE_POSTGRES=1) but could not be started: \(error)")
            throw error
        }
        print("◇ Skipping: PostgreSQL unavailable: \(error)")
        try Test.cancel("PostgreSQL unavailable: \(error)")
    }

    static let logger = Logger(label: "flarelet-postgres-test") { _ in SwiftLogNoOpLogHandler() }

    /// A pool on a fresh database of `server`.
    static func configuration(
        _ server: PostgresTestServer,
        database: String,
        password: String? = nil,
        port: Int? = nil,
        leaseTimeout: Duration = .seconds(15)
    ) -> PostgresPoolConfiguration {
        PostgresPoolConfiguration(
            host: server.host,
            port: port ?? server.port,
            user: server.user,
            password: password ?? server.password,
            database: database,
            leaseTimeout: leaseTimeout,
            connectTimeout: .seconds(10)
        )
    }

    /// Runs `body` with a running pool on a fresh database.
    static func withPool<T: Sendable>(
        leaseTimeout: Duration = .seconds(15),
        _ body: @Sendable (PostgresPool, PostgresTestServer, String) async throws -> T
    ) async throws -> T {
        let server = try await self.server()
        let database = try server.createDatabase()
        return try await PostgresPool.withRunning(self.configuration(server, database: database, leaseTimeout: leaseTimeout), logger: self.logger) {
            pool in
            try await body(pool, server, database)
        }
    }
}

/// Seconds elapsed while running `body`.
func elapsed<T>(_ body: () async throws -> T) async rethrows -> (value: T, seconds: Double) {
    let start = ContinuousClock.now
    let value = try await body()
    let duration = ContinuousClock.now - start
    return (value, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}
