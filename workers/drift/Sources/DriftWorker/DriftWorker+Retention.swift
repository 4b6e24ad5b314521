public import Flarelet
import Foundation
import Logging

extension DriftWorker {
    /// Deletes raw events older than the retention period.
    static let retentionSQL = "DELETE FROM events WHERE created_at < ?"

    /// `true`: Flarelet's port has a `scheduled` handler (upstream has none).
    public var hasScheduledHandler: Bool { true }

    /// Retention, a Flarelet addition: upstream has **no** `scheduled` handler and no cron; its `schema.sql` and
    /// README only document "Raw events are kept for 90 days. Aggregated stats are kept indefinitely." as a manual
    /// `DELETE`. This handler (wired to `crons = ["0 3 * * *"]` in `workers/drift/wrangler.toml`) deletes the
    /// `events` rows whose `created_at` is older than ``retentionDays`` days before `env.clock` and logs how many it
    /// removed. `daily_stats` is never touched.
    ///
    /// The cutoff is computed from `env.clock` (not SQLite's clock) and bound as `YYYY-MM-DD HH:MM:SS` UTC, the
    /// format of `datetime('now')` that `created_at` holds, so the comparison is a plain text comparison.
    public func scheduled(_ controller: ScheduledController, env: Env, ctx: ExecutionContext) async throws {
        let database = try env.d1(Self.databaseBinding)
        let cutoff = Self.sqlTime(env.clock.now().addingTimeInterval(-Double(Self.retentionDays) * 86_400))
        let result = try await database.prepare(Self.retentionSQL).bind(.text(cutoff)).run()
        env.logger.info("Retention (cron \"\(controller.cron)\"): deleted \(result.meta.changes) events created before \(cutoff)")
    }

    /// A date as SQLite's `datetime()` prints it: `YYYY-MM-DD HH:MM:SS`, UTC.
    static func sqlTime(_ date: Date) -> String {
        let iso = date.isoString
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8))
    }
}
