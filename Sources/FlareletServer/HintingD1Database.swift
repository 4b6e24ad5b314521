import CoreMetrics
import FlareletCore
import Logging

/// Forwards to a D1 database and adds one hint line to the dev log when worker SQL tries to open a transaction
/// itself (platform.md 7.7): the error stays exactly D1's, the log says what to do instead.
struct HintingD1Database: D1Database {
    let base: any D1Database
    let binding: String
    let logger: Logger
    /// `flarelet_d1_queries_total{binding}`: one per statement.
    var queries: any CounterHandler = NOOPMetricsHandler.instance

    static let hint = "Hint: D1 has no interactive transactions; use batch([...]) to run statements atomically."

    private func observe<T>(_ body: () async throws(D1Error) -> T) async throws(D1Error) -> T {
        do {
            return try await body()
        } catch {
            if error.kind == .error, error.message.hasPrefix("To execute a transaction, please use") {
                self.logger.warning("env.\(self.binding): \(Self.hint)")
            }
            throw error
        }
    }

    func query(_ query: D1Query) async throws(D1Error) -> D1QueryResult {
        self.queries.increment(by: 1)
        return try await self.observe { () async throws(D1Error) -> D1QueryResult in try await self.base.query(query) }
    }

    func batch(queries: [D1Query]) async throws(D1Error) -> [D1QueryResult] {
        self.queries.increment(by: Int64(queries.count))
        return try await self.observe { () async throws(D1Error) -> [D1QueryResult] in try await self.base.batch(queries: queries) }
    }

    func exec(_ sql: String) async throws(D1Error) -> D1ExecResult {
        self.queries.increment(by: 1)
        return try await self.observe { () async throws(D1Error) -> D1ExecResult in try await self.base.exec(sql) }
    }
}
