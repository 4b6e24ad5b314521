import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

// MARK: - Timeout decisions

/// The timers of one connection as a value: events go in, the next deadline and what happens at it come out
/// (``ServerLimits/headerTimeout`` and ``ServerLimits/idleTimeout``).
struct ConnectionTimeouts: Equatable {
    /// What the connection is reading.
    enum Reading: Equatable {
        /// No byte of a next request yet.
        case betweenRequests
        /// Part of a request head, since the first byte.
        case head(since: NIODeadline)
        /// A request body, last byte at this time.
        case body(lastByte: NIODeadline)
    }

    /// What to do when a deadline passes.
    enum Expiry: Equatable {
        /// Close without a response (an idle connection, or a body still arriving after its answer).
        case close
        /// Answer `408 Request Timeout` and close (the head did not arrive in time).
        case requestTimeout
        /// Fail the body being read so that its request is answered 408.
        case bodyTimeout
    }

    let headerTimeout: TimeAmount
    let idleTimeout: TimeAmount
    private(set) var reading: Reading = .betweenRequests
    /// Requests whose head arrived and whose response has not ended.
    private(set) var inFlight = 0
    private(set) var idleSince: NIODeadline
    private(set) var idleLimit: TimeAmount
    /// A request timed out: the connection is answered and closed, no timer runs again.
    private(set) var timedOut = false

    /// A connection opened at `now`: its first request head must arrive within the header timeout.
    init(now: NIODeadline, headerTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.idleSince = now
        self.idleLimit = headerTimeout
    }

    mutating func bytesReceived(at now: NIODeadline) {
        switch self.reading {
        case .betweenRequests: self.reading = .head(since: now)
        case .head: break
        case .body: self.reading = .body(lastByte: now)
        }
    }

    mutating func headReceived(at now: NIODeadline) {
        self.inFlight += 1
        self.reading = .body(lastByte: now)
    }

    mutating func endReceived(at now: NIODeadline) {
        self.reading = .betweenRequests
        if self.inFlight == 0 { self.becomeIdle(at: now) }
    }

    mutating func responseEnded(at now: NIODeadline) {
        self.inFlight = max(0, self.inFlight - 1)
        if self.inFlight == 0, self.reading == .betweenRequests { self.becomeIdle(at: now) }
    }

    private mutating func becomeIdle(at now: NIODeadline) {
        self.idleSince = now
        self.idleLimit = self.idleTimeout
    }

    /// The next deadline, if a timer should run at all (none while a response is being produced).
    var next: (deadline: NIODeadline, expiry: Expiry)? {
        guard !self.timedOut else { return nil }
        switch self.reading {
        case .head(let since):
            return (since + self.headerTimeout, .requestTimeout)
        case .body(let lastByte) where self.inFlight <= 1:
            return (lastByte + self.headerTimeout, self.inFlight == 1 ? .bodyTimeout : .close)
        case .betweenRequests where self.inFlight == 0:
            return (self.idleSince + self.idleLimit, .close)
        default:
            return nil
        }
    }

    /// What happens at `now`, if a deadline has passed; the timer that expired does not fire again.
    mutating func expire(at now: NIODeadline) -> Expiry? {
        guard let next = self.next, next.deadline <= now else { return nil }
        self.timedOut = true
        return next.expiry
    }
}

// MARK: - Handlers

/// Sees raw bytes before the HTTP decoder, so that a request head arriving slowly still counts as activity.
final class ConnectionActivityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connectionGuard: ConnectionGuardHandler

    init(_ connectionGuard: ConnectionGuardHandler) {
        self.connectionGuard = connectionGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.connectionGuard.bytesReceived()
        context.fireChannelRead(data)
    }
}

/// Keeps every connection answerable and bounded, between NIO's HTTP/1 codec and Hummingbird:
///
/// - a request after which the HTTP parser stops (`CONNECT`, an `Upgrade` request), a request that is not
///   keep-alive, a parse error, and any response carrying `Connection: close` end the connection after that
///   response: `Connection: close` is added to the response, output is shut down once it is sent, unread input is
///   drained for ``ServerLimits/lingerTimeout`` and the socket closed;
/// - the header, body and idle timeouts of ``ConnectionTimeouts``, answering `408` where a request was begun.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: ServerLimits
    private var timeouts: ConnectionTimeouts
    private var context: ChannelHandlerContext?
    /// Per in-flight request, in order: whether the connection must close after its response.
    private var closeAfter: [Bool] = []
    /// The response being written closes the connection.
    private var responseCloses = false
    /// The parser failed or the client closed its side: no further request can be read.
    private var noMoreRequests = false
    /// A `408` waits for the in-flight responses to end.
    private var pendingTimeoutAnswer = false
    private var inputClosed = false
    /// Output is shut down (or being); input is only drained.
    private var closing = false
    /// Every answer written so far has gone out (set once closing has begun).
    private var outputDone = false
    /// The end of the last answer, completed once it is written to the socket.
    private var lastWrite: EventLoopFuture<Void>?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var lingerTimer: Scheduled<Void>?

    init(limits: ServerLimits) {
        self.limits = limits
        self.timeouts = ConnectionTimeouts(
            now: .now(),
            headerTimeout: .nanoseconds(Int64(limits.headerTimeout * 1e9)),
            idleTimeout: .nanoseconds(Int64(limits.idleTimeout * 1e9))
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.rescheduleTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.lingerTimer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.lingerTimer?.cancel()
        context.fireChannelInactive()
    }

    /// Called by ``ConnectionActivityHandler`` for every read.
    func bytesReceived() {
        guard !self.closing else { return }
        self.timeouts.bytesReceived(at: .now())
        self.rescheduleTimer()
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closing else { return }
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.timeouts.headReceived(at: .now())
            self.closeAfter.append(Self.endsConnection(head))
        case .body:
            break
        case .end:
            self.timeouts.endReceived(at: .now())
        }
        self.rescheduleTimer()
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !self.closing else { return }
        if error is HTTPParserError { self.noMoreRequests = true }
        context.fireErrorCaught(error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent {
            self.inputClosed = true
            self.noMoreRequests = true
            if self.closing {
                // Close once the last answer is out (see closeWhenWritten).
                if self.outputDone { context.close(promise: nil) }
                return
            }
            if self.timeouts.inFlight == 0 {
                // Nothing to answer unless the parser reports the cut-off request; close if nobody writes.
                self.startLinger(context)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Whether the parser cannot go on after this request (it stops after `CONNECT` and upgrades) or the client
    /// asked to close.
    static func endsConnection(_ head: HTTPRequestHead) -> Bool {
        if head.method == .CONNECT || !head.isKeepAlive { return true }
        let upgrade = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        return upgrade && head.headers.contains(name: "upgrade")
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !self.closing else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        switch self.unwrapOutboundIn(data) {
        case .head(var head):
            let flagged = self.closeAfter.isEmpty ? false : self.closeAfter.removeFirst()
            let asked = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            self.responseCloses = flagged || asked || self.noMoreRequests
            if self.responseCloses && !asked {
                head.headers.replaceOrAdd(name: "Connection", value: "close")
            }
            context.write(self.wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            self.timeouts.responseEnded(at: .now())
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            self.lastWrite = written.futureResult
            if self.responseCloses {
                self.beginClosing()
                context.writeAndFlush(data, promise: written)
                self.closeWhenWritten(context, fully: false)
                return
            }
            context.write(data, promise: written)
            if self.pendingTimeoutAnswer && self.timeouts.inFlight == 0 {
                self.answerTimeout(context)
                return
            }
            self.rescheduleTimer()
        }
    }

    /// Writes `408 Request Timeout` for a request whose head did not arrive in time, then closes.
    private func answerTimeout(_ context: ChannelHandlerContext) {
        let body = ByteBuffer(string: "Request Timeout")
        let head = HTTPResponseHead(
            version: .http1_1,
            status: .requestTimeout,
            headers: [
                "Content-Type": "text/plain;charset=UTF-8", "Content-Length": String(body.readableBytes), "Connection": "close",
            ]
        )
        self.beginClosing()
        let written = context.eventLoop.makePromise(of: Void.self)
        self.lastWrite = written.futureResult
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: written)
        self.closeWhenWritten(context, fully: false)
    }

    private func beginClosing() {
        self.closing = true
        self.timer?.cancel()
        self.timer = nil
    }

    /// Once every answer is written: shuts output down and drains input until the client closes or the linger time
    /// is over (so that it reads the answer rather than a reset), or closes at once when `fully`, when the client
    /// has closed its side, or when writing failed.
    private func closeWhenWritten(_ context: ChannelHandlerContext, fully: Bool) {
        let written = self.lastWrite ?? context.eventLoop.makeSucceededVoidFuture()
        written.assumeIsolated().whenComplete { result in
            self.outputDone = true
            if case .success = result, !fully, !self.inputClosed {
                context.close(mode: .output, promise: nil)
                self.startLinger(context)
            } else {
                context.close(promise: nil)
            }
        }
    }

    private func startLinger(_ context: ChannelHandlerContext) {
        guard self.lingerTimer == nil else { return }
        self.lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(
            in: .nanoseconds(Int64(self.limits.lingerTimeout * 1e9))
        ) {
            context.close(promise: nil)
        }
    }

    // MARK: Timer

    /// Makes sure a timer fires no later than the next deadline (one that fires early re-arms itself).
    private func rescheduleTimer() {
        guard let context = self.context, !self.closing else { return }
        guard let next = self.timeouts.next else { return }
        if let scheduled = self.timerDeadline, self.timer != nil, scheduled <= next.deadline { return }
        self.timer?.cancel()
        self.timerDeadline = next.deadline
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: next.deadline) { [self] in
            self.timer = nil
            self.timerDeadline = nil
            self.timerFired()
        }
    }

    private func timerFired() {
        guard let context = self.context, !self.closing else { return }
        switch self.timeouts.expire(at: .now()) {
        case .close?:
            self.beginClosing()
            self.closeWhenWritten(context, fully: true)
        case .requestTimeout?:
            self.noMoreRequests = true
            if self.timeouts.inFlight == 0 {
                self.answerTimeout(context)
            } else {
                self.pendingTimeoutAnswer = true
            }
        case .bodyTimeout?:
            self.noMoreRequests = true
            context.fireErrorCaught(RequestBodyTimeout())
        case nil:
            self.rescheduleTimer()
        }
    }
}

// MARK: - Child channel

/// Hummingbird's HTTP/1 child channel with the connection guard around its request handling.
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ServerLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let connectionGuard = ConnectionGuardHandler(limits: self.limits)
            let decoder = HTTP1Channel.Configuration.DecoderConfiguration()
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = decoder.maxHeaderFieldSize
            decoderLimits.maxHeaderListSize = decoder.maxHeaderListSize
            decoderLimits.maxHeaderFieldCount = decoder.maxHeaderFieldCount
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(ConnectionActivityHandler(connectionGuard))
            try operations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try operations.addHandler(connectionGuard)
            try operations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try operations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await self.handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with Flarelet's connection guard (timeouts, complete answers, clean closes).
    static func guardedHTTP1(limits: ServerLimits) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, limits: limits) }
    }
}
