public import FlareletJSON
public import FlareletServer
import Foundation
import HummingbirdWSClient
public import Logging

/// The client side of `flarelet tail`: connects to the `/tail` websocket of a running `flarelet dev`, sends the
/// filters as `wrangler tail` does, and hands over every event.
public enum TailClient {
    /// Why tailing stopped early, as one line.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The websocket URL of the tail endpoint.
    public static func url(host: String, port: Int, worker: String?) -> String {
        var url = "ws://\(host):\(port)/tail"
        if let worker {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            url += "?worker=" + (worker.addingPercentEncoding(withAllowedCharacters: allowed) ?? worker)
        }
        return url
    }

    /// Tails until the server closes the connection.
    /// - Parameters:
    ///   - host: the dashboard's host.
    ///   - port: the dashboard's port.
    ///   - worker: the worker to tail (`nil`: every worker of the dev server).
    ///   - filter: the filters, sent when the connection opens.
    ///   - logger: the websocket client's logger.
    ///   - onConnected: called with the tailed worker names once the server listens for them.
    ///   - onEvent: called with each event, in `wrangler tail`'s JSON shape.
    /// - Throws: ``Failure`` when no dev server answers on the port, or it does not serve `worker`.
    public static func run(
        host: String,
        port: Int,
        worker: String?,
        filter: TailFilter,
        logger: Logger,
        onConnected: @escaping @Sendable (_ workers: [String]) -> Void,
        onEvent: @escaping @Sendable (_ event: JSONValue) -> Void
    ) async throws {
        let url = self.url(host: host, port: port, worker: worker)
        let refusal = LockedBox<String?>(nil)
        let connected = LockedBox(false)
        do {
            try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                connected.value = true
                try await outbound.write(.text(filter.message.stringify()))
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    guard case .text(let text) = message, let value = try? JSONValue.parse(text) else { continue }
                    switch value["type"]?.stringValue {
                    case "connected":
                        onConnected((value["workers"]?.arrayValue ?? JSONArray([])).compactMap(\.stringValue))
                    case "error":
                        refusal.value = value["message"]?.stringValue ?? "the dev server refused the tail"
                        return
                    default:
                        onEvent(value)
                    }
                }
            }
        } catch {
            if !connected.value {
                let text = "\(error)"
                let reason = text.contains("Connection refused") ? "connection refused" : text
                throw Failure(
                    "Could not connect to flarelet dev on \(host):\(port): \(reason) (is `flarelet dev` running? "
                        + "Give its dashboard port with --dashboard-port; the default is 8786.)"
                )
            }
            throw error
        }
        if let refusal = refusal.value { throw Failure(refusal) }
        if !connected.value {
            throw Failure("Could not connect to flarelet dev on \(host):\(port): the websocket upgrade failed")
        }
    }
}

/// A value shared with the websocket handler.
private final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { self.stored = value }
    var value: Value {
        get { self.lock.withLock { self.stored } }
        set { self.lock.withLock { self.stored = newValue } }
    }
}
