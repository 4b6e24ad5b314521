public import FlareletContract
public import FlareletCore
import FlareletJavaScript

/// Plays cases in-process through ``WorkerHarness``.
public struct InProcessTarget: ContractTarget {
    public let harness: WorkerHarness
    /// Sent as `CF-Connecting-IP` when a case does not set it (what `flarelet dev` does for a local client).
    public var peerAddress: String

    public init(harness: WorkerHarness, peerAddress: String = "127.0.0.1") {
        self.harness = harness
        self.peerAddress = peerAddress
    }

    public var env: Env? { self.harness.env }
    public var clock: any WorkerClock { self.harness.env.clock }

    /// Header values travel as their UTF-8 bytes and reach the worker decoded as Latin-1, as over a socket.
    public func send(method: String, path: String, headers: Headers, body: [UInt8]) async throws -> WorkerResponse {
        var headers = Headers(headers.map { ($0.name, JavaScript.isomorphicDecode($0.value.utf8)) })
        if headers["CF-Connecting-IP"] == nil { headers["CF-Connecting-IP"] = self.peerAddress }
        let request = WorkerRequest(method: method, url: "http://localhost:8787" + path, headers: headers, body: body)
        return await self.harness.fetch(request)
    }
}
