import Dispatch
public import FlareletCore
import Foundation

/// A D1 database stored in an SQLite file (or in memory), behaving like `wrangler dev`'s local D1.
///
/// One connection per instance, used from a private serial queue: blocking SQLite calls never run on the
/// caller's executor, and operations run one at a time in call order. Several instances (also in other
/// processes, such as the CLI next to `flarelet dev`) may share one file: it uses WAL and a 5 s busy timeout.
///
/// Call ``close()`` when done; operations after that throw `D1_ERROR: database is closed: SQLITE_MISUSE`.
public final class SQLiteD1Database: D1Database {
    /// The path given to ``init(path:)``.
    public let path: String
    private let connection: SQLiteConnection
    private let queue: DispatchQueue

    /// Opens or creates a database.
    ///
    /// - Parameter path: a file path (missing parent directories are created), or `":memory:"` for a private
    ///   in-memory database.
    /// - Throws: `D1Error` when a directory or the database cannot be created or opened.
    public init(path: String) throws(D1Error) {
        if path != ":memory:" && !path.isEmpty {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw D1Error(.error, "unable to create directory \(directory.path): \(error.localizedDescription)")
            }
        }
        self.path = path
        self.connection = try SQLiteConnection(path: path)
        self.queue = DispatchQueue(label: "flarelet.d1")
    }

    /// Closes the connection after the operations already queued have finished. Later calls do nothing.
    public func close() {
        self.queue.sync { self.connection.close() }
    }

    /// Runs one query (several statements allowed; only the last may have parameters) in an implicit
    /// transaction and returns the last statement's result.
    public func query(_ query: D1Query) async throws(D1Error) -> D1QueryResult {
        try await self.perform { connection throws(D1Error) in try connection.d1Query(query) }
    }

    /// Runs every query in one transaction (`BEGIN IMMEDIATE` … `COMMIT`); the first failure rolls all of them
    /// back and is thrown. An empty array throws `D1_ERROR: No SQL statements detected.`
    public func batch(queries: [D1Query]) async throws(D1Error) -> [D1QueryResult] {
        try await self.perform { connection throws(D1Error) in try connection.d1Batch(queries) }
    }

    /// `exec()`: one statement per non-blank line, all in one transaction; failures throw `D1_EXEC_ERROR`.
    public func exec(_ sql: String) async throws(D1Error) -> D1ExecResult {
        try await self.perform { connection throws(D1Error) in try connection.d1Exec(sql) }
    }

    private func perform<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) throws(D1Error) -> T
    ) async throws(D1Error) -> T {
        let connection = self.connection
        let result: Result<T, D1Error> = await withCheckedContinuation { continuation in
            self.queue.async {
                continuation.resume(returning: Result { () throws(D1Error) -> T in try body(connection) })
            }
        }
        return try result.get()
    }
}
