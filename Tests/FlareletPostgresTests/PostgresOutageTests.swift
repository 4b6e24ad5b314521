import FlareletCore
import FlareletPostgres
import FlareletTesting
import Foundation
import Testing

/// Bad connection details, an unreachable server, and a server that goes away and comes back: clear errors within
/// the lease timeout, never a hang, and recovery without a restart.
struct PostgresOutageTests {
    @Test func anUnreachableServerFailsPromptlyWithTheCause() async throws {
        let server = try await Postgres.server()
        // A port nothing listens on: bind one, then let it go.
        let forwarder = try HyperdriveForwarder(upstream: Postgres.configuration(server, database: "postgres"))
        let unusedPort = forwarder.port
        forwarder.close()
        try await Task.sleep(for: .milliseconds(100))
        // A long lease timeout: failing well before it shows the direct attempt named the cause, however busy the
        // machine is.
        let configuration = Postgres.configuration(server, database: "postgres", port: unusedPort, leaseTimeout: .seconds(60))
        try await PostgresPool.withRunning(configuration, logger: Postgres.logger) { pool in
            for _ in 0..<2 {
                let (error, seconds) = await elapsed {
                    await #expect(throws: PostgresDriverError.self) { try await pool.query("SELECT 1") }
                }
                #expect(error?.kind == .connection)
                #expect(error?.message.hasPrefix("cannot connect to PostgreSQL at 127.0.0.1:\(unusedPort): ") == true)
                #expect(error?.message.lowercased().contains("refused") == true, "\(error?.message ?? "")")
                #expect(seconds < 30)
            }
        }
    }

    @Test func aWrongPasswordNamesTheAuthenticationFailure() async throws {
        let server = try await Postgres.server()
        let configuration = Postgres.configuration(server, database: "postgres", password: "wrong")
        try await PostgresPool.withRunning(configuration, logger: Postgres.logger) { pool in
            let error = await #expect(throws: PostgresDriverError.self) { try await pool.query("SELECT 1") }
            #expect(error?.kind == .connection)
            #expect(
                error?.message == #"cannot connect to PostgreSQL at 127.0.0.1:\#(server.port): password authentication failed for user "flarelet""#
            )
            #expect(error?.sqlState == "28P01")
        }
    }

    @Test func anUnknownDatabaseIsNamed() async throws {
        let server = try await Postgres.server()
        let configuration = Postgres.configuration(server, database: "no_such_db")
        try await PostgresPool.withRunning(configuration, logger: Postgres.logger) { pool in
            let error = await #expect(throws: PostgresDriverError.self) { try await pool.query("SELECT 1") }
            #expect(error?.message == #"cannot connect to PostgreSQL at 127.0.0.1:\#(server.port): database "no_such_db" does not exist"#)
            #expect(error?.sqlState == "3D000")
        }
    }

    @Test func aServerThatGoesAwayGivesErrorsAndThePoolRecoversWhenItReturns() async throws {
        let server = try await Postgres.privateServer()
        defer { server.stop() }
        let database = try server.createDatabase()
        // A long lease timeout, so that prompt errors below cannot be the lease timing out on a busy machine.
        let configuration = Postgres.configuration(server, database: database, leaseTimeout: .seconds(60))
        try await PostgresPool.withRunning(configuration, logger: Postgres.logger) { pool in
            _ = try await pool.query("CREATE TABLE t (n integer)")
            _ = try await pool.query("INSERT INTO t VALUES (1)")
            // A query running while the server stops fails with a connection error instead of hanging.
            let slow = Task { try await pool.query("SELECT pg_sleep(30)::text, 1 AS n") }
            try await Task.sleep(for: .milliseconds(300))
            server.halt()
            let (midRun, midSeconds) = await elapsed {
                await #expect(throws: PostgresDriverError.self) { _ = try await slow.value }
            }
            #expect(midRun?.kind == .connection || midRun?.kind == .server, "\(String(describing: midRun))")
            #expect(midSeconds < 25)
            // While it is down: prompt connection errors.
            for _ in 0..<3 {
                let (error, seconds) = await elapsed {
                    await #expect(throws: PostgresDriverError.self) { try await pool.query("SELECT n FROM t") }
                }
                #expect(error?.kind == .connection, "\(String(describing: error))")
                #expect(seconds < 30)
            }
            // Back up: the same pool serves again, within a bounded wait.
            try server.resume()
            var recovered: PostgresResult?
            let deadline = ContinuousClock.now + .seconds(30)
            while recovered == nil, ContinuousClock.now < deadline {
                recovered = try? await pool.query("SELECT n FROM t")
                if recovered == nil { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(recovered?.first?["n"] == .integer(1))
        }
    }

    @Test func shutdownClosesThePoolAndLaterQueriesSayItIsClosed() async throws {
        let server = try await Postgres.server()
        let database = try server.createDatabase()
        let pool = PostgresPool(configuration: Postgres.configuration(server, database: database), logger: Postgres.logger)
        let running = Task { try await pool.run() }
        #expect(try await pool.query("SELECT 1 AS one").first?["one"] == .integer(1))
        running.cancel()
        _ = try? await running.value
        let error = await #expect(throws: PostgresDriverError.self) { try await pool.query("SELECT 1") }
        #expect(error?.kind == .closed)
        // Nothing is left connected from this pool.
        let open = try server.psql(database: "postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(database)'")
        #expect(open.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
}
