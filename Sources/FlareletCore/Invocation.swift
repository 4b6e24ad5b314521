import Foundation
import Logging

/// How the host runs a worker's handlers: the same code path serves `flarelet dev`, `flarelet cron trigger` and
/// the in-process test harness, so tests see exactly what a real request sees. Host-only: not visible to workers.
package enum Invocation {
    /// Calls `fetch`. A thrown error becomes a 500 (`Worker threw exception`) and an error log line.
    /// - Returns: the response and the invocation's context (its `waitUntil` work is still running).
    package static func fetch(
        _ worker: any Worker,
        request: WorkerRequest,
        env: Env
    ) async -> (response: WorkerResponse, context: ExecutionContext) {
        let result = await self.fetchReportingError(worker, request: request, env: env)
        return (result.response, result.context)
    }

    /// ``fetch(_:request:env:)``, also returning the error the handler threw (the host reports it to `tail`).
    public static func fetchReportingError(
        _ worker: any Worker,
        request: WorkerRequest,
        env: Env
    ) async -> (response: WorkerResponse, context: ExecutionContext, error: (any Error)?) {
        let context = ExecutionContext(logger: env.logger)
        do {
            let response = try await worker.fetch(request, env: env, ctx: context)
            return (response, context, nil)
        } catch {
            env.logger.error("Uncaught exception in fetch handler for \(request.method) \(request.url): \(error)")
            return (.text("Worker threw exception", status: 500), context, error)
        }
    }

    /// Calls `scheduled` and waits for its `waitUntil` work; the outcome is `exception` if the handler or any of
    /// its tasks failed.
    package static func scheduled(
        _ worker: any Worker,
        cron: String,
        scheduledTime: Int64,
        env: Env,
        waitUntilTimeout: Double = 30
    ) async -> ScheduledOutcome {
        let context = ExecutionContext(logger: env.logger)
        let controller = ScheduledController(cron: cron, scheduledTime: scheduledTime)
        var failure: (any Error)?
        do {
            try await worker.scheduled(controller, env: env, ctx: context)
        } catch {
            failure = error
            env.logger.error("Uncaught exception in scheduled handler (cron \"\(cron)\"): \(error)")
        }
        let taskErrors = await context.settle(timeout: waitUntilTimeout)
        if failure == nil { failure = taskErrors.first }
        return ScheduledOutcome(outcome: failure == nil ? "ok" : "exception", noRetry: controller.noRetryCalled, error: failure)
    }
}

/// The runtime's report of one scheduled invocation: `{outcome, noRetry}`.
public struct ScheduledOutcome: Sendable {
    /// `ok` or `exception`.
    public var outcome: String
    public var noRetry: Bool
    /// The first failure, if any.
    public var error: (any Error)?

    public init(outcome: String, noRetry: Bool, error: (any Error)? = nil) {
        self.outcome = outcome
        self.noRetry = noRetry
        self.error = error
    }

    public var isOK: Bool { self.outcome == "ok" }
}
