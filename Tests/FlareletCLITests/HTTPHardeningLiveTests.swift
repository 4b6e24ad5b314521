import FlareletTesting
import Foundation
import Testing

/// What a hostile or clumsy client gets from a live `flarelet dev` (issue 14, items 2–5): every request a complete
/// answer, every connection either usable afterwards or closed, bounded waits.
@Suite(.serialized)
struct HTTPHardeningLiveTests {
    static let counter = repoRoot.appendingPathComponent("examples/counter/wrangler.toml").path

    /// The counter example with `extra` flags.
    static func server(_ extra: [String] = []) throws -> (LiveServer, TemporaryDirectory, Int) {
        let state = try TemporaryDirectory()
        let server = try LiveServer(["-c", Self.counter, "--port", "0", "--persist-to", state.path, "--no-crons"] + extra)
        let port = try #require(Int(server.url.split(separator: ":").last ?? ""))
        return (server, state, port)
    }

    static func response(_ outcome: ReadOutcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> RawResponse {
        guard case .response(let response) = outcome else {
            Issue.record("expected a response, got \(outcome)", sourceLocation: sourceLocation)
            throw LiveError("no response")
        }
        return response
    }

    static func connect(_ port: Int) throws -> RawConnection {
        guard let connection = RawConnection(port: port, timeout: 5) else { throw LiveError("cannot connect to port \(port)") }
        return connection
    }

    static var soon: Date { Date().addingTimeInterval(10) }

    // MARK: Item 2: methods the server does not serve

    @Test func connectGetsACompleteAnswerAndTheConnectionCloses() throws {
        let (server, state, port) = try Self.server()
        defer { withExtendedLifetime(state) { server.stop() } }
        let connection = try Self.connect(port)
        connection.send("CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try Self.response(connection.readResponse(deadline: Self.soon))
        #expect(response.status == 501)
        #expect(response.header("connection") == "close")
        // A response to CONNECT cannot carry framing headers, so its (empty) body ends with the connection.
        #expect(response.closeDelimited)
        #expect(connection.waitForClose(deadline: Self.soon))
    }

    @Test(arguments: ["TRACE", "BIND", "MKCALENDAR"])
    func unservedMethodsGet501AndTheConnectionStaysUsable(method: String) throws {
        let (server, state, port) = try Self.server()
        defer { withExtendedLifetime(state) { server.stop() } }
        let connection = try Self.connect(port)
        connection.send("\(method) /x HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        let refused = try Self.response(connection.readResponse(deadline: Self.soon))
        #expect(refused.status == 501)
        #expect(refused.bodyText == "Method \(method) is not supported")
        #expect(refused.header("content-type") == "text/plain;charset=UTF-8")
        #expect(refused.header("connection") == nil)
        let next = try Self.response(connection.readResponse(deadline: Self.soon))
        #expect(next.status == 200)
        #expect(next.bodyText.hasPrefix(#"{"path":"/after","hits":1,"#))
    }

    /// llhttp only parses the methods it knows; `TRACK` and made-up tokens are a parse error (400, then close).
    @Test func anUnknownMethodTokenGets400AndAClose() throws {
        let (server, state, port) = try Self.server()
        defer { withExtendedLifetime(state) { server.stop() } }
        let connection = try Self.connect(port)
        connection.send("FROBNICATE / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try Self.response(connection.readResponse(deadline: Self.soon))
        #expect(response.status == 400)
        #expect(response.header("connection") == "close")
        #expect(connection.waitForClose(deadline: Self.soon))
        let track = try Self.connect(port)
        track.send("TRACK / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try Self.response(track.readResponse(deadline: Self.soon)).status == 400)
        #expect(track.waitForClose(deadline: Self.soon))
    }

    @Test func anUpgradeRequestIsAnsweredThenTheConnectionCloses() throws {
        let (server, state, port) = try Self.server()
        defer { withExtendedLifetime(state) { server.stop() } }
        let connection = try Self.connect(port)
        connection.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try Self.response(connection.readResponse(deadline: Self.soon))
        #expect(response.status == 200)
        #expect(response.header("connection") == "close")
        #expect(connection.waitForClose(deadline: Self.soon))
    }

    @Test func anHTTP10RequestIsAnsweredThenClosed() throws {
        let (server, state, port) = try Self.server()
        defer { withExtendedLifetime(state) { server.stop() } }
        let connection = try Self.connect(port)
        connection.send("GET /old HTTP/1.0\r\n\r\n")
        let response = try Self.response(connection.readResponse(deadline: Self.soon))
        #expect(response.status == 200)
        #expect(connection.waitForClose(deadline: Self.soon))
    }

    // MARK: Item 3: framing errors

    @Test(arguments: [
        // (request, status, body)
        (
            "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400,
            "Bad Request: malformed request body (invalid character in chunk size header)"
        ),
        ("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", 501, "Transfer-Encoding gzip is not supported"),
        (
            "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 501,
            "Transfer-Encoding gzip is not supported"
        ),
        // The HTTP parser itself rejects a repeated chunked (Hummingbird's empty 400).
        ("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400, ""),
        (
            "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400,
            ""
        ),
        ("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 104857601\r\n\r\nabc", 413, "Request entity too large"),
    ])
    func framingErrors(request: String, status: Int, body: String) throws {
        let (server, state, port) = try Self.server()
        defer { withExtendedLifetime(state) { server.stop() } }
        let connection = try Self.connect(port)
        connection.send(request)
        let response = try Self.response(connection.readResponse(deadline: Self.soon))
        #expect(response.status == status)
        #expect(response.bodyText == body)
        #expect(response.header("connection") == "close")
        #expect(connection.waitForClose(deadline: Self.soon))
    }

    @Test func aBodyCutShortByTheClientGets400() throws {
        let (server, state, port) = try Self.server()
        defer { withExtendedLifetime(state) { server.stop() } }
        let connection = try Self.connect(port)
        connection.send("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        connection.shutdownWrite()
        let response = try Self.response(connection.readResponse(deadline: Self.soon))
        #expect(response.status == 400)
        #expect(response.bodyText == "Bad Request: malformed request body (stream ended at an unexpected time)")
    }

    // MARK: Item 4: memory budget of request bodies

    @Test func bodiesBeyondTheMemoryBudgetGet503WithoutHurtingAcceptedOnes() throws {
        let (server, state, port) = try Self.server(["--body-memory-limit", "1"])
        defer { withExtendedLifetime(state) { server.stop() } }
        // Two 700 KiB bodies cannot both fit in 1 MiB: whichever head is read second gets 503 at once, the other
        // is accepted (its bytes reserved) and completes normally once the rest of its body arrives.
        let size = 700 * 1024
        let connections = [try Self.connect(port), try Self.connect(port)]
        for (index, connection) in connections.enumerated() {
            connection.send("POST /body\(index) HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
            connection.send([UInt8](repeating: 0x61, count: 1000))
        }
        var refusedIndex: Int?
        let deadline = Self.soon
        while refusedIndex == nil && Date() < deadline {
            for (index, connection) in connections.enumerated() {
                if case .response(let refused) = connection.readResponse(deadline: Date().addingTimeInterval(0.1)) {
                    #expect(refused.status == 503)
                    #expect(refused.header("retry-after") == "1")
                    #expect(refused.header("connection") == "close")
                    #expect(
                        refused.bodyText
                            == "Service Unavailable: request bodies in flight exceed the server's memory budget (1 MiB); retry later"
                    )
                    #expect(connection.waitForClose(deadline: Self.soon))
                    refusedIndex = index
                    break
                }
            }
        }
        let refused = try #require(refusedIndex)
        let accepted = connections[1 - refused]
        accepted.send([UInt8](repeating: 0x61, count: size - 1000))
        let answer = try Self.response(accepted.readResponse(deadline: Self.soon))
        #expect(answer.status == 200)
        #expect(answer.bodyText.hasPrefix(#"{"path":"/body\#(1 - refused)","hits":1,"#))

        // The budget is free again.
        let third = try Self.connect(port)
        third.send("POST /third HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
        third.send([UInt8](repeating: 0x61, count: size))
        #expect(try Self.response(third.readResponse(deadline: Self.soon)).status == 200)
    }

    // MARK: Item 5: header, body and idle timeouts

    @Test func aSlowHeadGets408AndAnIdleConnectionIsClosed() throws {
        let (server, state, port) = try Self.server(["--header-timeout", "1", "--idle-timeout", "1"])
        defer { withExtendedLifetime(state) { server.stop() } }
        let slow = try Self.connect(port)
        for byte in Array("GET /slow HTTP/1.1\r\nHo".utf8) {
            slow.send([byte])
            Thread.sleep(forTimeInterval: 0.05)
        }
        let timedOut = try Self.response(slow.readResponse(deadline: Self.soon))
        #expect(timedOut.status == 408)
        #expect(timedOut.bodyText == "Request Timeout")
        #expect(timedOut.header("connection") == "close")
        #expect(slow.waitForClose(deadline: Self.soon))

        // Connected, silent: closed without an answer.
        let silent = try Self.connect(port)
        #expect(silent.waitForClose(deadline: Self.soon))
        #expect(silent.unread.isEmpty)

        // Keep-alive after a response: closed once idle.
        let idle = try Self.connect(port)
        idle.send("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try Self.response(idle.readResponse(deadline: Self.soon)).status == 200)
        #expect(idle.waitForClose(deadline: Self.soon))
    }

    @Test func aStalledBodyGets408() throws {
        let (server, state, port) = try Self.server(["--header-timeout", "1"])
        defer { withExtendedLifetime(state) { server.stop() } }
        let connection = try Self.connect(port)
        connection.send("POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        let response = try Self.response(connection.readResponse(deadline: Self.soon))
        #expect(response.status == 408)
        #expect(response.bodyText == "Request Timeout")
        #expect(connection.waitForClose(deadline: Self.soon))
    }

    @Test func timeoutFlagsAreValidated() throws {
        let result = try runFlarelet(["dev", "-c", Self.counter, "--header-timeout", "0"], timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("--header-timeout must be a number of seconds greater than 0"))
    }
}
