import Flarelet
import Logging

extension DriftWorker {
    /// Per-metric totals of the last 31 UTC calendar days (SQLite's `date('now')`), largest first.
    static let metricsSQL =
        "SELECT metric, SUM(value) as total FROM daily_stats WHERE date >= date('now', '-30 days') "
        + "GROUP BY metric ORDER BY total DESC"

    /// Raw events of the last 30 × 24 hours (SQLite's `datetime('now')`).
    static let eventCountSQL = "SELECT COUNT(*) as count FROM events WHERE created_at >= datetime('now', '-30 days')"

    /// `GET /v1/stats`: `{"period":"last_30_days","totalEvents":…,"metrics":{…},"generatedAt":…}`; any error
    /// (including a missing `DB` binding) becomes 500 `{"error":"Internal server error"}`.
    func handleStats(env: Env) async -> WorkerResponse {
        do {
            let database = try env.d1(Self.databaseBinding)
            let result = try await database.prepare(Self.metricsSQL).all()
            // A plain object in upstream: `stats[row.metric] = row.total`.
            var metrics = JSONObject()
            for row in result.results {
                JavaScript.assign(row["total"]?.json ?? .null, to: try JavaScript.toString(row["metric"]?.json), in: &metrics)
            }
            let countRow = try await database.prepare(Self.eventCountSQL).first()
            // `eventCount?.count ?? 0`
            var totalEvents = countRow?["count"]?.json ?? .null
            if totalEvents == .null { totalEvents = 0 }
            return Self.json([
                "period": "last_30_days",
                "totalEvents": totalEvents,
                "metrics": .object(metrics),
                "generatedAt": .string(env.clock.now().isoString),
            ])
        } catch {
            env.logger.error("Error fetching stats: \(error)")
            return Self.internalError
        }
    }
}
