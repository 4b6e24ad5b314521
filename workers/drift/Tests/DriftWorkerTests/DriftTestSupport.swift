import DriftWorker
import Flarelet
import FlareletD1
import FlareletTesting
import Foundation
import Logging

/// Shared setup: an in-memory D1 database with `workers/drift/schema.sql`, and a harness around it.
enum DriftTestSupport {
    /// The package root, found from this file's location.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    static var fixturesFolder: String {
        self.repositoryRoot.appendingPathComponent("fixtures/drift").path
    }

    static func schemaQueries() throws -> [D1Query] {
        let text = try String(contentsOf: self.repositoryRoot.appendingPathComponent("workers/drift/schema.sql"), encoding: .utf8)
        return SQLSplitter.split(text).map { D1Query(sql: $0) }
    }

    /// A fresh `:memory:` database with the Drift schema applied.
    static func makeDatabase() async throws -> any D1Database {
        let database = try SQLiteD1Database(path: ":memory:")
        _ = try await database.batch(queries: try self.schemaQueries())
        return database
    }

    /// A harness with `DB` bound to a fresh database (or no binding at all).
    static func makeHarness(
        clock: any WorkerClock = TestClock(Date()),
        withDatabase: Bool = true,
        logger: Logger = Logger(label: "drift.test")
    ) async throws -> WorkerHarness {
        var databases: [String: any D1Database] = [:]
        if withDatabase { databases["DB"] = try await self.makeDatabase() }
        let env = Env(d1Databases: databases, clock: clock, logger: logger)
        return WorkerHarness(worker: DriftWorker(), env: env)
    }

    /// The `DB` binding of a harness.
    static func database(_ harness: WorkerHarness) throws -> any D1Database {
        try harness.env.d1("DB")
    }

    /// Every row of `sql` as objects.
    static func rows(_ harness: WorkerHarness, _ sql: String, _ bindings: D1Value...) async throws -> [JSONObject] {
        try await self.database(harness).prepare(sql).bind(bindings).all().results.map(\.object)
    }

    /// `SELECT COUNT(*)` of a table.
    static func count(_ harness: WorkerHarness, _ table: String) async throws -> Int64 {
        let value = try await self.database(harness).prepare("SELECT COUNT(*) AS n FROM \(table)").first("n")
        guard case .integer(let n)? = value else { return -1 }
        return n
    }

    /// An event with the four named fields, then `extra` in order.
    static func event(
        _ type: String,
        installationId: String = "install-a",
        _ extra: [(String, JSONValue)] = []
    ) -> JSONValue {
        var object = JSONObject([
            ("type", .string(type)),
            ("timestamp", "2026-03-05T12:00:00.000Z"),
            ("installationId", .string(installationId)),
            ("driftVersion", "0.9.0"),
        ])
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    /// `YYYY-MM-DD HH:MM:SS` (UTC), the format of SQLite's `datetime()`.
    static func sqlTime(_ date: Date) -> String {
        let iso = date.isoString
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8))
    }

    /// `YYYY-MM-DD` (UTC).
    static func sqlDate(_ date: Date) -> String {
        String(date.isoString.prefix(10))
    }
}

extension JSONObject {
    /// The row as compact JSON text (key order kept).
    var json: String { JSONValue.object(self).stringify() }
}
