import FlareletCore
import NIOCore
import NIOPosix
import NIOSSL
public import ServiceLifecycle

/// The local end of a Hyperdrive binding (platform-next.md 10.2, **Flarelet:**): a TCP listener on `127.0.0.1` that
/// relays every connection to the configured database, so a client a worker brings itself can use the binding's
/// `host`/`port`/`connectionString` (which always say `sslmode=disable`). When the database's `sslmode` asks for
/// TLS, the forwarder negotiates it upstream (PostgreSQL's `SSLRequest`, then a TLS handshake) and the client side
/// stays plain.
///
/// The listener opens in the initialiser (so the port is known before the worker's `env` is built); `run()` waits
/// for graceful shutdown, then closes the listener and every relayed connection.
public final class HyperdriveForwarder: Service, Sendable {
    /// The address clients connect to.
    public let host: String
    /// The listening port (chosen by the system).
    public let port: Int
    private let listener: any Channel
    private let connections: ConnectionSet

    /// Starts listening on `host` (default `127.0.0.1`) at a free port.
    /// - Parameters:
    ///   - upstream: Where connections are relayed to, and the TLS mode to use there.
    ///   - host: The local address to listen on.
    ///   - group: The event loops to use.
    public init(
        upstream: PostgresPoolConfiguration,
        host: String = "127.0.0.1",
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        let connections = ConnectionSet()
        let tlsContext: NIOSSLContext? =
            upstream.tls == .disable ? nil : try NIOSSLContext(configuration: upstream.tlsConfiguration())
        let serverName = Self.serverName(upstream)
        let mode = upstream.tls
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { child in
                connections.insert(child)
                let connected = ClientBootstrap(group: child.eventLoop)
                    .connectTimeout(.seconds(10))
                    .channelOption(.autoRead, value: false)
                    .connect(host: upstream.host, port: upstream.port)
                return connected.flatMap { server -> EventLoopFuture<Void> in
                    connections.insert(server)
                    guard let tlsContext else {
                        return child.eventLoop.makeCompletedFuture { try Self.glue(child, server) }
                    }
                    return Self.negotiateTLS(server, context: tlsContext, serverName: serverName, mode: mode).flatMapThrowing {
                        try Self.glue(child, server)
                    }
                }.flatMapErrorThrowing { error in
                    child.close(promise: nil)
                    throw error
                }
            }
        self.listener = try bootstrap.bind(host: host, port: 0).wait()
        self.host = host
        self.port = self.listener.localAddress?.port ?? 0
        self.connections = connections
    }

    /// Waits for graceful shutdown (or cancellation), then closes the listener and every relayed connection.
    public func run() async throws {
        try? await gracefulShutdown()
        self.close()
    }

    /// Closes the listener and every relayed connection.
    public func close() {
        self.listener.close(promise: nil)
        self.connections.closeAll()
    }

    static func serverName(_ upstream: PostgresPoolConfiguration) -> String? {
        let isAddress = upstream.host.contains(":") || upstream.host.split(separator: ".").allSatisfy { UInt8($0) != nil }
        return isAddress ? nil : upstream.host
    }

    /// Connects the two channels back to back and lets them read. Runs on their (shared) event loop.
    private static func glue(_ a: any Channel, _ b: any Channel) throws {
        let (first, second) = GlueHandler.matchedPair()
        try a.pipeline.syncOperations.addHandler(first)
        try b.pipeline.syncOperations.addHandler(second)
        try a.syncOptions?.setOption(.autoRead, value: true)
        try b.syncOptions?.setOption(.autoRead, value: true)
        a.read()
        b.read()
    }

    /// Sends PostgreSQL's `SSLRequest` and, when the server agrees (`S`), adds a TLS client handler. A refusal (`N`)
    /// continues in plain text for `allow`/`prefer` and fails for the stricter modes. Runs on the channel's loop.
    private static func negotiateTLS(
        _ server: any Channel,
        context: NIOSSLContext,
        serverName: String?,
        mode: PostgresPoolConfiguration.TLSMode
    ) -> EventLoopFuture<Void> {
        let promise = server.eventLoop.makePromise(of: Bool.self)
        do {
            try server.pipeline.syncOperations.addHandler(SSLRequestHandler(promise: promise))
        } catch {
            return server.eventLoop.makeFailedFuture(error)
        }
        var request = ByteBuffer()
        request.writeInteger(Int32(8))
        request.writeInteger(Int32(80_877_103))
        server.writeAndFlush(request, promise: nil)
        server.read()
        return promise.futureResult.flatMapThrowing { accepted in
            if accepted {
                let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                try server.pipeline.syncOperations.addHandler(handler, position: .first)
                try server.syncOptions?.setOption(.autoRead, value: true)
            } else if mode != .allow && mode != .prefer {
                throw ForwarderError.tlsRefused
            }
        }.flatMapErrorThrowing { error in
            server.close(promise: nil)
            throw error
        }
    }
}

enum ForwarderError: Error {
    case tlsRefused
    case unexpectedSSLAnswer
}

/// The channels the forwarder has open, so shutdown can close them.
private final class ConnectionSet: Sendable {
    private let channels = LockedValue<[ObjectIdentifier: any Channel]>([:])

    func insert(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        self.channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLock { _ = $0.removeValue(forKey: id) }
        }
    }

    func closeAll() {
        let open = self.channels.withLock { Array($0.values) }
        for channel in open { channel.close(promise: nil) }
    }
}

/// Reads the one-byte answer to an `SSLRequest`.
private final class SSLRequestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let promise: EventLoopPromise<Bool>
    private var done = false

    init(promise: EventLoopPromise<Bool>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else {
            context.fireChannelRead(data)
            return
        }
        var buffer = self.unwrapInboundIn(data)
        self.done = true
        switch buffer.readInteger(as: UInt8.self) {
        case UInt8(ascii: "S"): self.promise.succeed(true)
        case UInt8(ascii: "N"): self.promise.succeed(false)
        default: self.promise.fail(ForwarderError.unexpectedSSLAnswer)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.promise.fail(ChannelError.eof)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.done {
            self.done = true
            self.promise.fail(error)
        }
        context.close(promise: nil)
    }
}

/// Relays bytes between two channels on the same event loop, with back-pressure (a side reads only while the
/// other side is writable) and closing both when either closes.
private final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler()
        let second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    private var isWritable: Bool { self.context?.channel.isWritable ?? false }

    private func partnerWrite(_ data: NIOAny) {
        self.context?.write(data, promise: nil)
    }

    private func partnerFlush() {
        self.context?.flush()
    }

    private func partnerClose() {
        self.context?.close(promise: nil)
    }

    private func partnerBecameWritable() {
        if self.pendingRead {
            self.pendingRead = false
            self.context?.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.partner?.partnerFlush()
    }

    func channelActive(context: ChannelHandlerContext) {
        // The accepted side becomes active (and writable) only after the glue was set up: let the other side read.
        self.partner?.partnerBecameWritable()
        context.fireChannelActive()
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partner?.partnerClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
        self.partner?.partnerClose()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.partner?.partnerBecameWritable()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if self.partner?.isWritable ?? false {
            context.read()
        } else {
            self.pendingRead = true
        }
    }
}
