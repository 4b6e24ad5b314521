public import FlareletCore
public import FlareletPostgres
import Logging
import Testing

extension PostgresTestServer {
    /// The shared server (``shared()``); where none can be started the current test is skipped with the reason, or
    /// fails where PostgreSQL is required (``isRequired``: `CI=true` or `FLARELET_REQUIRE_POSTGRES=1`).
    public static func sharedOrSkip() async throws -> PostgresTestServer {
        do {
            return try await self.shared()
        } catch {
            try self.skip(error)
        }
    }

    /// A server of the test's own (``start(tls:)``; for tests that stop and restart it: call ``stop()`` when done),
    /// skipped like ``sharedOrSkip()`` where none can be started.
    public static func startOrSkip() async throws -> PostgresTestServer {
        do {
            return try await self.start()
        } catch {
            try self.skip(error)
        }
    }

    private static func skip(_ error: PostgresUnavailable) throws -> Never {
        if self.isRequired {
            Issue.record("PostgreSQL is required here (CI=true or FLARELET_REQUIRE_POSTGRES=1) but could not be started: \(error)")
            throw error
        }
        print("◇ Skipping: PostgreSQL unavailable: \(error)")
        try Test.cancel("PostgreSQL unavailable: \(error)")
    }

    /// A pool configuration for `database` on this server (15 s lease and 10 s connect timeouts).
    public func poolConfiguration(database: String) -> PostgresPoolConfiguration {
        PostgresPoolConfiguration(
            host: self.host,
            port: self.port,
            user: self.user,
            password: self.password,
            database: database,
            leaseTimeout: .seconds(15),
            connectTimeout: .seconds(10)
        )
    }

    /// Runs `body` with a Hyperdrive binding on a running pool to a fresh database of the shared server (the test is
    /// skipped where there is none, see ``sharedOrSkip()``).
    /// - Parameters:
    ///   - database: the database's name (created anew), or `nil` for a fresh unique name starting with `prefix`.
    ///   - prefix: the start of a generated database name.
    ///   - body: the test, given the binding.
    public static func withHyperdrive<T: Sendable>(
        database: String? = nil,
        prefix: String = "t",
        _ body: (Hyperdrive) async throws -> T
    ) async throws -> T {
        let server = try await self.sharedOrSkip()
        let name: String
        if let database {
            try server.createDatabase(database)
            name = database
        } else {
            name = try server.createDatabase(prefix: prefix)
        }
        let logger = Logger(label: "flarelet.postgres-test") { _ in SwiftLogNoOpLogHandler() }
        return try await PostgresPool.withRunning(server.poolConfiguration(database: name), logger: logger) { pool in
            try await body(Hyperdrive.testing(pool, user: server.user, password: server.password, database: name))
        }
    }
}
