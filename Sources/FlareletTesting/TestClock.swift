public import FlareletCore
import Foundation

/// A fake clock for tests: time stands still until the test moves it.
///
/// `sleep(until:)` suspends until ``advance(by:)`` or ``set(_:)`` moves the clock to or past the deadline, so a
/// scheduler driven by this clock runs without real sleeping.
public final class TestClock: WorkerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private var sleepers: [(id: UUID, deadline: Date, continuation: CheckedContinuation<Void, any Error>)] = []

    /// - Parameter now: the starting instant (default 2026-01-01T00:00:00Z).
    public init(_ now: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        self.current = now
    }

    public func now() -> Date {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.current
    }

    /// Moves the clock forward and wakes every sleeper whose deadline has passed.
    public func advance(by seconds: TimeInterval) {
        self.lock.lock()
        let target = self.current.addingTimeInterval(seconds)
        self.lock.unlock()
        self.set(target)
    }

    /// Sets the clock and wakes every sleeper whose deadline has passed.
    public func set(_ date: Date) {
        self.lock.lock()
        self.current = date
        var ready: [CheckedContinuation<Void, any Error>] = []
        self.sleepers.removeAll { sleeper in
            if sleeper.deadline <= date {
                ready.append(sleeper.continuation)
                return true
            }
            return false
        }
        self.lock.unlock()
        for continuation in ready { continuation.resume() }
    }

    /// Number of tasks currently sleeping on this clock.
    public var sleeperCount: Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.sleepers.count
    }

    /// Suspends until the clock reaches `deadline`; throws `CancellationError` if the task is cancelled first.
    public func sleep(until deadline: Date) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                self.lock.lock()
                if Task.isCancelled {
                    self.lock.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                if deadline <= self.current {
                    self.lock.unlock()
                    continuation.resume()
                    return
                }
                self.sleepers.append((id, deadline, continuation))
                self.lock.unlock()
            }
        } onCancel: {
            self.lock.lock()
            let index = self.sleepers.firstIndex { $0.id == id }
            let sleeper = index.map { self.sleepers.remove(at: $0) }
            self.lock.unlock()
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
