import ArgumentParser
import CoreMetrics
import FlareletConfig
import FlareletCore
import FlareletDashboard
import FlareletServer
import Foundation
import Logging
import ServiceLifecycle

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a local server for one or more workers (like `wrangler dev`), with crons firing on schedule.",
        discussion: """
            Each --config hosts one worker on its own port: --port N gives consecutive ports N, N+1, …; otherwise \
            [dev] port from its wrangler.toml, otherwise the first free port of 8787-8797.
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "Port to listen on (0 = any free port).")
    var port: Int?

    @Option(help: "IP address to listen on (default: [dev] ip, else localhost).")
    var ip: String?

    @Option(name: .customLong("var"), help: "A variable KEY:VALUE for the worker's env; repeatable; overrides [vars] and .dev.vars.")
    var vars: [String] = []

    @Flag(name: .customLong("no-crons"), help: "Do not fire cron triggers automatically.")
    var noCrons = false

    @Flag(name: .customLong("test-scheduled"), help: "Serve /__scheduled to run the scheduled handler.")
    var testScheduled = false

    @Option(name: .customLong("log-level"), help: "debug, info, log, warn, error or none.")
    var logLevel: String = "log"

    @Option(name: .customLong("header-timeout"), help: "Seconds a client has to send a whole request head (408 after); default 15.")
    var headerTimeout: Double = ServerLimits().headerTimeout

    @Option(name: .customLong("idle-timeout"), help: "Seconds an idle keep-alive connection stays open after a response; default 5.")
    var idleTimeout: Double = ServerLimits().idleTimeout

    @Option(
        name: .customLong("body-memory-limit"),
        help: "MiB of request bodies held in memory at once across all workers (503 + Retry-After beyond); default 256."
    )
    var bodyMemoryLimit: Int = ServerLimits().bodyMemoryBudget / (1024 * 1024)

    @Option(
        name: .customLong("dashboard-port"),
        help: "Port of the local dashboard, /metrics and the tail websocket (default 8786, else any free port; 0 = any free port)."
    )
    var dashboardPort: Int?

    @Flag(name: .customLong("no-dashboard"), help: "Do not serve the local dashboard, /metrics and `flarelet tail`.")
    var noDashboard = false

    func validate() throws {
        if let port, !(0...65535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535 (got \(port))")
        }
        for value in self.vars where !value.contains(":") {
            throw ValidationError("--var \(value): expected KEY:VALUE")
        }
        if let port = self.dashboardPort, !(0...65535).contains(port) {
            throw ValidationError("--dashboard-port must be between 0 and 65535 (got \(port))")
        }
        if self.noDashboard, self.dashboardPort != nil {
            throw ValidationError("--dashboard-port and --no-dashboard cannot be used together")
        }
        if !["debug", "info", "log", "warn", "error", "none"].contains(self.logLevel) {
            throw ValidationError("--log-level must be one of debug, info, log, warn, error, none")
        }
        for (flag, value) in [("--header-timeout", self.headerTimeout), ("--idle-timeout", self.idleTimeout)]
        where !(value > 0 && value <= 86_400) {
            throw ValidationError("\(flag) must be a number of seconds greater than 0 and at most 86400 (got \(value))")
        }
        guard (1...1_048_576).contains(self.bodyMemoryLimit) else {
            throw ValidationError("--body-memory-limit must be between 1 and 1048576 MiB (got \(self.bodyMemoryLimit))")
        }
    }

    func run() async throws {
        try await self.reportingErrors {
            let level: Logger.Level =
                switch self.logLevel {
                case "debug": .debug
                case "warn": .warning
                case "error": .error
                case "none": .critical
                default: .info
                }
            LoggingSystem.bootstrap { label in DevLogHandler(label: label, level: level) }
            try self.state.refuseRemote()
            var paths = self.state.configs
            if paths.isEmpty {
                paths = [try WranglerConfig.find(startingAt: FileManager.default.currentDirectoryPath)]
            }
            let options = DevOptions(
                configPaths: paths,
                envName: self.state.env,
                port: self.port,
                ip: self.ip,
                persistTo: self.state.persistTo,
                vars: self.vars,
                crons: !self.noCrons,
                testScheduled: self.testScheduled,
                limits: ServerLimits(
                    headerTimeout: self.headerTimeout,
                    idleTimeout: self.idleTimeout,
                    bodyMemoryBudget: self.bodyMemoryLimit * 1024 * 1024
                )
            )
            let dashboard = self.noDashboard ? nil : Dashboard()
            let session = try DevSession.prepare(
                options: options,
                registry: Host.registry,
                logger: Logger(label: "flarelet"),
                metrics: dashboard?.metricsFactory ?? NOOPMetricsHandler.instance
            )
            var extraServices: [any Service] = []
            if let dashboard {
                let (bindHost, displayHost) = Self.dashboardHost(session)
                let port = try self.chooseDashboardPort(session, host: bindHost)
                extraServices = dashboard.services(
                    session: session,
                    host: bindHost,
                    displayHost: displayHost,
                    port: port,
                    logger: Logger(label: "flarelet.dashboard")
                ) { url in
                    Console.out("Dashboard on \(url)")
                }
            }
            for warning in session.warnings { Console.warn(warning) }
            for endpoint in session.endpoints {
                let config = endpoint.hosted.config
                Console.out("⎔ \(config.name) (\(config.configPath))\(config.envName.map { " env \($0)" } ?? "")")
                for database in config.d1Databases {
                    Console.out("  env.\(database.binding) (D1 \(database.databaseName ?? database.binding)): \(config.d1Path(for: database))")
                }
                for namespace in config.kvNamespaces {
                    Console.out("  env.\(namespace.binding) (KV): \(config.kvPath(for: namespace))")
                }
                for resolved in endpoint.hosted.hyperdrives {
                    for notice in resolved.notices { Console.out("  \(notice)") }
                    let binding = endpoint.hosted.env.hyperdrives[resolved.config.binding]
                    let origin = resolved.origin
                    let local = binding.map { " via \($0.host):\($0.port)" } ?? ""
                    Console.out(
                        "  env.\(resolved.config.binding) (Hyperdrive \(resolved.config.id)): PostgreSQL \(origin.user)@\(origin.host):\(origin.port)/"
                            + "\(origin.database) (sslmode \(origin.sslMode))\(local)"
                    )
                }
                for file in config.devVarsFiles {
                    Console.out("  Using secrets defined in \((file as NSString).lastPathComponent)")
                }
                for (name, _) in config.vars {
                    Console.out("  env.\(name) (var)")
                }
            }
            for line in session.cronBanner() { Console.out(line) }
            let several = session.endpoints.count > 1
            try await session.run(extraServices: extraServices) { name, url in
                dashboard?.workerReady(name: name, url: url)
                Console.out(several ? "Ready on \(url) (\(name))" : "Ready on \(url)")
            }
        }
    }

    /// The dashboard listens where the (first) worker does.
    static func dashboardHost(_ session: DevSession) -> (bind: String, display: String) {
        guard let first = session.endpoints.first else { return ("127.0.0.1", "localhost") }
        return (first.bindHost, first.displayHost)
    }

    /// `--dashboard-port N` must be free; by default 8786, or any free port (with a warning) when 8786 is taken.
    func chooseDashboardPort(_ session: DevSession, host: String) throws -> Int {
        let taken = Set(session.endpoints.map(\.port).filter { $0 != 0 })
        if let port = self.dashboardPort {
            do {
                return try PortChooser.explicit(port, host: host, taken: taken)
            } catch {
                throw HostError(
                    "cannot listen on \(host):\(port) for the dashboard: address already in use (choose another with --dashboard-port, or use --no-dashboard)"
                )
            }
        }
        if !taken.contains(8786), PortChooser.isFree(8786, host: host) { return 8786 }
        Console.warn("Port 8786 is in use: the dashboard listens on another port (see \"Dashboard on\"; `flarelet tail` needs --dashboard-port then)")
        return 0
    }
}
