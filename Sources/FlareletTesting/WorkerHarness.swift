public import FlareletCore
public import FlareletJSON

/// Calls a worker's handlers in-process, exactly as the dev server does (errors become 500s, `waitUntil` work is
/// awaited before the call returns so tests can assert on its effects).
public struct WorkerHarness: Sendable {
    public let worker: any Worker
    public var env: Env

    public init(worker: any Worker, env: Env) {
        self.worker = worker
        self.env = env
    }

    /// Runs `fetch` and waits for its `waitUntil` tasks.
    public func fetch(_ request: WorkerRequest) async -> WorkerResponse {
        let (response, context) = await Invocation.fetch(self.worker, request: request, env: self.env)
        await context.settle()
        return response
    }

    /// Convenience: a request to `http://localhost<path>`.
    public func fetch(
        _ method: String,
        _ path: String,
        headers: Headers = [:],
        body: String = ""
    ) async -> WorkerResponse {
        await self.fetch(WorkerRequest(method: method, url: "http://localhost" + path, headers: headers, body: body))
    }

    /// POSTs a JSON value (compact `JSON.stringify` text) to `path`.
    public func post(_ path: String, json: JSONValue, headers: Headers = [:]) async -> WorkerResponse {
        var headers = headers
        if headers["Content-Type"] == nil { headers["Content-Type"] = "application/json" }
        return await self.fetch("POST", path, headers: headers, body: json.stringify())
    }

    /// Runs `scheduled` with `cron` at `scheduledTime` (default: the env clock's current minute).
    public func scheduled(cron: String = "", scheduledTime: Int64? = nil) async -> ScheduledOutcome {
        let time = scheduledTime ?? self.env.clock.now().epochMilliseconds / 60_000 * 60_000
        return await Invocation.scheduled(self.worker, cron: cron, scheduledTime: time, env: self.env)
    }
}
