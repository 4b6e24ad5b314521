import FlareletCore
import FlareletD1
import Foundation
import Testing

/// Opens an in-memory database, runs `body` and always closes the database.
func withDatabase<T>(_ body: (SQLiteD1Database) async throws -> T) async throws -> T {
    let database = try SQLiteD1Database(path: ":memory:")
    defer { database.close() }
    return try await body(database)
}

/// Creates a unique temporary directory, runs `body` and always removes the directory.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-d1-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// The D1 error `body` throws, or `nil` when it succeeds (any other error is recorded as an issue).
func d1Error(_ body: () async throws -> Void) async -> D1Error? {
    do {
        try await body()
        return nil
    } catch let error as D1Error {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// The exact message of 1.5 for BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE.
let transactionRefusal =
    "D1_ERROR: To execute a transaction, please use the state.storage.transaction() or "
    + "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. "
    + "The JavaScript API is safer because it will automatically roll back on exceptions, and because it "
    + "interacts correctly with Durable Objects' automatic atomic write coalescing."

extension D1Database {
    /// Runs `sql` (no parameters) and returns the result, for setting up fixtures.
    @discardableResult
    func run(_ sql: String, _ bindings: D1Value...) async throws(D1Error) -> D1Result {
        try await self.prepare(sql).bind(bindings).run()
    }

    /// The single integer a `SELECT` returns.
    func scalar(_ sql: String) async throws(D1Error) -> D1Value? {
        try await self.prepare(sql).raw().first?.first
    }
}
