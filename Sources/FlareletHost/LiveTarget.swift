import AsyncHTTPClient
public import FlareletContract
public import FlareletCore
import FlareletJavaScript
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Plays contract cases against a running server (e.g. `flarelet dev`) over HTTP: what `flarelet contract --url`
/// uses.
public struct LiveTarget: ContractTarget {
    public let baseURL: String

    public init(baseURL: String) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
    }

    public var env: Env? { nil }
    public var clock: any WorkerClock { SystemClock() }

    /// `http://` targets get the request byte for byte over a socket (path not normalised, header values as their
    /// UTF-8 bytes); other schemes (`https://`) go through AsyncHTTPClient. Redirects are never followed: a case
    /// sees the answer the server gave.
    public func send(method: String, path: String, headers: Headers, body: [UInt8]) async throws -> WorkerResponse {
        if let base = JavaScript.URL(self.baseURL), base.scheme == "http" {
            let prefix = base.pathname == "/" ? "" : base.pathname
            return try await RawHTTPClient.send(
                host: base.hostname.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                port: base.port ?? 80,
                method: method,
                target: prefix + path,
                headers: headers,
                body: body
            )
        }
        var request = HTTPClientRequest(url: self.baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        for field in headers { request.headers.add(name: field.name, value: field.value) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do {
            response = try await Self.client.execute(request, timeout: .seconds(30))
        } catch {
            throw ContractError("\(method) \(self.baseURL + path): \(error)")
        }
        var responseHeaders = Headers()
        for field in response.headers { responseHeaders.append(field.name, field.value) }
        let bytes = try await response.body.collect(upTo: Self.maxBodyBytes)
        return WorkerResponse(status: Int(response.status.code), headers: responseHeaders, body: Array(buffer: bytes))
    }

    /// The largest response body a case may receive.
    static let maxBodyBytes = 64 * 1024 * 1024

    /// One client for the process (on NIO's shared event loops), never following redirects.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()
}
