import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed HTTP/1.x response.
public struct RawResponse: Sendable {
    public var status: Int
    public var reason: String
    /// Header fields in order, names lower-cased.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The body ran until the server closed the connection (no `Content-Length`, not chunked).
    public var closeDelimited: Bool

    /// The first value of the header `name` (lower case).
    public func header(_ name: String) -> String? {
        self.headers.first { $0.name == name }?.value
    }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: self.body, as: UTF8.self) }
}

/// What reading the next response gave.
public enum ReadOutcome: Sendable {
    /// A complete response.
    case response(RawResponse)
    /// The server closed the connection before a response began (`partial` bytes of one may have arrived).
    case closed(partial: [UInt8])
    /// The connection was reset.
    case reset
    /// Nothing complete arrived before the deadline.
    case timeout(partial: [UInt8])
    /// The bytes are not an HTTP/1.x response.
    case malformed(String)
}

/// A blocking TCP connection to a local server, with deadlines on every read (no client library, so malformed
/// requests go out byte for byte). For live tests and the reliability suite; use from one thread at a time.
public final class RawConnection {
    public let fd: Int32
    private var buffer: [UInt8] = []
    private var sawEOF = false

    /// Connects to `127.0.0.1:port`; `nil` when the connection is refused or takes longer than `timeout` seconds.
    public init?(port: Int, timeout: Double = 5) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var seconds = timeval(tv_sec: Int(timeout), tv_usec: .init((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    deinit {
        close(self.fd)
    }

    /// Sends every byte; `false` when the connection broke (reset, closed by the server, send timeout).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { raw in
                Glibc.send(self.fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool {
        self.send(Array(text.utf8))
    }

    /// Closes the sending direction (the server sees end of input).
    public func shutdownWrite() {
        shutdown(self.fd, Int32(SHUT_WR))
    }

    /// Reads more bytes into the buffer until `deadline`; returns `false` on timeout, EOF or reset (see flags).
    private func fill(deadline: Date) -> FillResult {
        if self.sawEOF { return .eof }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return .timeout }
            var descriptor = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(remaining, 60) * 1000) + 1)
            if ready < 0 {
                if errno == EINTR { continue }
                return .reset
            }
            if ready == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                self.buffer += chunk[0..<count]
                return .data
            }
            if count == 0 {
                self.sawEOF = true
                return .eof
            }
            if errno == EINTR || errno == EAGAIN { continue }
            return .reset
        }
    }

    private enum FillResult {
        case data
        case eof
        case timeout
        case reset
    }

    /// Reads the next response (skipping interim 1xx responses).
    /// - Parameters:
    ///   - headRequest: whether the request was `HEAD` (its response has no body).
    ///   - deadline: when to give up.
    public func readResponse(headRequest: Bool = false, deadline: Date) -> ReadOutcome {
        while true {
            switch ResponseParser.parse(self.buffer, headRequest: headRequest, atEOF: self.sawEOF) {
            case .complete(let response, let consumed):
                self.buffer.removeFirst(consumed)
                if (100..<200).contains(response.status) && response.status != 101 { continue }
                return .response(response)
            case .malformed(let reason):
                return .malformed(reason)
            case .needMore:
                switch self.fill(deadline: deadline) {
                case .data:
                    continue
                case .eof:
                    if case .complete = ResponseParser.parse(self.buffer, headRequest: headRequest, atEOF: true) { continue }
                    return .closed(partial: self.buffer)
                case .timeout:
                    return .timeout(partial: self.buffer)
                case .reset:
                    return .reset
                }
            }
        }
    }

    /// Waits until the server closes the connection; `true` if it did before `deadline`.
    public func waitForClose(deadline: Date) -> Bool {
        while true {
            switch self.fill(deadline: deadline) {
            case .data: self.buffer.removeAll()
            case .eof, .reset: return true
            case .timeout: return false
            }
        }
    }

    /// Bytes received beyond the last parsed response.
    public var unread: [UInt8] { self.buffer }
}

/// An incremental HTTP/1.x response parser.
public enum ResponseParser {
    public enum Result {
        case complete(RawResponse, consumed: Int)
        case needMore
        case malformed(String)
    }

    public static func parse(_ bytes: [UInt8], headRequest: Bool, atEOF: Bool) -> Result {
        guard let headEnd = self.find([13, 10, 13, 10], in: bytes, from: 0) else {
            if bytes.count > 1 << 20 { return .malformed("response head longer than 1 MiB") }
            return .needMore
        }
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...999).contains(status) else {
            return .malformed("bad status line \(statusLine.debugDescription)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return .malformed("bad header line \(line.debugDescription)") }
            headers.append(
                (String(line[..<colon]).lowercased(), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            )
        }
        var response = RawResponse(
            status: status,
            reason: parts.count > 2 ? String(parts[2]) : "",
            headers: headers,
            body: [],
            closeDelimited: false
        )
        let bodyStart = headEnd + 4
        if headRequest || (100..<200).contains(status) || status == 204 || status == 304 {
            return .complete(response, consumed: bodyStart)
        }
        let transferEncoding = response.header("transfer-encoding")?.lowercased()
        if let transferEncoding, transferEncoding.contains("chunked") {
            var offset = bodyStart
            var body: [UInt8] = []
            while true {
                guard let lineEnd = self.find([13, 10], in: bytes, from: offset) else { return .needMore }
                let sizeText = String(decoding: bytes[offset..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                    return .malformed("bad chunk size \(sizeText.debugDescription)")
                }
                offset = lineEnd + 2
                if size == 0 {
                    // Trailers end with an empty line.
                    guard let trailerEnd = self.find([13, 10], in: bytes, from: offset) else { return .needMore }
                    if trailerEnd == offset {
                        response.body = body
                        return .complete(response, consumed: trailerEnd + 2)
                    }
                    guard let end = self.find([13, 10, 13, 10], in: bytes, from: offset) else { return .needMore }
                    response.body = body
                    return .complete(response, consumed: end + 4)
                }
                guard bytes.count >= offset + size + 2 else { return .needMore }
                body += bytes[offset..<(offset + size)]
                offset += size + 2
            }
        }
        if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText), length >= 0 else { return .malformed("bad Content-Length \(lengthText)") }
            guard bytes.count >= bodyStart + length else { return .needMore }
            response.body = Array(bytes[bodyStart..<(bodyStart + length)])
            return .complete(response, consumed: bodyStart + length)
        }
        // Neither: the body runs to the end of the connection.
        guard atEOF else { return .needMore }
        response.body = Array(bytes[bodyStart...])
        response.closeDelimited = true
        return .complete(response, consumed: bytes.count)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == needle[0] {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return index }
            }
            index += 1
        }
        return nil
    }
}

/// One request over a fresh connection (`Connection: close`); `nil` when the connection could not be opened.
public func simpleRequest(
    port: Int,
    method: String,
    path: String,
    headers: [(String, String)] = [],
    body: [UInt8] = [],
    timeout: Double = 10
) -> ReadOutcome? {
    guard let connection = RawConnection(port: port, timeout: timeout) else { return nil }
    var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    if !body.isEmpty || method == "POST" || method == "PUT" { text += "Content-Length: \(body.count)\r\n" }
    text += "Connection: close\r\n\r\n"
    guard connection.send(Array(text.utf8) + body) else { return .reset }
    return connection.readResponse(headRequest: method == "HEAD", deadline: Date().addingTimeInterval(timeout))
}
