public import CoreMetrics
import FlareletConfig
import FlareletCore
import FlareletCron
import FlareletJSON
public import FlareletServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
public import Logging
import NIOCore
import NIOWebSocket
public import Prometheus
public import ServiceLifecycle

/// The local dashboard of `flarelet dev`: a page with every hosted worker's traffic, errors, storage and crons
/// (updated live over a websocket), `GET /metrics` in Prometheus text format, and the `/tail` websocket that
/// `flarelet tail` reads.
///
/// Create it before the session so the workers record into its Prometheus registry (``metricsFactory``), then run
/// ``services(session:host:displayHost:port:onReady:)`` in the session's service group.
public final class Dashboard: Sendable {
    /// Where `/metrics` reads from.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory the hosted workers record into (pass it to `DevSession.prepare`).
    public let metricsFactory: any MetricsFactory
    private let urls = LockedValue<[String: String]>([:])
    private let storage = LockedValue<[Int: (time: ContinuousClock.Instant, value: StorageSnapshot)]>([:])

    /// Buckets of `flarelet_request_duration_seconds`.
    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10), .seconds(30),
    ]

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["flarelet_request_duration_seconds"] = Self.durationBuckets
        self.registry = registry
        self.metricsFactory = factory
    }

    /// Remembers a worker's URL once its server listens (shown on the dashboard).
    public func workerReady(name: String, url: String) {
        self.urls.withLock { $0[name] = url }
    }

    /// `GET /metrics`: the registry in Prometheus text format.
    public func metricsText() -> String {
        var buffer: [UInt8] = []
        self.registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// The dashboard's HTTP server and its sampler, to run in the session's service group (append them last so
    /// they stop first).
    /// - Parameters:
    ///   - session: the prepared dev session whose workers are shown.
    ///   - host: the address to bind.
    ///   - displayHost: the host name printed in the URL.
    ///   - port: the port (0 for any free port).
    ///   - logger: the server's logger.
    ///   - onReady: called with the dashboard's URL once it listens.
    public func services(
        session: DevSession,
        host: String,
        displayHost: String,
        port: Int,
        logger: Logger,
        onReady: @escaping @Sendable (_ url: String) -> Void
    ) -> [any Service] {
        let router = Router(context: BasicWebSocketRequestContext.self)
        self.addRoutes(to: router, session: session)
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil, reuseAddress: true),
            onServerRunning: { channel in
                onReady("http://\(displayHost):\(channel.localAddress?.port ?? port)")
            },
            logger: logger
        )
        return [DashboardSampler(monitors: session.endpoints.map(\.hosted.monitor)), app]
    }

    // MARK: Routes

    private func addRoutes(to router: Router<BasicWebSocketRequestContext>, session: DevSession) {
        router.get("/") { _, _ in
            Self.text(DashboardPage.html, type: "text/html; charset=utf-8")
        }
        router.get("/dashboard.js") { _, _ in
            Self.text(DashboardPage.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/dashboard.css") { _, _ in
            Self.text(DashboardPage.style, type: "text/css; charset=utf-8")
        }
        router.get("/api/snapshot") { _, _ in
            Self.text(await self.snapshot(session: session).stringify(), type: "application/json")
        }
        router.get("/metrics") { _, _ in
            Self.text(self.metricsText(), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.ws("/api/live") { _, _ in
            .upgrade([:])
        } onUpgrade: { inbound, outbound, _ in
            try await Self.untilClosed(inbound) {
                while !Task.isCancelled {
                    try await outbound.write(.text(await self.snapshot(session: session).stringify()))
                    try await Task.sleep(nanoseconds: 1_000_000_000)
                }
            }
        }
        router.ws("/tail") { _, _ in
            .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let wanted = context.request.uri.queryParameters.get("worker")
            let targets = session.endpoints.filter { wanted == nil || $0.hosted.config.name == wanted }
            guard !targets.isEmpty else {
                let served = session.endpoints.map(\.hosted.config.name).joined(separator: ", ")
                let message: JSONValue = [
                    "type": "error", "message": .string("flarelet dev does not serve a worker named \"\(wanted ?? "")\" (it serves \(served))"),
                ]
                try await outbound.write(.text(message.stringify()))
                return
            }
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            var filterMessage = JSONValue.null
            if case .text(let text)? = try await messages.next(), let parsed = try? JSONValue.parse(text) {
                filterMessage = parsed
            }
            let filter = TailFilter(message: filterMessage)
            let (merged, continuation) = AsyncStream<TailEvent>.makeStream(bufferingPolicy: .bufferingNewest(1000))
            let sources = targets.map { $0.hosted.monitor.events() }
            let names: [JSONValue] = targets.map { .string($0.hosted.config.name) }
            try await outbound.write(.text(JSONValue.object(["type": "connected", "workers": .array(names)] as JSONObject).stringify()))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for source in sources {
                    group.addTask {
                        for await event in source { continuation.yield(event) }
                    }
                }
                group.addTask {
                    try? await cancelWhenGracefulShutdown {
                        for await event in merged where filter.matches(event) {
                            try await outbound.write(.text(event.json.stringify()))
                        }
                    }
                    // Shutting down (or the connection broke): say goodbye so the client ends its side.
                    try? await outbound.close(.goingAway, reason: "flarelet dev is stopping")
                }
                // The client closing its side ends the tail.
                while (try? await messages.next()) != nil {}
                group.cancelAll()
            }
            continuation.finish()
        }
    }

    /// Runs `body` until it ends, the client closes the websocket, or the server shuts down.
    private static func untilClosed(
        _ inbound: WebSocketInboundStream,
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await _ in inbound {}
            }
            group.addTask {
                try await cancelWhenGracefulShutdown { try await body() }
            }
            defer { group.cancelAll() }
            _ = try? await group.next()
        }
    }

    private static func text(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Snapshot

    /// Everything the dashboard page shows, as JSON.
    func snapshot(session: DevSession) async -> JSONValue {
        let now = session.clock.now()
        let urls = self.urls.withLock { $0 }
        var workers: [JSONValue] = []
        for (index, endpoint) in session.endpoints.enumerated() {
            let hosted = endpoint.hosted
            let storage = await self.storageSnapshot(index: index, hosted: hosted)
            workers.append(
                DashboardSnapshot.worker(
                    hosted: hosted,
                    url: urls[hosted.config.name] ?? "http://\(endpoint.displayHost):\(endpoint.port)",
                    monitor: hosted.monitor.snapshot(),
                    storage: storage,
                    now: now,
                    cronsRunning: session.options.crons
                )
            )
        }
        return .object(["generatedAt": .integer(now.epochMilliseconds), "workers": .array(workers)] as JSONObject)
    }

    /// Storage sizes are read again at most every 3 seconds (row counts scan tables).
    private func storageSnapshot(index: Int, hosted: HostedWorker) async -> StorageSnapshot {
        if let cached = self.storage.withLock({ $0[index] }), ContinuousClock.now - cached.time < .seconds(3) {
            return cached.value
        }
        let fresh = await hosted.storageSnapshot()
        self.storage.withLock { $0[index] = (ContinuousClock.now, fresh) }
        return fresh
    }
}

/// Attributes the process's CPU time to the hosted workers once a second, in proportion to the time their requests
/// took (a per-request CPU clock would cost every request two system calls).
struct DashboardSampler: Service {
    let monitors: [WorkerMonitor]

    func run() async throws {
        var lastCPU = Self.processCPUNanoseconds()
        var lastBusy = self.monitors.map(\.busyNanoseconds)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: 1_000_000_000) }
            } catch {
                return
            }
            let cpu = Self.processCPUNanoseconds()
            let busy = self.monitors.map(\.busyNanoseconds)
            let deltas = zip(busy, lastBusy).map { Double($0 - $1) }
            let total = deltas.reduce(0, +)
            if total > 0 {
                for (monitor, delta) in zip(self.monitors, deltas) where delta > 0 {
                    monitor.addCPU(nanoseconds: Int64(Double(cpu - lastCPU) * delta / total))
                }
            }
            lastCPU = cpu
            lastBusy = busy
        }
    }

    static func processCPUNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
