public import FlareletCore

/// A fake `PostgresDriver` for unit tests: every statement goes to a closure that answers it (or throws), and is
/// recorded. For behaviour that depends on PostgreSQL itself, test against a real server (``PostgresTestServer``).
public final class ScriptedPostgresDriver: PostgresDriver {
    public typealias Answer = @Sendable (_ sql: String, _ bindings: [PostgresValue]) throws(PostgresDriverError) -> PostgresResult

    private let answer: Answer
    private let log = LockedValue<[(sql: String, bindings: [PostgresValue])]>([])

    /// - Parameter answer: Returns the result of a statement, or throws its error. The default answers every
    ///   statement with no rows.
    public init(answer: @escaping Answer = { _, _ throws(PostgresDriverError) in PostgresResult() }) {
        self.answer = answer
    }

    /// A driver whose every statement fails with `error` (a database that is down, for example).
    public static func failing(_ error: PostgresDriverError) -> ScriptedPostgresDriver {
        ScriptedPostgresDriver { _, _ throws(PostgresDriverError) in throw error }
    }

    /// The statements run so far, in order (`BEGIN`/`COMMIT`/`ROLLBACK` included).
    public var statements: [(sql: String, bindings: [PostgresValue])] {
        self.log.withLock { $0 }
    }

    public func query(_ sql: String, _ bindings: [PostgresValue]) async throws(PostgresDriverError) -> PostgresResult {
        self.log.withLock { $0.append((sql, bindings)) }
        return try self.answer(sql, bindings)
    }

    public func withTransaction<T: Sendable>(_ body: @escaping @Sendable (any PostgresQuerying) async throws -> T) async throws -> T {
        _ = try await self.query("BEGIN", [])
        do {
            let value = try await body(self)
            _ = try await self.query("COMMIT", [])
            return value
        } catch {
            _ = try? await self.query("ROLLBACK", [])
            throw error
        }
    }
}

extension Hyperdrive {
    /// A binding around `driver` with placeholder connection details (for tests without a server).
    public static func testing(
        _ driver: any PostgresDriver,
        user: String = "user",
        password: String = "password",
        database: String = "test"
    ) -> Hyperdrive {
        Hyperdrive(
            connectionString: "postgres://\(user):\(password)@127.0.0.1:5432/\(database)?sslmode=disable",
            host: "127.0.0.1",
            port: 5432,
            user: user,
            password: password,
            database: database,
            driver: driver
        )
    }
}
