import FlareletCore
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Testing

@testable import FlareletServer

/// The server's own answers (issue 14, items 2–5) and its timer decisions, without a socket.
struct RequestGateTests {
    static func request(_ method: HTTPRequest.Method, _ fields: HTTPFields = [:], body: RequestBody = RequestBody(buffer: ByteBuffer())) -> Request {
        Request(head: HTTPRequest(method: method, scheme: "http", authority: "x", path: "/p", headerFields: fields), body: body)
    }

    static func text(_ response: Response) async throws -> String {
        let writer = CollectingWriter()
        try await response.body.write(writer)
        return String(buffer: writer.collected.withLock { $0 })
    }

    // MARK: Methods and transfer codings

    @Test(arguments: ["CONNECT", "TRACE", "TRACK", "BIND", "SOURCE", "QUERY"])
    func methodsNoWorkerReceivesAre501(method: String) async throws {
        let response = try #require(RequestGate.refusal(for: Self.request(HTTPRequest.Method(method)!)))
        #expect(response.status == .notImplemented)
        #expect(try await Self.text(response) == "Method \(method) is not supported")
        #expect(response.headers[.connection] == (method == "CONNECT" ? "close" : nil))
        #expect(response.headers[.contentType] == "text/plain;charset=UTF-8")
    }

    @Test func aRefusalThatLeavesABodyUnreadClosesTheConnection() throws {
        for fields: HTTPFields in [[.contentLength: "5"], [.transferEncoding: "chunked"]] {
            let response = try #require(RequestGate.refusal(for: Self.request(.trace, fields)))
            #expect(response.status == .notImplemented)
            #expect(response.headers[.connection] == "close")
        }
        #expect(RequestGate.refusal(for: Self.request(.trace, [.contentLength: "0"]))?.headers[.connection] == nil)
    }

    @Test(arguments: ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "PURGE"])
    func servedMethodsPass(method: String) {
        #expect(RequestGate.refusal(for: Self.request(HTTPRequest.Method(method)!)) == nil)
    }

    @Test(arguments: [
        ("gzip", 501, "Transfer-Encoding gzip is not supported"),
        ("chunked, gzip", 501, "Transfer-Encoding gzip is not supported"),
        ("identity", 501, "Transfer-Encoding identity is not supported"),
        ("chunked, chunked", 400, "Bad Request: the body framing (Transfer-Encoding) is invalid"),
        ("chunked,", 400, "Bad Request: the body framing (Transfer-Encoding) is invalid"),
    ])
    func transferCodings(value: String, status: Int, text: String) async throws {
        let response = try #require(RequestGate.refusal(for: Self.request(.post, [.transferEncoding: value])))
        #expect(response.status.code == status)
        #expect(try await Self.text(response) == text)
        #expect(response.headers[.connection] == "close")
    }

    @Test func chunkedAloneIsServed() {
        #expect(RequestGate.refusal(for: Self.request(.post, [.transferEncoding: "Chunked"])) == nil)
        let both = RequestGate.refusal(for: Self.request(.post, [.transferEncoding: "chunked", .contentLength: "3"]))
        #expect(both?.status == .badRequest)
    }

    // MARK: Bodies

    static func reader(maxBodySize: Int = 1000, budget: Int = 1000) -> BodyReader {
        BodyReader(limits: ServerLimits(maxBodySize: maxBodySize, bodyMemoryBudget: budget), budget: BodyMemoryBudget(limit: budget))
    }

    /// A streamed body from `chunks`, ending with `failure` if given.
    static func streamed(_ chunks: [Int], failure: (any Error)? = nil) -> RequestBody {
        let stream = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            for size in chunks { continuation.yield(ByteBuffer(repeating: 0x61, count: size)) }
            continuation.finish(throwing: failure)
        }
        return RequestBody(asyncSequence: stream)
    }

    @Test func aDeclaredBodyIsReservedUntilReleased() async throws {
        let reader = Self.reader()
        let body = try await reader.read(
            Self.request(.post, [.contentLength: "600"], body: RequestBody(buffer: ByteBuffer(repeating: 1, count: 600)))
        )
        #expect(body.bytes.count == 600)
        #expect(body.reserved == 600)
        #expect(reader.budget.inUse == 600)
        // A second 600-byte body does not fit next to the first: 503 with Retry-After, nothing reserved.
        do {
            _ = try await reader.read(Self.request(.post, [.contentLength: "600"], body: RequestBody(buffer: ByteBuffer(repeating: 1, count: 600))))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.response.status == .serviceUnavailable)
            #expect(error.response.headers[.retryAfter] == "1")
            #expect(error.response.headers[.connection] == "close")
        }
        #expect(reader.budget.inUse == 600)
        reader.budget.release(body.reserved)
        #expect(reader.budget.inUse == 0)
    }

    @Test func aDeclaredLengthOverTheLimitIs413WithoutReading() async throws {
        let reader = Self.reader()
        do {
            _ = try await reader.read(Self.request(.post, [.contentLength: "1001"], body: Self.streamed([], failure: CancellationError())))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.response.status == .contentTooLarge)
            #expect(try await Self.text(error.response) == "Request entity too large")
        }
        #expect(reader.budget.inUse == 0)
    }

    @Test func chunkedBodiesReserveAsTheyGrow() async throws {
        let roomy = Self.reader(maxBodySize: 1 << 20, budget: 1 << 20)
        let body = try await roomy.read(Self.request(.post, body: Self.streamed([10, 20, 30])))
        #expect(body.bytes.count == 60)
        #expect(body.reserved == 60)
        #expect(roomy.budget.inUse == 60)

        let tight = Self.reader(maxBodySize: 1 << 20, budget: 100 * 1024)
        // The first chunk fits; the second does not: 503, and what the first reserved is returned.
        do {
            _ = try await tight.read(Self.request(.post, body: Self.streamed([60 * 1024, 60 * 1024])))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.response.status == .serviceUnavailable)
        }
        #expect(tight.budget.inUse == 0)

        let small = Self.reader(maxBodySize: 100, budget: 1 << 20)
        do {
            _ = try await small.read(Self.request(.post, body: Self.streamed([60, 60])))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.response.status == .contentTooLarge)
        }
        #expect(small.budget.inUse == 0)
    }

    @Test func framingFailuresAre400AndStalledBodies408() async throws {
        let reader = Self.reader()
        do {
            _ = try await reader.read(Self.request(.post, body: Self.streamed([5], failure: HTTPParserError.invalidChunkSize)))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.response.status == .badRequest)
            #expect(try await Self.text(error.response) == "Bad Request: malformed request body (invalid character in chunk size header)")
            #expect(error.response.headers[.connection] == "close")
        }
        do {
            _ = try await reader.read(Self.request(.post, body: Self.streamed([5], failure: RequestBodyTimeout())))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.response.status == .requestTimeout)
            #expect(try await Self.text(error.response) == "Request Timeout")
        }
        #expect(reader.budget.inUse == 0)
    }

    // MARK: Timers

    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    static func at(_ seconds: Double) -> NIODeadline { Self.start + .milliseconds(Int64(seconds * 1000)) }

    @Test func aNewConnectionMustSendItsHeadWithinTheHeaderTimeout() {
        var timeouts = ConnectionTimeouts(now: Self.start, headerTimeout: .seconds(15), idleTimeout: .seconds(5))
        #expect(timeouts.next?.deadline == Self.at(15))
        #expect(timeouts.next?.expiry == .close)
        timeouts.bytesReceived(at: Self.at(10))
        #expect(timeouts.next?.deadline == Self.at(25))
        #expect(timeouts.next?.expiry == .requestTimeout)
        timeouts.bytesReceived(at: Self.at(20))
        #expect(timeouts.next?.deadline == Self.at(25))
        #expect(timeouts.expire(at: Self.at(24.9)) == nil)
        #expect(timeouts.expire(at: Self.at(25)) == .requestTimeout)
        #expect(timeouts.expire(at: Self.at(26)) == nil)
    }

    @Test func noTimerRunsWhileAResponseIsBeingProduced() {
        var timeouts = ConnectionTimeouts(now: Self.start, headerTimeout: .seconds(15), idleTimeout: .seconds(5))
        timeouts.bytesReceived(at: Self.at(1))
        timeouts.headReceived(at: Self.at(1))
        #expect(timeouts.next?.expiry == .bodyTimeout)
        #expect(timeouts.next?.deadline == Self.at(16))
        timeouts.bytesReceived(at: Self.at(3))
        #expect(timeouts.next?.deadline == Self.at(18))
        timeouts.endReceived(at: Self.at(3))
        #expect(timeouts.next == nil)
        timeouts.responseEnded(at: Self.at(100))
        #expect(timeouts.next?.deadline == Self.at(105))
        #expect(timeouts.next?.expiry == .close)
        #expect(timeouts.expire(at: Self.at(105)) == .close)
    }

    @Test func aPipelinedHeadRunsItsOwnHeaderTimer() {
        var timeouts = ConnectionTimeouts(now: Self.start, headerTimeout: .seconds(15), idleTimeout: .seconds(5))
        timeouts.bytesReceived(at: Self.at(0))
        timeouts.headReceived(at: Self.at(0))
        timeouts.endReceived(at: Self.at(0))
        timeouts.bytesReceived(at: Self.at(2))
        #expect(timeouts.next?.deadline == Self.at(17))
        #expect(timeouts.next?.expiry == .requestTimeout)
        // A second head while the first is answered: its body has no timer until the first response ends.
        timeouts.headReceived(at: Self.at(3))
        #expect(timeouts.next == nil)
        timeouts.responseEnded(at: Self.at(4))
        #expect(timeouts.next?.expiry == .bodyTimeout)
    }

    @Test func aBodyStillArrivingAfterItsAnswerIsClosedWhenItStalls() {
        var timeouts = ConnectionTimeouts(now: Self.start, headerTimeout: .seconds(15), idleTimeout: .seconds(5))
        timeouts.bytesReceived(at: Self.at(0))
        timeouts.headReceived(at: Self.at(0))
        timeouts.responseEnded(at: Self.at(1))
        #expect(timeouts.next?.expiry == .close)
        #expect(timeouts.next?.deadline == Self.at(15))
        timeouts.endReceived(at: Self.at(2))
        #expect(timeouts.next?.deadline == Self.at(7))
    }

    @Test func connectAndUpgradesEndTheConnection() {
        var connect = HTTPRequestHead(version: .http1_1, method: .CONNECT, uri: "127.0.0.1:22")
        #expect(ConnectionGuardHandler.endsConnection(connect))
        connect.method = .GET
        #expect(!ConnectionGuardHandler.endsConnection(connect))
        connect.headers = ["Connection": "keep-alive, Upgrade", "Upgrade": "websocket"]
        #expect(ConnectionGuardHandler.endsConnection(connect))
        connect.headers = ["Upgrade": "websocket"]
        #expect(!ConnectionGuardHandler.endsConnection(connect))
        #expect(ConnectionGuardHandler.endsConnection(HTTPRequestHead(version: .http1_0, method: .GET, uri: "/")))
        #expect(ConnectionGuardHandler.endsConnection(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["Connection": "close"])))
    }
}

/// Collects a response body.
struct CollectingWriter: ResponseBodyWriter {
    let collected = LockedValue(ByteBuffer())

    mutating func write(_ buffer: ByteBuffer) async throws {
        var incoming = buffer
        self.collected.withLock { _ = $0.writeBuffer(&incoming) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
