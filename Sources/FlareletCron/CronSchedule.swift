import Foundation

/// The crons of one worker environment, merged into a single timeline (for `flarelet cron next` and the start-up
/// banner).
public struct CronSchedule: Sendable, Hashable {
    /// One upcoming firing: when, and which expression fires.
    public struct Firing: Sendable, Hashable {
        /// The scheduled minute, in UTC (a multiple of 60 seconds since the epoch): the `scheduledTime` the handler sees.
        public let date: Date
        /// The expression that fires; its `text` is the `cron` the handler sees.
        public let expression: CronExpression

        public init(date: Date, expression: CronExpression) {
            self.date = date
            self.expression = expression
        }
    }

    /// The expressions, in configuration order.
    public let expressions: [CronExpression]

    /// Creates a schedule from parsed expressions.
    public init(_ expressions: [CronExpression]) {
        self.expressions = expressions
    }

    /// Parses each string (for example `triggers.crons` from `wrangler.toml`), stopping at the first invalid one.
    ///
    /// - Throws: The first expression's ``CronParseError``.
    public init(parsing texts: [String]) throws(CronParseError) {
        var expressions: [CronExpression] = []
        for text in texts {
            expressions.append(try CronExpression(parsing: text))
        }
        self.expressions = expressions
    }

    /// The next `count` firings strictly after `date`, across all expressions, sorted by time.
    ///
    /// Expressions due in the same minute are all listed, in configuration order; expressions that can never fire are
    /// left out. Fewer than `count` firings are returned only if no expression can fire any more.
    ///
    /// - Parameters:
    ///   - date: The instant to search after.
    ///   - count: How many firings to return (none if `count <= 0`).
    public func nextFireTimes(after date: Date, count: Int) -> [Firing] {
        guard count > 0 else { return [] }
        // The pending next firing of each expression; a k-way merge keeps the result sorted.
        var pending: [Date?] = self.expressions.map { $0.nextFireTime(after: date) }
        var firings: [Firing] = []
        firings.reserveCapacity(count)
        while firings.count < count {
            var earliest: (index: Int, date: Date)?
            for (index, candidate) in pending.enumerated() {
                guard let candidate else { continue }
                if earliest == nil || candidate < (earliest?.date ?? candidate) {
                    earliest = (index, candidate)
                }
            }
            guard let earliest else { break }
            let expression = self.expressions[earliest.index]
            firings.append(Firing(date: earliest.date, expression: expression))
            pending[earliest.index] = expression.nextFireTime(after: earliest.date)
        }
        return firings
    }

    /// The next firing strictly after `date` across all expressions (the earliest, first in configuration order on a
    /// tie), or `nil` if none can ever fire.
    public func nextFiring(after date: Date) -> Firing? {
        self.nextFireTimes(after: date, count: 1).first
    }
}
