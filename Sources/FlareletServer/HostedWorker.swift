public import CoreMetrics
public import FlareletAssets
public import FlareletConfig
public import FlareletCore
import FlareletCron
import FlareletD1
import FlareletJSON
import FlareletKV
import FlareletPostgres
import Foundation
public import Logging
public import ServiceLifecycle

/// One worker with its bindings opened from a resolved `wrangler.toml`: what `flarelet dev` serves and what
/// `flarelet cron trigger` runs.
public final class HostedWorker: Sendable {
    public let config: ResolvedConfig
    public let worker: any Worker
    public let env: Env
    public let crons: [CronExpression]
    /// The `[[hyperdrive]]` bindings with their resolved connection strings (for the start-up banner).
    public let hyperdrives: [ResolvedHyperdrive]
    /// Long-running parts of the bindings (each Hyperdrive binding's connection pool and forwarder): run them in the
    /// service group ahead of anything that uses the worker, so they stop last.
    public let services: [any Service]
    /// `[assets]`, when configured: the files served before (or instead of) the worker.
    public let assets: AssetServer?
    /// Requests, errors, logs and cron runs of this worker, for the dashboard, `/metrics` and `flarelet tail`.
    public let monitor: WorkerMonitor
    private let databases: [SQLiteD1Database]
    private let namespaces: [LMDBKVNamespace]
    private let forwarders: [HyperdriveForwarder]
    let pending = PendingWork()

    /// Opens the bindings of `config` under its persist root and looks up its worker.
    /// - Parameters:
    ///   - config: the resolved configuration.
    ///   - registry: the workers this build can host, by `main`.
    ///   - clock: the clock the worker reads.
    ///   - logger: the host's logger; the worker's log lines go through it.
    ///   - metrics: where request, D1, KV and cron metrics go (the dashboard's Prometheus registry, else nowhere).
    /// - Throws: ``HostError`` naming the file and what is wrong (unknown `main`, a bad cron, a store that cannot
    ///   be opened, a bad `[assets]` directory).
    public init(
        config: ResolvedConfig,
        registry: WorkerRegistry,
        clock: any WorkerClock,
        logger: Logger,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws(HostError) {
        self.config = config
        let monitor = WorkerMonitor(name: config.name, factory: metrics)
        self.monitor = monitor
        if config.main == nil, config.assets != nil {
            // An assets-only project: the router answers everything from the assets.
            self.worker = AssetsOnlyWorker()
        } else {
            do {
                self.worker = try registry.worker(forMain: config.main ?? config.name)
            } catch {
                let location = config.mainPosition.map { ":\($0.line):\($0.column)" } ?? ""
                throw HostError("\(config.configPath)\(location): \(error)")
            }
        }
        if let assetsConfig = config.assets {
            do {
                self.assets = try AssetServer(
                    config: assetsConfig,
                    hasWorker: config.main != nil,
                    hasSite: config.hasSite,
                    compatibilityDate: config.compatibilityDate,
                    compatibilityFlags: config.compatibilityFlags
                )
            } catch {
                throw HostError(error.description)
            }
        } else {
            self.assets = nil
        }
        var crons: [CronExpression] = []
        for entry in config.crons {
            do {
                crons.append(try CronExpression(parsing: entry.expression))
            } catch {
                throw HostError("\(entry.file):\(entry.line): \(error)")
            }
        }
        self.crons = crons
        var hyperdrives: [ResolvedHyperdrive] = []
        for binding in config.hyperdrives {
            do {
                hyperdrives.append(try config.resolveHyperdrive(binding))
            } catch {
                throw HostError("\(error)")
            }
        }
        self.hyperdrives = hyperdrives
        var databases: [SQLiteD1Database] = []
        var namespaces: [LMDBKVNamespace] = []
        var d1: [String: any D1Database] = [:]
        var kv: [String: any KVNamespace] = [:]
        do {
            for database in config.d1Databases {
                let path = config.d1Path(for: database)
                let opened = try SQLiteD1Database(path: path)
                databases.append(opened)
                var hinting = HintingD1Database(base: opened, binding: database.binding, logger: logger)
                hinting.queries = monitor.metrics.d1Queries(binding: database.binding)
                d1[database.binding] = hinting
            }
            for namespace in config.kvNamespaces {
                let opened = try LMDBKVNamespace(directory: config.kvPath(for: namespace), clock: clock)
                namespaces.append(opened)
                kv[namespace.binding] = CountingKVNamespace(base: opened, binding: namespace.binding, metrics: monitor.metrics)
            }
        } catch {
            for database in databases { database.close() }
            for namespace in namespaces { namespace.close() }
            throw HostError("\(config.configPath): cannot open local state under \(config.persistRoot): \(error)")
        }
        var hyperdriveBindings: [String: Hyperdrive] = [:]
        var services: [any Service] = []
        var forwarders: [HyperdriveForwarder] = []
        for resolved in hyperdrives {
            let origin = resolved.origin
            let configuration = PostgresPoolConfiguration(
                host: origin.host,
                port: origin.port,
                user: origin.user,
                password: origin.password,
                database: origin.database,
                tls: PostgresPoolConfiguration.TLSMode(rawValue: origin.sslMode) ?? .disable,
                rootCertificatePath: origin.parameter("sslrootcert")
            )
            var poolLogger = logger
            poolLogger[metadataKey: "hyperdrive"] = "\(resolved.config.binding)"
            let pool = PostgresPool(configuration: configuration, logger: poolLogger)
            let forwarder: HyperdriveForwarder
            do {
                forwarder = try HyperdriveForwarder(upstream: configuration)
            } catch {
                for database in databases { database.close() }
                for namespace in namespaces { namespace.close() }
                for forwarder in forwarders { forwarder.close() }
                throw HostError("\(config.configPath): cannot open the local listener of Hyperdrive binding \"\(resolved.config.binding)\": \(error)")
            }
            forwarders.append(forwarder)
            services += [pool, forwarder]
            hyperdriveBindings[resolved.config.binding] = Hyperdrive(
                connectionString: origin.localConnectionString(host: forwarder.host, port: forwarder.port),
                host: forwarder.host,
                port: forwarder.port,
                user: origin.user,
                password: origin.password,
                database: origin.database,
                ip: forwarder.host,
                driver: pool
            )
        }
        self.services = services
        self.forwarders = forwarders
        self.databases = databases
        self.namespaces = namespaces
        var vars: [String: EnvVar] = [:]
        for (name, value) in config.vars {
            if case .string(let text) = value {
                vars[name] = .text(text.string)
            } else {
                vars[name] = .json(value)
            }
        }
        var workerLogger = logger
        workerLogger.handler = CapturingLogHandler(base: logger.handler, monitor: monitor)
        workerLogger[metadataKey: "worker"] = "\(config.name)"
        var env = Env(vars: vars, d1Databases: d1, kvNamespaces: kv, hyperdrives: hyperdriveBindings, clock: clock, logger: workerLogger)
        if let assets = self.assets, let binding = assets.config.binding {
            env.fetchers[binding] = AssetsFetcher(server: assets)
        }
        self.env = env
    }

    /// The opened D1 databases, in `d1_databases` order.
    var openDatabases: [SQLiteD1Database] { self.databases }

    /// The opened KV namespaces, in `kv_namespaces` order.
    var openNamespaces: [LMDBKVNamespace] { self.namespaces }

    /// Closes every store. Call once, after pending work has drained.
    public func close() {
        for database in self.databases { database.close() }
        for namespace in self.namespaces { namespace.close() }
        for forwarder in self.forwarders { forwarder.close() }
    }

    /// Runs ``services`` (the Hyperdrive pools and forwarders) around `body`, for commands without a service group
    /// (`flarelet cron trigger`); they are cancelled, and their connections closed, when `body` returns.
    public func withServicesRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in self.services {
                group.addTask { try await service.run() }
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Deletes every expired KV entry of this worker's namespaces (reads already skip them; this reclaims the
    /// space of keys nobody reads again, such as old rate-limit counters).
    /// - Returns: how many entries were removed.
    @discardableResult
    public func purgeExpiredKV() async -> Int {
        var removed = 0
        for namespace in self.namespaces {
            do {
                removed += try await namespace.purgeExpired()
            } catch {
                self.env.logger.warning("KV purge of \(namespace.directory) failed: \(error)")
            }
        }
        return removed
    }

    /// Runs `fetch`; the `waitUntil` work keeps running in the background and is tracked for shutdown.
    ///
    /// The invocation's log lines are kept under its id; its tail event is only built when a tail client listens
    /// or when it failed (an uncaught error or a status of 500 or more, which the dashboard lists).
    public func fetch(_ request: WorkerRequest) async -> WorkerResponse {
        let id = self.monitor.beginInvocation()
        let startedAt = Date().epochMilliseconds
        let (response, context, error) = await InvocationContext.$id.withValue(id) {
            await Invocation.fetchReportingError(self.worker, request: request, env: self.env)
        }
        // Most requests start no background work: nothing to track then.
        if context.hasTasks { self.pending.track(context) }
        let failed = error != nil || response.status >= 500
        if failed || self.monitor.hasListeners {
            let exceptions = error.map { [Self.exception($0)] } ?? []
            let event = TailEvent(
                outcome: error == nil ? "ok" : "exception",
                scriptName: self.config.name,
                exceptions: exceptions,
                logs: self.monitor.logs(of: id),
                eventTimestamp: startedAt,
                trigger: .fetch(
                    url: request.url,
                    method: request.method,
                    headers: request.headers.fields,
                    cf: request.cf,
                    status: error == nil ? response.status : nil
                ),
                clientIP: request.headers["CF-Connecting-IP"]
            )
            self.monitor.publish(event, isError: failed)
        }
        return response
    }

    static func exception(_ error: any Error) -> TailException {
        TailException(name: String(describing: type(of: error)), message: "\(error)", timestamp: Date().epochMilliseconds)
    }

    /// Runs `scheduled` once (handler and its `waitUntil` work) and logs one line.
    public func runScheduled(cron: String, scheduledTime: Int64) async -> ScheduledOutcome {
        let started = ContinuousClock.now
        let startedAt = Date().epochMilliseconds
        let id = self.monitor.beginInvocation()
        let outcome = await InvocationContext.$id.withValue(id) {
            await Invocation.scheduled(self.worker, cron: cron, scheduledTime: scheduledTime, env: self.env)
        }
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        self.monitor.recordCron(cron, startedAt: startedAt, outcome: outcome.outcome, milliseconds: ms)
        let event = TailEvent(
            outcome: outcome.outcome,
            scriptName: self.config.name,
            exceptions: outcome.error.map { [Self.exception($0)] } ?? [],
            logs: self.monitor.logs(of: id),
            eventTimestamp: startedAt,
            trigger: .scheduled(cron: cron, scheduledTime: scheduledTime)
        )
        self.monitor.publish(event, isError: !outcome.isOK)
        let time = Date(epochMilliseconds: scheduledTime).isoString
        let line = "[cron] \(self.config.name) \"\(cron)\" at \(time): \(outcome.outcome) (\(String(format: "%.1f", ms)) ms)"
        if outcome.isOK {
            self.env.logger.info("\(line)")
        } else {
            self.env.logger.error("\(line)\(outcome.error.map { ": \($0)" } ?? "")")
        }
        return outcome
    }

    /// Waits for outstanding `waitUntil` work, at most `timeout` seconds.
    public func drain(timeout: Double) async {
        await self.pending.drain(timeout: timeout)
    }
}

/// `waitUntil` work still running after its response was sent.
///
/// Each invocation's tasks get at most ``limit`` seconds after the response (platform.md 6.3). One reaper task per
/// worker enforces that by cancelling overdue work once a second, so a request costs no timer of its own.
final class PendingWork: Sendable {
    private struct Entry {
        var context: ExecutionContext
        var deadline: Date
    }
    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var reaper: Task<Void, Never>?
    }
    private let state = LockedValue(State())
    let limit: Double

    init(limit: Double = 30) {
        self.limit = limit
    }

    func track(_ context: ExecutionContext) {
        let id = ObjectIdentifier(context)
        self.state.withLock { state in
            state.entries[id] = Entry(context: context, deadline: Date().addingTimeInterval(self.limit))
            if state.reaper == nil {
                state.reaper = Task { [weak self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(nanoseconds: 1_000_000_000)
                        guard let self else { return }
                        self.cancelOverdue(now: Date())
                    }
                }
            }
        }
        Task {
            await context.wait()
            self.state.withLock { _ = $0.entries.removeValue(forKey: id) }
        }
    }

    /// Cancels the tasks of every invocation past its deadline.
    func cancelOverdue(now: Date) {
        let overdue = self.state.withLock { state in state.entries.values.filter { $0.deadline <= now }.map(\.context) }
        for context in overdue { context.cancelAll() }
    }

    /// Waits for outstanding work, at most `timeout` seconds, then stops the reaper.
    func drain(timeout: Double) async {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let open = self.state.withLock { state in state.entries.values.map(\.context) }
            guard let context = open.first else { break }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                for context in open { context.cancelAll() }
                break
            }
            await context.settle(timeout: remaining)
            self.state.withLock { _ = $0.entries.removeValue(forKey: ObjectIdentifier(context)) }
        }
        self.state.withLock { state in
            state.reaper?.cancel()
            state.reaper = nil
        }
    }

    deinit {
        self.state.withLock { $0.reaper?.cancel() }
    }
}

/// A start-up or hosting failure, printed as one line.
public struct HostError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
