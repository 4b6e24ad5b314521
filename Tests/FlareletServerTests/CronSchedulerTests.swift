import FlareletCore
import FlareletCron
import FlareletServer
import FlareletTesting
import Foundation
import Testing

/// Records the firings of a scheduler under test.
final class FiringLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(cron: String, time: Int64)] = []
    var firings: [(cron: String, time: Int64)] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.entries
    }
    func record(_ cron: String, _ time: Int64) {
        self.lock.lock()
        self.entries.append((cron, time))
        self.lock.unlock()
    }
}

/// Waits (really, briefly) until `condition` holds; the scheduler runs on other tasks.
func eventually(_ condition: () -> Bool) async throws {
    for _ in 0..<500 {
        if condition() { return }
        try await Task.sleep(nanoseconds: 2_000_000)
    }
    Issue.record("condition not reached within 1 s")
}

func iso(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    return formatter.date(from: text)!
}

struct CronSchedulerTests {
    @Test func firesAtTheScheduledMinuteWithTheConfiguredString() async throws {
        let clock = TestClock(iso("2026-11-23T01:59:30Z"))
        let log = FiringLog()
        let scheduler = CronScheduler(crons: [try CronExpression(parsing: "0 2 * * *")], clock: clock) { cron, time in
            log.record(cron, time)
        }
        let task = Task { try await scheduler.run() }
        try await eventually { clock.sleeperCount == 1 }
        clock.set(iso("2026-11-23T02:00:00Z").addingTimeInterval(0.25))
        try await eventually { log.firings.count == 1 }
        #expect(log.firings[0].cron == "0 2 * * *")
        #expect(log.firings[0].time == iso("2026-11-23T02:00:00Z").epochMilliseconds)
        #expect(log.firings[0].time % 60_000 == 0)
        // The next sleep targets the next day.
        try await eventually { clock.sleeperCount == 1 }
        clock.set(iso("2026-11-24T01:59:59Z"))
        try await Task.sleep(nanoseconds: 20_000_000)
        #expect(log.firings.count == 1)
        clock.set(iso("2026-11-24T02:00:00Z"))
        try await eventually { log.firings.count == 2 }
        #expect(log.firings[1].time == iso("2026-11-24T02:00:00Z").epochMilliseconds)
        task.cancel()
        _ = try? await task.value
    }

    @Test func cronsDueInTheSameMinuteFireInConfigOrder() async throws {
        let clock = TestClock(iso("2026-11-23T10:00:30Z"))
        let log = FiringLog()
        let crons = [try CronExpression(parsing: "*/5 * * * *"), try CronExpression(parsing: "*  *  *  *  *")]
        let scheduler = CronScheduler(crons: crons, clock: clock) { cron, time in log.record(cron, time) }
        let task = Task { try await scheduler.run() }
        try await eventually { clock.sleeperCount == 1 }
        clock.set(iso("2026-11-23T10:01:00Z"))
        try await eventually { log.firings.count == 1 }
        #expect(log.firings[0].cron == "*  *  *  *  *")
        try await eventually { clock.sleeperCount == 1 }
        clock.set(iso("2026-11-23T10:05:00Z"))
        try await eventually { log.firings.count == 3 }
        #expect(log.firings.map(\.cron) == ["*  *  *  *  *", "*/5 * * * *", "*  *  *  *  *"])
        #expect(log.firings[1].time == iso("2026-11-23T10:05:00Z").epochMilliseconds)
        task.cancel()
        _ = try? await task.value
    }

    /// A long run does not overlap the next one, and missed minutes are not replayed.
    @Test func runsDoNotOverlapAndMissedMinutesAreNotReplayed() async throws {
        let clock = TestClock(iso("2026-11-23T10:00:30Z"))
        let log = FiringLog()
        let gate = AsyncGate()
        let running = LockedValue(0)
        let maxRunning = LockedValue(0)
        let scheduler = CronScheduler(crons: [try CronExpression(parsing: "* * * * *")], clock: clock) { cron, time in
            let now = running.withLock {
                $0 += 1
                return $0
            }
            maxRunning.withLock { $0 = max($0, now) }
            log.record(cron, time)
            await gate.wait()
            running.withLock { $0 -= 1 }
        }
        let task = Task { try await scheduler.run() }
        try await eventually { clock.sleeperCount == 1 }
        clock.set(iso("2026-11-23T10:01:00Z"))
        try await eventually { log.firings.count == 1 }
        // While the first run is still going, ten minutes pass.
        clock.set(iso("2026-11-23T10:11:10Z"))
        try await Task.sleep(nanoseconds: 20_000_000)
        #expect(log.firings.count == 1)
        await gate.open()
        try await eventually { clock.sleeperCount == 1 }
        clock.set(iso("2026-11-23T10:12:00Z"))
        try await eventually { log.firings.count == 2 }
        #expect(log.firings[1].time == iso("2026-11-23T10:12:00Z").epochMilliseconds)
        #expect(maxRunning.withLock { $0 } == 1)
        task.cancel()
        _ = try? await task.value
    }

    @Test func cancellationStopsASleepingScheduler() async throws {
        let clock = TestClock(iso("2026-11-23T10:00:30Z"))
        let scheduler = CronScheduler(crons: [try CronExpression(parsing: "0 0 1 1 *")], clock: clock) { _, _ in }
        let task = Task { try await scheduler.run() }
        try await eventually { clock.sleeperCount == 1 }
        task.cancel()
        _ = try? await task.value
        #expect(clock.sleeperCount == 0)
    }

    @Test func nextFiringListsEveryCronDueThatMinute() throws {
        let scheduler = CronScheduler(
            crons: [try CronExpression(parsing: "0 2 * * *"), try CronExpression(parsing: "0 */2 * * *")],
            clock: TestClock()
        ) { _, _ in }
        let next = try #require(scheduler.nextFiring(after: iso("2026-11-23T01:10:00Z")))
        #expect(next.time == iso("2026-11-23T02:00:00Z"))
        #expect(next.crons.map(\.text) == ["0 2 * * *", "0 */2 * * *"])
    }
}

/// A one-shot gate: `wait()` suspends until `open()`.
actor AsyncGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if self.isOpen { return }
        await withCheckedContinuation { self.waiters.append($0) }
    }

    func open() {
        self.isOpen = true
        for waiter in self.waiters { waiter.resume() }
        self.waiters = []
    }
}
