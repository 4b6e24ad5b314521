import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// What one load run measured.
struct LoadResult: Sendable {
    /// Responses received in the measured window, by status code.
    var statuses: [Int: Int] = [:]
    /// Responses received in the measured window.
    var responses = 0
    /// Connections that failed (refused, reset, malformed response).
    var errors = 0
    /// Length of the measured window, in seconds.
    var seconds = 0.0
    /// Response latencies in the measured window, sorted, in microseconds.
    var latencies: [Double] = []

    var rate: Double { self.seconds > 0 ? Double(self.responses) / self.seconds : 0 }

    func percentile(_ p: Double) -> Double {
        guard !self.latencies.isEmpty else { return 0 }
        return self.latencies[min(self.latencies.count - 1, Int(Double(self.latencies.count) * p))]
    }

    /// Responses with a status in `range`.
    func count(_ range: ClosedRange<Int>) -> Int {
        self.statuses.filter { range.contains($0.key) }.reduce(0) { $0 + $1.value }
    }
}

/// An HTTP/1.1 keep-alive load generator on SwiftNIO: `connections` connections, each sending its next request as
/// soon as the previous response is complete (closed-loop, like `wrk`). Requests are raw bytes made by `request(n)`
/// (n counts from 0 over all connections); responses are parsed just enough to find their end (status line,
/// `Content-Length`). Runs `warmup` seconds unmeasured, then measures for `duration` seconds or until `limit`
/// requests have been sent, whichever comes first.
enum LoadGenerator {
    static func run(
        port: Int,
        connections: Int,
        warmup: Double,
        duration: Double,
        limit: Int,
        group: MultiThreadedEventLoopGroup,
        request: @escaping @Sendable (Int) -> ByteBuffer
    ) async throws -> LoadResult {
        let shared = LoadState(limit: limit)
        var channels: [any Channel] = []
        for _ in 0..<connections {
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ClientHandler(state: shared, request: request))
                    }
                }
                .connect(host: "127.0.0.1", port: port)
                .get()
            channels.append(channel)
        }
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(ClientHandler.Start()) }
        try await Task.sleep(for: .seconds(warmup))
        shared.startMeasuring()
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(duration), !shared.isExhausted {
            try await Task.sleep(for: .milliseconds(20))
        }
        var result = shared.stopMeasuring()
        let elapsed = ContinuousClock.now - started
        result.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        for channel in channels { try? await channel.close() }
        result.latencies.sort()
        return result
    }
}

/// Counters shared by the connections of one run.
final class LoadState: Sendable {
    private struct Counters {
        var measuring = false
        var result = LoadResult()
    }
    private let counters = Mutex(Counters())
    private let next = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// The number of the next request, or `nil` once `limit` requests were handed out.
    func take() -> Int? {
        let n = self.next.wrappingAdd(1, ordering: .relaxed).oldValue
        return n < self.limit ? n : nil
    }

    var isExhausted: Bool { self.next.load(ordering: .relaxed) >= self.limit }

    func startMeasuring() {
        self.counters.withLock {
            $0.measuring = true
            $0.result = LoadResult()
        }
    }

    func stopMeasuring() -> LoadResult {
        self.counters.withLock {
            $0.measuring = false
            return $0.result
        }
    }

    func record(status: Int, microseconds: Double) {
        self.counters.withLock {
            guard $0.measuring else { return }
            $0.result.responses += 1
            $0.result.statuses[status, default: 0] += 1
            $0.result.latencies.append(microseconds)
        }
    }

    func recordError() {
        self.counters.withLock { $0.result.errors += 1 }
    }
}

/// One connection: sends a request, reads its response, sends the next.
final class ClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Start {}

    private let state: LoadState
    private let request: @Sendable (Int) -> ByteBuffer
    private var buffer = ByteBuffer()
    private var sentAt = ContinuousClock.now

    init(state: LoadState, request: @escaping @Sendable (Int) -> ByteBuffer) {
        self.state = state
        self.request = request
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Start { self.sendNext(context: context) }
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard let n = self.state.take() else {
            context.close(promise: nil)
            return
        }
        self.sentAt = ContinuousClock.now
        context.writeAndFlush(self.wrapOutboundOut(self.request(n)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        self.buffer.writeBuffer(&incoming)
        while let status = self.takeResponse() {
            let elapsed = ContinuousClock.now - self.sentAt
            let micros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
            self.state.record(status: status, microseconds: micros)
            self.sendNext(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.state.recordError()
        context.close(promise: nil)
    }

    /// Removes one complete response from the buffer and returns its status, or `nil` when it is incomplete.
    private func takeResponse() -> Int? {
        let view = self.buffer.readableBytesView
        guard let headEnd = Self.find(view, [13, 10, 13, 10]) else { return nil }
        let head = String(decoding: view[view.startIndex..<headEnd], as: UTF8.self)
        var length = 0
        var status = 0
        for (index, line) in head.split(separator: "\r\n").enumerated() {
            if index == 0 {
                status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            } else if line.count > 15, line.prefix(15).lowercased() == "content-length:" {
                length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        let total = headEnd - view.startIndex + 4 + length
        guard view.count >= total else { return nil }
        self.buffer.moveReaderIndex(forwardBy: total)
        self.buffer.discardReadBytes()
        return status
    }

    private static func find(_ view: ByteBufferView, _ needle: [UInt8]) -> Int? {
        guard view.count >= needle.count else { return nil }
        var index = view.startIndex
        let last = view.endIndex - needle.count
        while index <= last {
            if view[index] == needle[0], view[index + 1] == needle[1], view[index + 2] == needle[2], view[index + 3] == needle[3] {
                return index
            }
            index += 1
        }
        return nil
    }
}
