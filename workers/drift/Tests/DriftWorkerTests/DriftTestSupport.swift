import DriftWorker
import Flarelet
import FlareletD1
import FlareletTesting
import Foundation
import Logging

/// Shared setup: an in-memory D1 database with `workers/drift/schema.sql`, and a harness around it.
enum DriftTestSupport {
    static var fixturesFolder: String {
        get throws { try TestFiles.path("fixtures/drift") }
    }

    /// Runs `body` with ``DriftWorker`` on a fresh `:memory:` database holding `workers/drift/schema.sql` (or with no
    /// `DB` binding at all).
    static func withHarness<T>(
        clock: any WorkerClock = TestClock(Date()),
        withDatabase: Bool = true,
        _ body: (WorkerHarness) async throws -> T
    ) async throws -> T {
        try await withWorker(DriftWorker(), d1: withDatabase ? ["DB": "schema.sql"] : [:], clock: clock, body)
    }

    /// `SELECT COUNT(*)` of a table.
    static func count(_ harness: WorkerHarness, _ table: String) async throws -> Int {
        try await harness.d1().prepare("SELECT COUNT(*) AS n FROM \(table)").first(as: Int.self) ?? -1
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
