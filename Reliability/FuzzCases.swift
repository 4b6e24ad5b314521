import Foundation

/// One generated attack: bytes to send to one worker, and what the oracle may expect.
struct FuzzCase {
    /// One request inside the case, as sent (for the oracle: `HEAD` has no response body, 5xx rules by method/path).
    struct Sent {
        var method: String
        var target: String
    }

    enum Delivery {
        /// Complete request(s); every one must be answered, or the connection closed after an answer that said
        /// `Connection: close`.
        case complete
        /// Cut off somewhere, then the sending side is shut: an answer or a close, within the hang limit.
        case truncated
        /// Cut off and left open: the server must answer 408 or close on its own (header/body timeout).
        case stalled
    }

    var index: Int
    var target: Int
    var kind: String
    var sent: [Sent]
    /// Pieces to write, each after a short pause.
    var pieces: [[UInt8]]
    var delivery: Delivery
    /// After the answers, reuse the connection for one more request (it must be answered unless the server closed).
    var probe: Bool
}

/// Builds fuzz cases from a seed: the same seed and index always give the same case.
struct FuzzGenerator: Sendable {
    let seed: UInt64
    let targets: [FuzzTarget]
    /// How often (1 in N) a case is left stalled (each costs a header timeout).
    let stallEvery: Int

    func make(_ index: Int) -> FuzzCase {
        var random = SeededRandom.forCase(seed: self.seed, index: index)
        let targetIndex = index % self.targets.count
        let target = self.targets[targetIndex]
        if random.chance(0.03) { return self.garbage(index, targetIndex, &random) }
        var requests: [(Request, FuzzCase.Sent)] = []
        let count = random.chance(0.08) ? random.int(2...3) : 1
        var kinds: [String] = []
        for _ in 0..<count {
            var request = Request.valid(target, &random)
            let mutations = random.chance(0.15) ? 0 : random.int(1...3)
            for _ in 0..<mutations { kinds.append(request.mutate(&random)) }
            requests.append((request, FuzzCase.Sent(method: request.method, target: request.target)))
        }
        var bytes = requests.flatMap { $0.0.serialized() }
        var delivery = FuzzCase.Delivery.complete
        if index % self.stallEvery == self.stallEvery - 1 {
            delivery = .stalled
            bytes = Array(bytes.prefix(random.int(1...max(1, bytes.count - 1))))
            kinds.append("stalled")
        } else if random.chance(0.08) && bytes.count > 1 {
            delivery = .truncated
            bytes = Array(bytes.prefix(random.int(0...(bytes.count - 1))))
            kinds.append("truncated")
        }
        var pieces: [[UInt8]] = [bytes]
        if random.chance(0.1) && bytes.count > 2 {
            // Split into a few pieces (slow client).
            pieces = []
            var rest = bytes[...]
            while !rest.isEmpty {
                let take = min(rest.count, random.int(1...max(1, bytes.count / 3)))
                pieces.append(Array(rest.prefix(take)))
                rest = rest.dropFirst(take)
                if pieces.count == 8 {
                    pieces.append(Array(rest))
                    break
                }
            }
            kinds.append("split")
        }
        return FuzzCase(
            index: index,
            target: targetIndex,
            kind: kinds.isEmpty ? "valid" : kinds.joined(separator: "+"),
            sent: requests.map(\.1),
            pieces: pieces,
            delivery: delivery,
            probe: delivery == .complete && random.chance(0.2)
        )
    }

    /// Random bytes, or a few HTTP-looking lines of noise.
    private func garbage(_ index: Int, _ target: Int, _ random: inout SeededRandom) -> FuzzCase {
        var bytes: [UInt8]
        if random.chance(0.5) {
            bytes = random.bytes(random.int(1...2000))
        } else {
            let lines = (0..<random.int(1...6)).map { _ in String(decoding: random.bytes(random.int(0...40)).map { $0 % 96 + 32 }, as: UTF8.self) }
            bytes = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        }
        return FuzzCase(
            index: index,
            target: target,
            kind: "garbage",
            sent: [FuzzCase.Sent(method: "?", target: "?")],
            pieces: [bytes],
            delivery: .truncated,
            probe: false
        )
    }
}

/// A request being mutated.
struct Request {
    var method: String
    var target: String
    var version = "HTTP/1.1"
    var headers: [(String, String)]
    var body: [UInt8]
    /// How the body is framed on the wire.
    var framing: Framing = .contentLength
    /// Bytes appended verbatim after the head (raw header lines) and the line ending in use.
    var rawHeaderLines: [[UInt8]] = []
    var lineEnding = "\r\n"
    var leading = ""

    enum Framing {
        case contentLength
        case none
        case chunked(sizes: [Int], final: String, extensions: Bool)
        case wrongLength(Int)
    }

    static func valid(_ target: FuzzTarget, _ random: inout SeededRandom) -> Request {
        let route = random.pick(target.routes)
        let valid = route.valid(&random)
        var headers: [(String, String)] = [("Host", "127.0.0.1")]
        headers += valid.headers
        if random.chance(0.5) {
            headers.append(("CF-Connecting-IP", "198.51.\(random.int(0...255)).\(random.int(1...254))"))
        }
        if random.chance(0.2) { headers.append(("User-Agent", "flarelet-fuzz/1")) }
        return Request(
            method: route.method,
            target: route.path + (random.chance(0.1) ? "?q=\(random.int(0...99))" : ""),
            headers: headers,
            body: valid.body,
            framing: valid.body.isEmpty && route.method != "POST" ? .none : .contentLength
        )
    }

    /// Applies one random mutation; returns its name.
    mutating func mutate(_ random: inout SeededRandom) -> String {
        switch random.int(0...27) {
        case 0:
            self.method = random.pick([
                "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "TRACK", "PROPFIND", "BIND", "PURGE",
                "MKCALENDAR", "SOURCE", "QUERY", "get", "P0ST", "", "G E T", "FROBNICATE", String(repeating: "A", count: 300),
            ])
            if self.method == "CONNECT" && random.chance(0.5) { self.target = "127.0.0.1:22" }
            return "method"
        case 1:
            self.target = random.pick([
                "/", "*", "//", "/../../etc/passwd", "/%2e%2e/", "/%00", "/%ZZ", "/a%", "/\u{e9}", "/telemetry/",
                "/v1/events?x=/telemetry", "http://127.0.0.1/telemetry", "https://evil.example/v1/events", "/cdn-cgi/handler/scheduled",
                "/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&format=json", "/cdn-cgi/handler/scheduled?time=abc",
                "/cdn-cgi/handler/nope", "/cdn-cgi/mf/scheduled", "/__scheduled", "/debug/recent?limit=abc",
                "/debug/counts?hours=-5", "/debug/recent?limit=99999999999999999999", "/stats?from=x&to=y&range=zzz",
                "/v1/ingest/not-a-uuid/x", "/v1/ingest/%7B550e8400-e29b-41d4-a716-446655440000%7D/urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "/health?" + String(repeating: "a=1&", count: 500), "/" + String(repeating: "x", count: 9000), "",
            ])
            return "target"
        case 2:
            self.target += random.pick(["?", "#frag", "?a=%", "?a=%E2%82", "?\u{1}", "? ", "?a=b;c=d", "?__proto__=1"])
            return "query"
        case 3:
            self.version = random.pick(["HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/1.1 extra", "", "http/1.1", "HTTP/9.9", "HTTP/1"])
            return "version"
        case 4:
            self.headers.removeAll { $0.0 == "Host" }
            return "no-host"
        case 5:
            self.headers.append(("Host", random.pick(["evil.example", "", "127.0.0.1:99999", "[::1]", "a b"])))
            return "host"
        case 6:
            self.headers.append(("Content-Length", random.pick(["0", "-1", "abc", "+5", "99999999999999999999", "5, 6", " 3", "1e3"])))
            return "content-length"
        case 7:
            self.framing = .wrongLength(max(0, self.body.count + random.int(-5...5)))
            return "wrong-length"
        case 8:
            self.headers.append(
                ("Transfer-Encoding", random.pick(["chunked", "gzip", "identity", "chunked, chunked", "gzip, chunked", " chunked", "Chunked", "x"]))
            )
            return "transfer-encoding"
        case 9:
            let sizes = self.body.isEmpty ? [] : [self.body.count]
            self.framing = .chunked(
                sizes: sizes,
                final: random.pick(["0\r\n\r\n", "0\r\n", "", "0\r\nX-Trailer: 1\r\n\r\n", "00\r\n\r\n"]),
                extensions: false
            )
            return "chunked"
        case 10:
            var sizes: [Int] = []
            var left = self.body.count
            while left > 0 {
                let size = min(left, random.int(1...max(1, self.body.count / 2)))
                sizes.append(size)
                left -= size
            }
            self.framing = .chunked(sizes: sizes, final: "0\r\n\r\n", extensions: random.chance(0.5))
            return "chunked-pieces"
        case 11:
            self.rawHeaderLines.append(
                Array(
                    random.pick([
                        "X-Folded: a", " continued", "NoColon", "Bad Name: x", "X-Null: a\u{0}b", ": empty-name", "X-Tab:\tvalue", "X-Space :x",
                        "Content-Length : 5",
                    ]).utf8
                )
            )
            return "raw-header"
        case 12:
            self.rawHeaderLines.append(Array("X-High: ".utf8) + random.bytes(random.int(1...30)).map { $0 | 0x80 })
            return "8bit-header"
        case 13:
            self.headers.append(("X-Long", String(repeating: "v", count: random.pick([1000, 50_000, 90_000]))))
            return "long-header"
        case 14:
            for number in 0..<random.pick([100, 1200]) { self.headers.append(("X-Many-\(number)", "1")) }
            return "many-headers"
        case 15:
            self.headers.append(("Expect", "100-continue"))
            return "expect"
        case 16:
            self.headers.append(("Connection", random.pick(["close", "keep-alive", "Upgrade", "upgrade, keep-alive", "close, close"])))
            if random.chance(0.5) { self.headers.append(("Upgrade", random.pick(["websocket", "h2c", "foo/1"]))) }
            return "connection"
        case 17:
            self.headers.append(
                (
                    random.pick([
                        "Content-Type", "Content-Encoding", "CF-Connecting-IP", "X-Forwarded-For", "Authorization", "X-Signature", "X-Timestamp",
                        "DNT", "X-Batch-Size", "x-stats-key", "Origin", "Cookie", "Accept-Encoding",
                    ]),
                    random.pick([
                        "", "application/json", "text/plain", "application/x-www-form-urlencoded", "gzip", "999.999.999.999", "::1",
                        "Bearer ", "Bearer x", "1", "-1", "abc", "18446744073709551616", "null", "http://evil.example",
                        String(repeating: "z", count: 4000),
                    ])
                )
            )
            return "header-value"
        case 18:
            self.body = random.bytes(random.int(0...3000))
            return "random-body"
        case 19:
            self.body = Array(self.body.prefix(random.int(0...self.body.count)))
            return "cut-body"
        case 20:
            let depth = random.pick([100, 1000, 20_000])
            self.body = Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
            return "deep-json"
        case 21:
            self.body = Array(
                random.pick([
                    "null", "true", "0", "\"\"", "[]", "{}", "1e400", "-0", "{\"events\":null}", "{\"events\":{}}", "{\"events\":[null]}",
                    "{\"events\":[1,2,3]}", "{\"batch\":[null,false,0,\"\"]}", "{\"schema\":\"jwc.v1\",\"batch\":[{\"t\":\"Infinity\"}]}",
                    "{\"__proto__\":{\"x\":1}}", "{\"constructor\":{\"prototype\":{}}}", "{\"a\":\"\\ud800\"}", "{\"a\":1,\"a\":2}",
                    "{\"event_id\":\"x\",\"telemetry_id\":\"00000000-0000-0000-0000-000000000000\",\"timestamp\":\"2024-02-30\",\"environment\":[],\"usage\":[]}",
                    "{\"public_key\":\"" + String(repeating: "A", count: 64) + "\",\"signature\":\"zz\",\"events\":[]}",
                    "{\"events\":[{\"type\":{},\"timestamp\":[],\"installationId\":null,\"driftVersion\":1}]}",
                ]).utf8
            )
            return "json-edge"
        case 22:
            self.body += [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80]
            return "bad-utf8"
        case 23:
            self.body = Array(String(repeating: "a", count: random.pick([65_537, 70_000, 200_000])).utf8)
            return "big-body"
        case 24:
            self.headers.append(("Content-Length", "104857601"))
            self.framing = .none
            return "declared-huge"
        case 25:
            self.lineEnding = random.pick(["\n", "\r", "\r\r\n", "\n\r"])
            return "line-ending"
        case 26:
            self.leading = random.pick(["\r\n", "\r\n\r\n", " ", "\t", "\0"])
            return "leading"
        default:
            if let index = self.headers.indices.randomElement(using: &random) {
                let (name, value) = self.headers[index]
                self.headers[index] = (random.chance(0.5) ? name.uppercased() : name.lowercased(), value)
            }
            return "header-case"
        }
    }

    func serialized() -> [UInt8] {
        let end = self.lineEnding
        var head = self.leading + "\(self.method) \(self.target)"
        if !self.version.isEmpty { head += " \(self.version)" }
        head += end
        for (name, value) in self.headers { head += "\(name): \(value)\(end)" }
        var out = Array(head.utf8)
        for line in self.rawHeaderLines { out += line + Array(end.utf8) }
        switch self.framing {
        case .contentLength:
            out += Array("Content-Length: \(self.body.count)\(end)\(end)".utf8) + self.body
        case .none:
            out += Array(end.utf8) + self.body
        case .wrongLength(let length):
            out += Array("Content-Length: \(length)\(end)\(end)".utf8) + self.body
        case .chunked(let sizes, let final, let extensions):
            out += Array("Transfer-Encoding: chunked\(end)\(end)".utf8)
            var offset = 0
            for size in sizes {
                out += Array((String(size, radix: 16) + (extensions ? ";ext=1" : "") + "\r\n").utf8)
                let start = min(offset, self.body.count)
                out += self.body[start..<min(self.body.count, offset + size)] + Array("\r\n".utf8)
                offset += size
            }
            out += Array(final.utf8)
        }
        return out
    }
}
