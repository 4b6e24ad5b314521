public import CoreMetrics
import FlareletAssets
import FlareletConfig
public import FlareletCore
import FlareletCron
import FlareletJavaScript
import Foundation
import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Options of `flarelet dev`.
public struct DevOptions: Sendable {
    public var configPaths: [String]
    public var envName: String?
    public var port: Int?
    public var ip: String?
    public var persistTo: String?
    public var vars: [String]
    public var crons: Bool
    public var testScheduled: Bool
    /// HTTP timeouts, body size limit and body memory budget.
    public var limits: ServerLimits

    public init(
        configPaths: [String],
        envName: String? = nil,
        port: Int? = nil,
        ip: String? = nil,
        persistTo: String? = nil,
        vars: [String] = [],
        crons: Bool = true,
        testScheduled: Bool = false,
        limits: ServerLimits = ServerLimits()
    ) {
        self.configPaths = configPaths
        self.envName = envName
        self.port = port
        self.ip = ip
        self.persistTo = persistTo
        self.vars = vars
        self.crons = crons
        self.testScheduled = testScheduled
        self.limits = limits
    }
}

/// The request context: Hummingbird's core storage plus the TCP peer address.
struct DevRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peerAddress: String?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// Turns Hummingbird requests into worker requests and back.
struct WorkerResponder: HTTPResponder {
    typealias Context = DevRequestContext
    let router: DevRouter
    let displayHost: String
    /// Reads bodies within the size limit and the shared memory budget.
    let bodyReader: BodyReader

    func respond(to request: Request, context: DevRequestContext) async throws -> Response {
        let monitor = self.router.hosted.monitor
        let start = monitor.now()
        if let refusal = RequestGate.refusal(for: request) {
            monitor.recordRequest(method: request.method.rawValue, status: Int(refusal.status.code), since: start)
            return refusal
        }
        // Header values reach the worker one character per byte (Fetch's isomorphic decoding): a value sent as
        // UTF-8 `ünïcode` reads `Ã¼nÃ¯code`, as in workerd.
        var headers = Headers()
        for field in request.headers {
            headers.append(field.name.rawName, JavaScript.isomorphicDecode(field.value.utf8))
        }
        if headers["Host"] == nil, let authority = request.head.authority {
            headers["Host"] = authority
        }
        if headers["CF-Connecting-IP"] == nil, let peer = context.peerAddress {
            headers["CF-Connecting-IP"] = peer
        }
        let clientAcceptEncoding = headers["Accept-Encoding"]
        headers["Accept-Encoding"] = "br, gzip"
        let body: (bytes: [UInt8], reserved: Int)
        do {
            body = try await self.bodyReader.read(request)
        } catch {
            monitor.recordRequest(method: request.method.rawValue, status: Int(error.response.status.code), since: start)
            return error.response
        }
        defer { self.bodyReader.budget.release(body.reserved) }
        let host = request.head.authority ?? headers["Host"] ?? self.displayHost
        let url = "http://\(host)\(request.uri.string)"
        var workerRequest = WorkerRequest(
            method: request.method.rawValue,
            url: url,
            headers: headers,
            body: body.bytes
        )
        // The server speaks HTTP/1.1 only.
        workerRequest.setPlaceholderCF(clientAcceptEncoding: clientAcceptEncoding, httpProtocol: "HTTP/1.1")
        let response = await self.router.handle(workerRequest)
        monitor.recordRequest(method: workerRequest.method, status: response.status, since: start)
        return Self.convert(response)
    }

    static func convert(_ response: WorkerResponse) -> Response {
        var fields = HTTPFields()
        for field in response.headers {
            if let name = HTTPField.Name(field.name) {
                fields.append(HTTPField(name: name, value: field.value))
            }
        }
        return Response(
            status: HTTPResponse.Status(code: response.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body))
        )
    }
}

/// Drains `waitUntil` work and closes every store once the HTTP servers and schedulers have stopped.
struct StoreCloser: Service {
    let workers: [HostedWorker]

    func run() async throws {
        try? await gracefulShutdown()
        for worker in self.workers {
            await worker.drain(timeout: 10)
            worker.close()
        }
    }
}

/// Reads each `[assets]` directory again every second, so edits are served without a restart.
struct AssetsWatcher: Service {
    let assets: AssetServer
    let logger: Logger

    func run() async throws {
        var failing = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: 1_000_000_000) }
            } catch {
                return
            }
            do {
                try self.assets.rescan()
                failing = false
            } catch {
                if !failing { self.logger.warning("\(error)") }
                failing = true
            }
        }
    }
}

/// Reclaims the space of expired KV entries: once at start, then every `interval` seconds.
struct KVJanitor: Service {
    let workers: [HostedWorker]
    let interval: Double

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            for worker in self.workers { await worker.purgeExpiredKV() }
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(nanoseconds: UInt64(self.interval * 1_000_000_000))
                }
            } catch {
                return
            }
        }
    }
}

/// A ready-to-run `flarelet dev` session: one HTTP server (and cron scheduler) per config.
public struct DevSession: Sendable {
    public struct Endpoint: Sendable {
        public var hosted: HostedWorker
        public var bindHost: String
        public var displayHost: String
        public var port: Int
    }

    public let endpoints: [Endpoint]
    public let options: DevOptions
    public let logger: Logger
    public let clock: any WorkerClock
    public let warnings: [String]

    /// Loads every config, opens its bindings and chooses ports. Nothing listens yet.
    public static func prepare(
        options: DevOptions,
        registry: WorkerRegistry,
        clock: any WorkerClock = SystemClock(),
        logger: Logger,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws -> DevSession {
        var endpoints: [Endpoint] = []
        var warnings: [String] = []
        var taken: Set<Int> = []
        do {
            for (index, path) in options.configPaths.enumerated() {
                let config = try WranglerConfig.load(path: path, env: options.envName, cliVars: options.vars, persistTo: options.persistTo)
                warnings += config.warnings
                let hosted = try HostedWorker(config: config, registry: registry, clock: clock, logger: logger, metrics: metrics)
                warnings += hosted.assets?.warnings ?? []
                let ip = options.ip ?? config.dev.ip
                let bindHost = ip == "localhost" ? "127.0.0.1" : ip
                // --port wins (consecutive ports for several configs), then `[dev] port`, then 8787-8797 / any.
                let port: Int
                if let base = options.port {
                    port = base == 0 ? 0 : try PortChooser.explicit(base + index, host: bindHost, taken: taken)
                } else if let configured = config.dev.port {
                    port = try PortChooser.explicit(configured, host: bindHost, taken: taken)
                } else {
                    port = PortChooser.automatic(host: bindHost, taken: taken)
                }
                taken.insert(port)
                endpoints.append(Endpoint(hosted: hosted, bindHost: bindHost, displayHost: ip, port: port))
            }
        } catch {
            for endpoint in endpoints { endpoint.hosted.close() }
            throw error
        }
        return DevSession(endpoints: endpoints, options: options, logger: logger, clock: clock, warnings: warnings)
    }

    /// Lines describing each worker's crons and their next firing (UTC).
    public func cronBanner() -> [String] {
        var lines: [String] = []
        let now = self.clock.now()
        for endpoint in self.endpoints where !endpoint.hosted.crons.isEmpty {
            for cron in endpoint.hosted.crons {
                let next = cron.nextFireTime(after: now).map { $0.isoString } ?? "never"
                let state = self.options.crons ? "next run \(next)" : "automatic runs off (--no-crons)"
                lines.append("⏰ \(endpoint.hosted.config.name): cron \"\(cron.text)\" \(state)")
            }
        }
        return lines
    }

    /// Serves until SIGINT/SIGTERM; calls `onReady` with each worker's URL once it listens.
    /// - Parameters:
    ///   - extraServices: more services to run in the same group (the dashboard); they stop first.
    ///   - onReady: called with each worker's name and URL once it listens.
    public func run(
        extraServices: [any Service] = [],
        onReady: @escaping @Sendable (_ worker: String, _ url: String) -> Void
    ) async throws {
        // Graceful shutdown runs in reverse order: the HTTP servers and schedulers stop first, then the stores drain
        // and close, and the Hyperdrive pools (first in the list) close last, after the work that uses them.
        var services: [any Service] = self.endpoints.flatMap(\.hosted.services)
        services += [
            StoreCloser(workers: self.endpoints.map(\.hosted)),
            KVJanitor(workers: self.endpoints.map(\.hosted), interval: 300),
        ]
        let bodyReader = BodyReader(limits: self.options.limits, budget: BodyMemoryBudget(limit: self.options.limits.bodyMemoryBudget))
        for endpoint in self.endpoints {
            let router = DevRouter(
                hosted: endpoint.hosted,
                testScheduled: self.options.testScheduled,
                allowedHosts: [endpoint.displayHost, endpoint.bindHost]
            )
            let displayHost = endpoint.displayHost
            let name = endpoint.hosted.config.name
            let app = Application(
                responder: WorkerResponder(router: router, displayHost: "\(displayHost):\(endpoint.port)", bodyReader: bodyReader),
                server: .guardedHTTP1(limits: self.options.limits),
                configuration: ApplicationConfiguration(
                    address: .hostname(endpoint.bindHost, port: endpoint.port),
                    serverName: nil,
                    reuseAddress: true
                ),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? endpoint.port
                    onReady(name, "http://\(displayHost):\(port)")
                },
                logger: self.logger
            )
            services.append(app)
            if let assets = endpoint.hosted.assets {
                services.append(AssetsWatcher(assets: assets, logger: endpoint.hosted.env.logger))
            }
            if self.options.crons, !endpoint.hosted.crons.isEmpty {
                let hosted = endpoint.hosted
                services.append(
                    CronScheduler(crons: hosted.crons, clock: self.clock) { cron, time in
                        _ = await hosted.runScheduled(cron: cron, scheduledTime: time)
                    }
                )
            }
        }
        services += extraServices
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: self.logger
            )
        )
        try await group.run()
    }
}

/// Port selection of platform.md 7.8.
public enum PortChooser {
    /// An explicitly requested port: it must be free.
    public static func explicit(_ port: Int, host: String, taken: Set<Int>) throws -> Int {
        guard (0...65535).contains(port) else {
            throw HostError("invalid port \(port): ports are 0-65535")
        }
        if port == 0 { return 0 }
        if taken.contains(port) || !self.isFree(port, host: host) {
            throw HostError("cannot listen on \(host):\(port): address already in use (choose another with --port, or stop the other process)")
        }
        return port
    }

    /// 8787–8797, then any free port (0).
    static func automatic(host: String, taken: Set<Int>) -> Int {
        for port in 8787...8797 where !taken.contains(port) && self.isFree(port, host: host) {
            return port
        }
        return 0
    }

    /// Whether a TCP socket can bind `host:port` right now.
    public static func isFree(_ port: Int, host: String) -> Bool {
        let fd = socket(host.contains(":") ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host == "0.0.0.0" ? "0.0.0.0" : host, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
