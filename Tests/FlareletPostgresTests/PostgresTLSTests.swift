import FlareletCore
import FlareletPostgres
import FlareletTesting
import Foundation
import Testing

/// `sslmode` other than `disable`: the pool and the forwarder speak TLS to the database.
struct PostgresTLSTests {
    static let sslQuery = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

    @Test func thePoolAndTheForwarderUseTLSWhenAsked() async throws {
        let server: PostgresTestServer
        do {
            server = try await PostgresTestServer.start(tls: true)
        } catch {
            try Postgres.unavailable(error)
        }
        defer { server.stop() }
        let database = try server.createDatabase()
        var upstream = Postgres.configuration(server, database: database)
        upstream.tls = .require
        try await PostgresPool.withRunning(upstream, logger: Postgres.logger) { pool async throws in
            #expect(try await pool.query(Self.sslQuery).first?["ssl"] == .bool(true))
        }
        var plain = upstream
        plain.tls = .disable
        try await PostgresPool.withRunning(plain, logger: Postgres.logger) { pool async throws in
            #expect(try await pool.query(Self.sslQuery).first?["ssl"] == .bool(false))
        }

        // verify-full checks the certificate against the given root and the host name.
        var verified = upstream
        verified.host = "localhost"
        verified.tls = .verifyFull
        verified.rootCertificatePath = server.certificatePath
        try await PostgresPool.withRunning(verified, logger: Postgres.logger) { pool async throws in
            #expect(try await pool.query(Self.sslQuery).first?["ssl"] == .bool(true))
        }
        var unverifiable = verified
        unverifiable.rootCertificatePath = nil
        unverifiable.leaseTimeout = .seconds(1)
        try await PostgresPool.withRunning(unverifiable, logger: Postgres.logger) { pool async throws in
            let error = await #expect(throws: PostgresDriverError.self) { try await pool.query("SELECT 1") }
            #expect(error?.kind == .connection)
            #expect(error?.message.hasPrefix("cannot connect to PostgreSQL at localhost:\(server.port): ") == true)
        }

        // A client without TLS reaches the database through the forwarder, which does the TLS.
        let forwarder = try HyperdriveForwarder(upstream: upstream)
        defer { forwarder.close() }
        var viaForwarder = plain
        viaForwarder.port = forwarder.port
        try await PostgresPool.withRunning(viaForwarder, logger: Postgres.logger) { pool async throws in
            #expect(try await pool.query(Self.sslQuery).first?["ssl"] == .bool(true))
        }
    }

    @Test func requireAgainstAServerWithoutTLSFailsWithTheReason() async throws {
        let server = try await Postgres.server()
        var configuration = Postgres.configuration(server, database: "postgres")
        configuration.tls = .require
        try await PostgresPool.withRunning(configuration, logger: Postgres.logger) { pool async throws in
            let error = await #expect(throws: PostgresDriverError.self) { try await pool.query("SELECT 1") }
            #expect(error?.kind == .connection)
        }
        // The forwarder refuses too: the client's connection is closed instead of continuing in plain text.
        let forwarder = try HyperdriveForwarder(upstream: configuration)
        defer { forwarder.close() }
        #expect(try sslRequestAnswer(port: forwarder.port) == nil)
        // prefer falls back to plain text.
        configuration.tls = .prefer
        let preferring = try HyperdriveForwarder(upstream: configuration)
        defer { preferring.close() }
        var viaForwarder = Postgres.configuration(server, database: "postgres", port: preferring.port)
        viaForwarder.tls = .disable
        try await PostgresPool.withRunning(viaForwarder, logger: Postgres.logger) { pool async throws in
            #expect(try await pool.query(Self.sslQuery).first?["ssl"] == .bool(false))
        }
    }
}
