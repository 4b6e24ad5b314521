import FlareletCore
import Foundation
import Testing

@testable import FlareletServer

struct PendingWorkTests {
    /// waitUntil work past its limit is cancelled by the reaper; finished work is forgotten.
    @Test func overdueWorkIsCancelled() async throws {
        let pending = PendingWork(limit: 0.2)
        let context = ExecutionContext()
        let cancelled = LockedValue(false)
        context.waitUntil {
            do {
                try await Task.sleep(nanoseconds: 60_000_000_000)
            } catch {
                cancelled.withLock { $0 = true }
                throw error
            }
        }
        pending.track(context)
        // The reaper checks once a second.
        for _ in 0..<300 where !cancelled.withLock({ $0 }) {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(cancelled.withLock { $0 })
        await pending.drain(timeout: 1)
    }

    @Test func cancelOverdueLeavesWorkWithinItsLimit() async throws {
        let pending = PendingWork(limit: 30)
        let context = ExecutionContext()
        let finished = LockedValue(false)
        context.waitUntil {
            try await Task.sleep(nanoseconds: 50_000_000)
            finished.withLock { $0 = true }
        }
        pending.track(context)
        pending.cancelOverdue(now: Date())
        await pending.drain(timeout: 5)
        #expect(finished.withLock { $0 })
    }
}
