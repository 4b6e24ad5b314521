import FlareletCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// What the server answers itself, before a worker sees a request: methods no worker can receive, transfer
/// codings it cannot decode, bodies that are malformed, too large, too slow, or over the memory budget.
///
/// Every such answer is complete (a `Content-Length` body) and carries `Connection: close` when the rest of the
/// connection cannot be trusted (the connection guard then closes it after the response).
enum RequestGate {
    /// Methods a Workers runtime serves (workerd's `kj::HttpMethod` list without `TRACE`, which the Fetch
    /// standard forbids like `CONNECT` and `TRACK`). Anything else is answered `501 Not Implemented`, as
    /// Cloudflare does for methods the runtime does not support.
    static let servedMethods: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "PURGE", "OPTIONS", "COPY", "LOCK", "MKCOL", "MOVE",
        "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "MSEARCH",
        "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",
    ]

    /// The answer for a request the server handles itself, or `nil` to go on with the body.
    static func refusal(for request: Request) -> Response? {
        let method = request.method.rawValue
        guard self.servedMethods.contains(method) else {
            // CONNECT turns the rest of the connection into a tunnel for the HTTP parser; a body this answer does not
            // read could be of any length (what follows it is no request). Both end the connection.
            let hasBody = request.headers[.transferEncoding] != nil || (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > 0
            return self.answer(.notImplemented, "Method \(method) is not supported", close: method == "CONNECT" || hasBody)
        }
        let codings = request.headers[values: .transferEncoding]
            .flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if !request.headers[values: .transferEncoding].isEmpty {
            // RFC 9112 6.1: a coding the server does not understand is 501; chunked must then be the final coding,
            // applied once, and never sent with Content-Length (6.3: otherwise 400). Both close the connection.
            if let unsupported = codings.first(where: { $0 != "chunked" && !$0.isEmpty }) {
                return self.answer(.notImplemented, "Transfer-Encoding \(unsupported) is not supported", close: true)
            }
            guard codings.count == 1 else {
                return self.answer(.badRequest, "Bad Request: the body framing (Transfer-Encoding) is invalid", close: true)
            }
            guard request.headers[.contentLength] == nil else {
                return self.answer(.badRequest, "Bad Request: Content-Length together with Transfer-Encoding", close: true)
            }
        }
        return nil
    }

    /// A complete plain-text answer.
    static func answer(_ status: HTTPResponse.Status, _ text: String, close: Bool, extra: HTTPFields = [:]) -> Response {
        var fields: HTTPFields = [.contentType: "text/plain;charset=UTF-8"]
        fields.append(contentsOf: extra)
        if close { fields[.connection] = "close" }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Reads request bodies into memory within ``ServerLimits/maxBodySize`` and the shared ``BodyMemoryBudget``.
struct BodyReader: Sendable {
    let limits: ServerLimits
    let budget: BodyMemoryBudget

    /// Why a body was not read; its ``response`` is what the client gets.
    struct Refusal: Error {
        var response: Response
    }

    /// Reads the whole body of `request`.
    /// - Throws: ``Refusal`` with 413 (too large), 503 (over the memory budget), 400 (malformed framing) or 408
    ///   (the body stopped arriving).
    func read(_ request: Request) async throws(Refusal) -> (bytes: [UInt8], reserved: Int) {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > self.limits.maxBodySize {
            throw Refusal(response: self.tooLarge())
        }
        var reserved = 0
        if let declared, declared > 0 {
            guard self.budget.reserve(declared) else { throw Refusal(response: self.overBudget()) }
            reserved = declared
        }
        var bytes: [UInt8] = []
        if let declared { bytes.reserveCapacity(declared) }
        do {
            for try await chunk in request.body {
                let total = bytes.count + chunk.readableBytes
                guard total <= self.limits.maxBodySize else {
                    self.budget.release(reserved)
                    throw Refusal(response: self.tooLarge())
                }
                if total > reserved {
                    // Chunked bodies (no Content-Length) reserve as they arrive.
                    guard self.budget.reserve(total - reserved) else {
                        self.budget.release(reserved)
                        throw Refusal(response: self.overBudget())
                    }
                    reserved = total
                }
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            self.budget.release(reserved)
            throw Refusal(response: Self.framingError(error))
        }
        return (bytes, reserved)
    }

    func tooLarge() -> Response {
        RequestGate.answer(.contentTooLarge, "Request entity too large", close: true)
    }

    func overBudget() -> Response {
        let mebibytes = self.limits.bodyMemoryBudget / (1024 * 1024)
        return RequestGate.answer(
            .serviceUnavailable,
            "Service Unavailable: request bodies in flight exceed the server's memory budget (\(mebibytes) MiB); retry later",
            close: true,
            extra: [.retryAfter: "1"]
        )
    }

    /// 408 when the body stopped arriving, otherwise 400 (an invalid chunk, a body cut short, …).
    static func framingError(_ error: any Error) -> Response {
        if error is RequestBodyTimeout {
            return RequestGate.answer(.requestTimeout, "Request Timeout", close: true)
        }
        let detail = (error as? HTTPParserError).map { " (\($0))" } ?? ""
        return RequestGate.answer(.badRequest, "Bad Request: malformed request body\(detail)", close: true)
    }
}

/// Fired into the pipeline by the connection guard when a request body stops arriving.
struct RequestBodyTimeout: Error {}
