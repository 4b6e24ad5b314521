import Foundation
public import Logging

/// `ctx` of a worker invocation: `waitUntil` work that the host finishes before it shuts down.
///
/// Each task runs independently (like `Promise.allSettled`): a failure is logged and does not affect the
/// response or the other tasks. ``settle(timeout:)`` waits for every task, at most `timeout` seconds.
public final class ExecutionContext: Sendable {
    private struct State {
        var tasks: [Task<(any Error)?, Never>] = []
        var passThrough = false
    }
    private let state = LockedValue(State())
    private let logger: Logger

    public init(logger: Logger = Logger(label: "flarelet.waitUntil")) {
        self.logger = logger
    }

    /// Extends the invocation's lifetime until `operation` finishes. The operation starts at once.
    public func waitUntil(_ operation: @escaping @Sendable () async throws -> Void) {
        let logger = self.logger
        let task = Task<(any Error)?, Never> {
            do {
                try await operation()
                return nil
            } catch {
                logger.error("waitUntil task failed: \(error)")
                return error
            }
        }
        self.state.withLock { $0.tasks.append(task) }
    }

    /// Whether `waitUntil` was called at all (the host tracks only invocations that have work left).
    public var hasTasks: Bool { self.state.withLock { !$0.tasks.isEmpty } }

    /// Recorded only; there is no origin to pass through to locally.
    public func passThroughOnException() {
        self.state.withLock { $0.passThrough = true }
    }

    /// Waits for every `waitUntil` task (including ones added meanwhile), however long they take. Starts no extra
    /// tasks, so it is cheap enough to call for every request; pair it with ``cancelAll()`` to enforce a limit.
    /// - Returns: the errors of the tasks that failed.
    @discardableResult
    public func wait() async -> [any Error] {
        var errors: [any Error] = []
        var index = 0
        while let task = self.state.withLock({ state in index < state.tasks.count ? state.tasks[index] : nil }) {
            index += 1
            if let error = await task.value { errors.append(error) }
        }
        return errors
    }

    /// Cancels every `waitUntil` task still running (cooperative cancellation).
    public func cancelAll() {
        for task in self.state.withLock({ $0.tasks }) { task.cancel() }
    }

    /// Waits for every `waitUntil` task (including ones added meanwhile), at most `timeout` seconds in all.
    /// - Returns: the errors of the tasks that failed; a task still running at the deadline is cancelled and
    ///   reported as ``WaitUntilTimeout``.
    @discardableResult
    public func settle(timeout: Double = 30) async -> [any Error] {
        let deadline = Date().addingTimeInterval(timeout)
        var errors: [any Error] = []
        var index = 0
        while true {
            let next: Task<(any Error)?, Never>? = self.state.withLock { state in
                index < state.tasks.count ? state.tasks[index] : nil
            }
            guard let task = next else { break }
            index += 1
            let remaining = deadline.timeIntervalSinceNow
            let outcome = await Self.race(task, timeout: remaining)
            switch outcome {
            case .finished(let error?): errors.append(error)
            case .finished(nil): break
            case .timedOut:
                task.cancel()
                errors.append(WaitUntilTimeout())
            }
        }
        return errors
    }
}

private enum SettleOutcome: Sendable {
    case finished((any Error)?)
    case timedOut
}

extension ExecutionContext {
    /// Waits for `task` or for `timeout` seconds, whichever comes first, without waiting for a task that ignores
    /// cancellation.
    fileprivate static func race(_ task: Task<(any Error)?, Never>, timeout: Double) async -> SettleOutcome {
        let resumed = LockedValue(false)
        let timer = LockedValue<Task<Void, Never>?>(nil)
        return await withCheckedContinuation { (continuation: CheckedContinuation<SettleOutcome, Never>) in
            func finish(_ outcome: SettleOutcome) {
                let first = resumed.withLock { done -> Bool in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: outcome) }
            }
            timer.withLock {
                $0 = Task {
                    try? await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1_000_000_000))
                    if !Task.isCancelled { finish(.timedOut) }
                }
            }
            Task {
                let error = await task.value
                timer.withLock { $0?.cancel() }
                finish(.finished(error))
            }
        }
    }
}

/// A `waitUntil` task was still running when its time ran out.
public struct WaitUntilTimeout: Error, CustomStringConvertible {
    public var description: String { "waitUntil task did not finish within its time limit" }
}

/// `controller` of a scheduled invocation.
public final class ScheduledController: Sendable {
    /// The cron expression exactly as configured (`""` when triggered without one).
    public let cron: String
    /// The scheduled minute in milliseconds since the epoch.
    public let scheduledTime: Int64
    private let retry = LockedValue(false)

    public init(cron: String, scheduledTime: Int64) {
        self.cron = cron
        self.scheduledTime = scheduledTime
    }

    /// Asks the platform not to retry this invocation if it fails.
    public func noRetry() { self.retry.withLock { $0 = true } }

    /// Whether `noRetry()` was called.
    public var noRetryCalled: Bool { self.retry.withLock { $0 } }
}

/// A small mutex-protected box.
public final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        self.lock.lock()
        defer { self.lock.unlock() }
        return try body(&self.value)
    }
}
