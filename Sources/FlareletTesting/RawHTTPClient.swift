import FlareletCore
import FlareletJavaScript
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 client over a plain TCP socket that sends a request exactly as given: the request target is
/// not normalised (`/v1/x/../events` stays as it is, unlike URLSession/curl) and header values go out as their UTF-8
/// bytes. Response header values are read one character per byte (Latin-1). One request per connection.
enum RawHTTPClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends one request to `host:port` and reads the whole response; blocking I/O runs off the caller's executor.
    static func send(
        host: String,
        port: Int,
        method: String,
        target: String,
        headers: Headers,
        body: [UInt8],
        timeout: Double = 30
    ) async throws -> WorkerResponse {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WorkerResponse, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        try Self.exchange(
                            host: host,
                            port: port,
                            request: Self.request(host: host, port: port, method: method, target: target, headers: headers, body: body),
                            timeout: timeout
                        )
                    }
                )
            }
        }
    }

    static func request(host: String, port: Int, method: String, target: String, headers: Headers, body: [UInt8]) -> [UInt8] {
        var text = "\(method) \(target) HTTP/1.1\r\n"
        if !headers.contains("Host") { text += "Host: \(host):\(port)\r\n" }
        for field in headers { text += "\(field.name): \(field.value)\r\n" }
        if !headers.contains("Content-Length") && (!body.isEmpty || method == "POST" || method == "PUT") {
            text += "Content-Length: \(body.count)\r\n"
        }
        text += "Connection: close\r\n\r\n"
        return Array(text.utf8) + body
    }

    private static func exchange(host: String, port: Int, request: [UInt8], timeout: Double) throws -> WorkerResponse {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host):\(port)")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw Failure(description: "socket() failed: \(errno)") }
        defer { close(fd) }
        var interval = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            throw Failure(description: "cannot connect to \(host):\(port): errno \(errno)")
        }
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw Failure(description: "write failed: errno \(errno)") }
            sent += written
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else { throw Failure(description: "read failed or timed out: errno \(errno)") }
            response.append(contentsOf: buffer[..<count])
        }
        return try Self.parse(response)
    }

    /// Parses a complete HTTP/1.1 response (Content-Length, chunked, or read to the end).
    static func parse(_ bytes: [UInt8]) throws -> WorkerResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.firstRange(of: separator) else { throw Failure(description: "incomplete response head") }
        let head = JavaScript.isomorphicDecode(bytes[..<end.lowerBound])
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line") }
        var headers = Headers()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(bytes[end.upperBound...])
        if headers.get("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            var decoded: [UInt8] = []
            var rest = body[...]
            while let lineEnd = rest.firstRange(of: [13, 10]) {
                let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { break }
                rest = rest[lineEnd.upperBound...]
                if size == 0 { break }
                decoded.append(contentsOf: rest.prefix(size))
                rest = rest.dropFirst(size + 2)
            }
            body = decoded
        } else if let length = headers.get("Content-Length").flatMap({ Int($0) }), length <= body.count {
            body = Array(body.prefix(length))
        }
        return WorkerResponse(status: status, headers: headers, body: body)
    }
}
