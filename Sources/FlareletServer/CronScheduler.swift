public import FlareletCore
public import FlareletCron
import FlareletJSON
import Foundation
public import ServiceLifecycle

/// Fires a worker's crons on their UTC schedule, reading time from an injectable clock.
///
/// Runs never overlap (they happen one after another in this service's task); a missed minute is not replayed:
/// after each run (or a long pause) the next fire time is computed from the clock's current time. On graceful
/// shutdown the sleep is cancelled but a running handler finishes.
public struct CronScheduler: Service {
    public let crons: [CronExpression]
    public let clock: any WorkerClock
    public let fire: @Sendable (_ cron: String, _ scheduledTime: Int64) async -> Void

    public init(
        crons: [CronExpression],
        clock: any WorkerClock,
        fire: @escaping @Sendable (_ cron: String, _ scheduledTime: Int64) async -> Void
    ) {
        self.crons = crons
        self.clock = clock
        self.fire = fire
    }

    /// The next minute at which any cron fires, strictly after `date`, with the crons due then (in config order).
    public func nextFiring(after date: Date) -> (time: Date, crons: [CronExpression])? {
        var best: Date?
        for cron in self.crons {
            if let next = cron.nextFireTime(after: date), best == nil || next < best! {
                best = next
            }
        }
        guard let time = best else { return nil }
        return (time, self.crons.filter { $0.matches(time) })
    }

    public func run() async throws {
        guard !self.crons.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        var after = self.clock.now()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            guard let next = self.nextFiring(after: after) else { break }
            do {
                try await cancelWhenGracefulShutdown {
                    try await self.clock.sleep(until: next.time)
                }
            } catch {
                break
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            let now = self.clock.now()
            if now.timeIntervalSince(next.time) >= 60 {
                // Woke up late (process paused, machine asleep): skip what was missed and recompute so that a cron
                // due in the current minute still fires.
                let minute = (now.timeIntervalSince1970 / 60).rounded(.down) * 60
                after = Date(timeIntervalSince1970: minute - 0.001)
                continue
            }
            let scheduledTime = next.time.epochMilliseconds
            for cron in next.crons {
                await self.fire(cron.text, scheduledTime)
            }
            // Never replay missed minutes: continue from whichever is later, the fired minute or now.
            after = max(next.time, self.clock.now())
        }
    }
}
