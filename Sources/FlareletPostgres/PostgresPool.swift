public import FlareletCore
import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
public import ServiceLifecycle

/// Where and how a ``PostgresPool`` connects.
public struct PostgresPoolConfiguration: Sendable, Hashable {
    /// libpq's `sslmode` values.
    public enum TLSMode: String, Sendable, Hashable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var database: String
    public var tls: TLSMode
    /// A PEM file of trusted roots for `verify-ca` / `verify-full` (libpq's `sslrootcert`).
    public var rootCertificatePath: String?
    /// At most this many connections are open at once.
    public var maximumConnections: Int
    /// How long a query waits for a connection before it fails with ``PostgresDriverError/Kind/timeout`` (every
    /// connection is busy). A server that cannot be reached fails sooner: after a second of waiting, one direct
    /// connection attempt names the cause.
    public var leaseTimeout: Duration
    /// How long opening one connection may take.
    public var connectTimeout: Duration

    public init(
        host: String,
        port: Int = 5432,
        user: String,
        password: String,
        database: String,
        tls: TLSMode = .disable,
        rootCertificatePath: String? = nil,
        maximumConnections: Int = 10,
        leaseTimeout: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.rootCertificatePath = rootCertificatePath
        self.maximumConnections = maximumConnections
        self.leaseTimeout = leaseTimeout
        self.connectTimeout = connectTimeout
    }

    /// `host:port` for messages.
    var address: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }

    /// NIOSSL settings for the TLS modes that use TLS (libpq semantics: `require` does not verify the certificate).
    func tlsConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch self.tls {
        case .verifyFull: configuration.certificateVerification = .fullVerification
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        default: configuration.certificateVerification = .none
        }
        if let path = self.rootCertificatePath {
            configuration.trustRoots = .file(path)
        }
        return configuration
    }
}

/// The pooled PostgreSQL client of a Hyperdrive binding: postgres-nio's `PostgresClient` behind FlareletCore's
/// ``PostgresDriver``.
///
/// It is a `Service`: `run()` keeps the pool alive until graceful shutdown (or cancellation), then closes every
/// connection. A query that has waited a second for a connection makes one direct connection attempt: when the
/// server cannot be reached, the query fails at once with the cause (refused, authentication, unknown database, …),
/// so a worker answers promptly with a clear message instead of hanging while the server is away; otherwise it
/// waits at most ``PostgresPoolConfiguration/leaseTimeout``. Once the server is back the pool reconnects by itself.
public final class PostgresPool: PostgresDriver, Service {
    public let configuration: PostgresPoolConfiguration
    private let client: PostgresClient
    private let logger: Logger
    private let diagnosis = LockedValue<(at: ContinuousClock.Instant, error: PostgresDriverError)?>(nil)
    private enum RunState { case idle, running, stopped }
    private let state = LockedValue(RunState.idle)

    /// Creates the pool; nothing connects before ``run()`` and the first query.
    public init(configuration: PostgresPoolConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let tls: PostgresClient.Configuration.TLS =
            switch configuration.tls {
            case .disable: .disable
            case .allow, .prefer: .prefer(configuration.tlsConfiguration())
            case .require, .verifyCA, .verifyFull: .require(configuration.tlsConfiguration())
            }
        var clientConfiguration = PostgresClient.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.user,
            password: configuration.password,
            database: configuration.database,
            tls: tls
        )
        clientConfiguration.options.maximumConnections = max(1, configuration.maximumConnections)
        clientConfiguration.options.connectTimeout = configuration.connectTimeout
        clientConfiguration.options.additionalStartupParameters = [("application_name", "flarelet")]
        var background = logger
        background[metadataKey: "postgres"] = "\(configuration.address)"
        self.client = PostgresClient(configuration: clientConfiguration, backgroundLogger: background)
    }

    /// Runs the pool until graceful shutdown or cancellation, then closes its connections. Call it once.
    public func run() async throws {
        let first = self.state.withLock { state in
            defer { if state == .idle { state = .running } }
            return state == .idle
        }
        guard first else { return }
        await self.client.run()
        self.state.withLock { $0 = .stopped }
    }

    /// Runs `body` while the pool runs, then shuts the pool down (for commands and tests without a service group).
    public static func withRunning<T: Sendable>(
        _ configuration: PostgresPoolConfiguration,
        logger: Logger,
        _ body: (PostgresPool) async throws -> T
    ) async throws -> T {
        let pool = PostgresPool(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            defer { group.cancelAll() }
            return try await body(pool)
        }
    }

    // MARK: PostgresDriver

    public func query(_ sql: String, _ bindings: [PostgresValue]) async throws(PostgresDriverError) -> PostgresResult {
        do {
            let logger = self.logger
            return try await self.leased { connection in
                try await Self.run(sql, bindings, on: connection, logger: logger)
            }
        } catch {
            throw await self.convert(error)
        }
    }

    public func withTransaction<T: Sendable>(_ body: @escaping @Sendable (any PostgresQuerying) async throws -> T) async throws -> T {
        do {
            let logger = self.logger
            return try await self.leased { connection in
                let transaction = Transaction(connection: connection, logger: logger)
                _ = try await Self.run("BEGIN", [], on: connection, logger: logger)
                let value: T
                do {
                    value = try await body(transaction)
                } catch {
                    _ = try? await Self.run("ROLLBACK", [], on: connection, logger: logger)
                    throw BodyError(error: error)
                }
                _ = try await Self.run("COMMIT", [], on: connection, logger: logger)
                return value
            }
        } catch let error as BodyError {
            throw error.error
        } catch {
            throw await self.convert(error)
        }
    }

    /// An error thrown by the caller's transaction body, passed through unchanged.
    private struct BodyError: Error {
        var error: any Error
    }

    /// One connection of an open transaction.
    private struct Transaction: PostgresQuerying {
        let connection: PostgresConnection
        let logger: Logger

        func query(_ sql: String, _ bindings: [PostgresValue]) async throws(PostgresDriverError) -> PostgresResult {
            do {
                return try await PostgresPool.run(sql, bindings, on: self.connection, logger: self.logger)
            } catch let error as PostgresDriverError {
                throw error
            } catch {
                throw PostgresPool.convertQueryError(error)
            }
        }
    }

    // MARK: Leasing

    private struct LeaseTimeout: Error {}

    /// How long a query waits for a connection before one direct connection attempt checks that the server is
    /// reachable at all.
    static let probeDelay: Duration = .seconds(1)

    /// Leases a connection for `body`, waiting at most `leaseTimeout` for it.
    private func leased<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = LockedValue(false)
        let timeout = self.configuration.leaseTimeout
        let client = self.client
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    leased.withLock { $0 = true }
                    return try await body(connection)
                }
            }
            group.addTask {
                // After a short wait, find out whether the server can be reached at all: if it cannot, fail now with
                // the cause instead of waiting out the whole lease timeout.
                let probe = min(timeout, Self.probeDelay)
                try await Task.sleep(for: probe)
                if leased.withLock({ $0 }) { return nil }
                let failure = await self.diagnose()
                if failure.kind == .connection, !leased.withLock({ $0 }) { throw failure }
                try await Task.sleep(for: timeout - probe)
                if !leased.withLock({ $0 }) { throw LeaseTimeout() }
                return nil
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw LeaseTimeout()
        }
    }

    // MARK: Running one statement

    static func run(
        _ sql: String,
        _ bindings: [PostgresValue],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws
        -> PostgresResult
    {
        var binds = PostgresBindings(capacity: bindings.count)
        for value in bindings { PostgresCoding.bind(value, into: &binds) }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        var result = PostgresResult()
        for try await row in rows {
            if result.columns.isEmpty, result.rows.isEmpty {
                result.columns = row.map(\.columnName)
            }
            var values: [PostgresValue] = []
            values.reserveCapacity(result.columns.count)
            for cell in row { values.append(try PostgresCoding.value(of: cell)) }
            result.rows.append(values)
        }
        return result
    }

    // MARK: Errors

    /// Maps anything a query threw; a missing connection is diagnosed with one direct connection attempt.
    private func convert(_ error: any Error) async -> PostgresDriverError {
        if let error = error as? PostgresDriverError { return error }
        switch self.state.withLock({ $0 }) {
        case .stopped:
            return PostgresDriverError(.closed, "the Hyperdrive connection pool to \(self.configuration.address) is closed")
        case .idle:
            return PostgresDriverError(.closed, "the Hyperdrive connection pool to \(self.configuration.address) is not running")
        case .running:
            break
        }
        if let error = error as? PSQLError {
            switch error.code {
            case .server, .queryCancelled, .tooManyParameters, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                return Self.convertQueryError(error)
            case .poolClosed:
                return PostgresDriverError(.closed, "the Hyperdrive connection pool to \(self.configuration.address) is closed")
            default:
                break
            }
        }
        // A lease timeout, the pool's circuit breaker, or a connection that could not be made.
        return await self.diagnose()
    }

    /// The error of a statement that reached the server (or lost its connection on the way).
    static func convertQueryError(_ error: any Error) -> PostgresDriverError {
        if let error = error as? PostgresDriverError { return error }
        guard let error = error as? PSQLError else {
            return PostgresDriverError(.connection, "\(error)")
        }
        switch error.code {
        case .server:
            let info = error.serverInfo
            return PostgresDriverError(
                .server,
                info?[.message] ?? "server error",
                sqlState: info?[.sqlState],
                detail: info?[.detail],
                constraint: info?[.constraintName]
            )
        case .tooManyParameters:
            return PostgresDriverError(.usage, "too many parameters (at most 65,535)")
        case .queryCancelled:
            return PostgresDriverError(.timeout, "the query was cancelled")
        case .serverClosedConnection, .uncleanShutdown:
            return PostgresDriverError(.connection, "the PostgreSQL server closed the connection during the query")
        case .clientClosedConnection:
            return PostgresDriverError(.connection, "the connection was closed during the query")
        default:
            return PostgresDriverError(.connection, Self.describe(error))
        }
    }

    static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }

    /// Why no connection is available: the result of one direct connection attempt (reused for a second, so a
    /// burst of requests during an outage costs one attempt).
    private func diagnose() async -> PostgresDriverError {
        let now = ContinuousClock.now
        if let cached = self.diagnosis.withLock({ $0 }), cached.at.duration(to: now) < .seconds(1) {
            return cached.error
        }
        let address = self.configuration.address
        let timeout = self.configuration.leaseTimeout
        let diagnosed: PostgresDriverError
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try self.connectionConfiguration(),
                id: 0,
                logger: self.logger
            )
            try? await connection.close()
            diagnosed = PostgresDriverError(
                .timeout,
                "no connection to PostgreSQL at \(address) became available within \(timeout) (the server accepts "
                    + "connections: every connection is busy, or opening one is slow)"
            )
        } catch let failure as PSQLError where failure.code == .server {
            let info = failure.serverInfo
            diagnosed = PostgresDriverError(
                .connection,
                "cannot connect to PostgreSQL at \(address): \(info?[.message] ?? "server error")",
                sqlState: info?[.sqlState],
                detail: info?[.detail]
            )
        } catch let failure as PSQLError {
            diagnosed = PostgresDriverError(.connection, "cannot connect to PostgreSQL at \(address): \(Self.describe(failure))")
        } catch {
            diagnosed = PostgresDriverError(.connection, "cannot connect to PostgreSQL at \(address): \(error)")
        }
        self.diagnosis.withLock { $0 = (now, diagnosed) }
        return diagnosed
    }

    private func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch self.configuration.tls {
            case .disable: .disable
            case .allow, .prefer: .prefer(try NIOSSLContext(configuration: self.configuration.tlsConfiguration()))
            case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: self.configuration.tlsConfiguration()))
            }
        var configuration = PostgresConnection.Configuration(
            host: self.configuration.host,
            port: self.configuration.port,
            username: self.configuration.user,
            password: self.configuration.password,
            database: self.configuration.database,
            tls: tls
        )
        let seconds = self.configuration.connectTimeout.components.seconds
        configuration.options.connectTimeout = .seconds(max(1, seconds))
        return configuration
    }
}
