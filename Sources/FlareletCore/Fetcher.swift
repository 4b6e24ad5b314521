/// A binding a worker sends requests to, like a JavaScript `Fetcher` (`env.ASSETS.fetch(request)`).
public protocol Fetcher: Sendable {
    /// Answers `request`. Only what the binding reads matters (for assets: the method, the URL's path and query and
    /// the conditional headers).
    func fetch(_ request: WorkerRequest) async throws -> WorkerResponse
}

extension Fetcher {
    /// `fetcher.fetch(url)`: a `GET` of `url` without headers.
    public func fetch(_ url: String) async throws -> WorkerResponse {
        try await self.fetch(WorkerRequest(method: "GET", url: url))
    }
}

extension Env {
    /// The fetcher bound as `name` (e.g. `env.ASSETS`, the `[assets]` binding); throws
    /// ``WorkerError/missingBinding(name:kind:)`` when absent.
    public func fetcher(_ name: String) throws(WorkerError) -> any Fetcher {
        guard let fetcher = self.fetchers[name] else { throw .missingBinding(name: name, kind: "Fetcher") }
        return fetcher
    }
}
