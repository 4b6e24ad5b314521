public import FlareletCore
import FlareletD1
import Foundation

/// Runs `body` with `worker` behind a ``WorkerHarness`` whose bindings are fresh and in memory, and closes them after.
///
/// Each D1 database is SQLite `:memory:` with its schema file applied (split into statements like
/// `wrangler d1 execute --file`, run as one batch); each KV namespace is a ``MemoryKVNamespace`` reading `clock`; the
/// worker's log lines land in ``WorkerHarness/logs``.
///
/// ```swift
/// @Test func countsHits() async throws {
///     try await withWorker(HelloWorker(), d1: ["DB": "schema.sql"], kv: ["KV"], clock: TestClock()) { harness in
///         let response = await harness.fetch("GET", "/hello")
///         #expect(response.text == #"{"path":"/hello","hits":1}"#)
///     }
/// }
/// ```
///
/// - Parameters:
///   - worker: the worker under test.
///   - d1: D1 bindings by name, each with the path of its schema file (`nil`: an empty database). A relative path is
///     looked up from the calling test file's folder upward (see ``TestFiles``), so `"schema.sql"` finds the
///     package's own.
///   - kv: the names of the KV bindings.
///   - hyperdrive: Hyperdrive bindings by name (e.g. from ``PostgresTestServer/withHyperdrive(database:prefix:_:)``).
///   - vars: text variables (`[vars]`).
///   - clock: the clock of the worker and of its KV namespaces (default: a ``TestClock`` at 2026-01-01T00:00:00Z).
///   - filePath: where relative schema paths are looked up from; leave the default.
///   - body: the test, given the harness.
public func withWorker<T>(
    _ worker: any Worker,
    d1: [String: String?] = [:],
    kv: [String] = [],
    hyperdrive: [String: Hyperdrive] = [:],
    vars: [String: String] = [:],
    clock: any WorkerClock = TestClock(),
    filePath: StaticString = #filePath,
    _ body: (WorkerHarness) async throws -> T
) async throws -> T {
    var databases: [String: SQLiteD1Database] = [:]
    defer {
        for database in databases.values { database.close() }
    }
    for (binding, schema) in d1.sorted(by: { $0.key < $1.key }) {
        let database = try SQLiteD1Database(path: ":memory:")
        databases[binding] = database
        if let schema {
            try await TestFiles.applySchema(try TestFiles.path(schema, from: filePath), to: database)
        }
    }
    let logs = LogCapture()
    let env = Env(
        vars: vars.mapValues { .text($0) },
        d1Databases: databases.mapValues { $0 },
        kvNamespaces: Dictionary(uniqueKeysWithValues: kv.map { ($0, MemoryKVNamespace(clock: clock)) }),
        hyperdrives: hyperdrive,
        clock: clock,
        logger: logs.logger(label: "worker")
    )
    return try await body(WorkerHarness(worker: worker, env: env, logs: logs))
}

/// Files of the package under test, found from the test's own source file, so tests work from any working directory.
public enum TestFiles {
    /// The absolute path of `relativePath` in the folder of `filePath` or the nearest folder above it that has it
    /// (`"schema.sql"` from `Tests/HelloWorkerTests/HelloTests.swift` is the package's `schema.sql`). An absolute
    /// path is returned as it is.
    /// - Throws: ``TestFileNotFound`` naming the path and the folder the search started from.
    public static func path(_ relativePath: String, from filePath: StaticString = #filePath) throws(TestFileNotFound) -> String {
        if relativePath.hasPrefix("/") { return relativePath }
        let start = URL(fileURLWithPath: "\(filePath)").deletingLastPathComponent()
        var folder = start
        while true {
            let candidate = folder.appendingPathComponent(relativePath).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        throw TestFileNotFound(path: relativePath, searchedFrom: start.path)
    }

    /// Applies the schema file at `path` to `database`: split into statements like `wrangler d1 execute --file`, run
    /// as one batch (all or nothing).
    public static func applySchema(_ path: String, to database: any D1Database) async throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        _ = try await database.batch(queries: SQLSplitter.split(text).map { D1Query(sql: $0) })
    }
}

/// A file a test asked ``TestFiles`` for does not exist in the test's folder or any folder above it.
public struct TestFileNotFound: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var searchedFrom: String

    public var description: String { "\(self.path): not found in \(self.searchedFrom) or any folder above it" }
}
