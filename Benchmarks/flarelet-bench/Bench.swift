import FlareletCore
import Foundation
import NIOCore
import NIOPosix

/// Runs the selected scenarios and prints one line per figure: `scenario  figure  ratio  (floor)`.
final class Bench {
    let options: Options
    let scratch: String
    let group: MultiThreadedEventLoopGroup
    /// Floors measured so far (name → value).
    var floors: [String: Double] = [:]
    var flarelet: ChildServer?
    var flareletPorts: [String: Int] = [:]
    var requestsServed = 0
    var helloPort = 0
    let salt = UInt32.random(in: 1...UInt32.max)

    /// The five seed configs, in the order of `scripts/dev` (ports base+0 … base+4).
    static let workers: [(name: String, config: String, schema: String?, database: String?)] = [
        ("voicemode", "wrangler.toml", "schema.sql", "voicemode-telemetry"),
        ("runt", "workers/runt/wrangler.toml", "workers/runt/schema.sql", "runt-telemetry"),
        ("drift", "workers/drift/wrangler.toml", "workers/drift/schema.sql", "drift-telemetry"),
        ("telemetry-kit", "workers/telemetry-kit/wrangler.toml", "workers/telemetry-kit/schema.sql", "telemetry-kit"),
        ("minigem", "workers/minigem/wrangler.toml", nil, nil),
    ]

    init(options: Options) throws {
        self.options = options
        self.scratch = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.scratch, withIntermediateDirectories: true)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: options.clientThreads)
    }

    deinit {
        if ProcessInfo.processInfo.environment["FLARELET_BENCH_KEEP"] == nil {
            try? FileManager.default.removeItem(atPath: self.scratch)
        }
    }

    func run() async throws {
        defer {
            self.flarelet?.stop()
            self.hello?.stop()
        }
        let host = ProcessInfo.processInfo
        print("flarelet-bench  \(Date().isoString)  \(host.processorCount) cores, \(host.physicalMemory >> 30) GiB")
        print(
            "load: \(self.options.connections) keep-alive connections, \(self.options.clientThreads) client thread(s), "
                + "\(self.options.warmup) s warm-up + \(self.options.duration) s per cell"
        )
        print("")
        let selected = Set(self.options.scenarios)
        let needsFloor = !selected.isDisjoint(with: ["floor", "voicemode-direct"])
        if needsFloor { try self.measureFloors(print: selected.contains("floor")) }
        if selected.contains("hello") { try await self.measureHello() }
        if selected.contains("voicemode-direct") {
            let (rate, p99) = try await Direct.voiceMode(
                root: self.options.root,
                state: (ProcessInfo.processInfo.environment["FLARELET_BENCH_DIRECT_STATE"] ?? self.scratch) + "/direct",
                connections: self.options.connections,
                seconds: self.options.duration,
                salt: self.salt
            )
            Self.line(
                "voicemode-direct",
                "\(Self.rate(rate)) events/s  p99 \(Int(p99 / 1000)) ms",
                ratio: self.floors["sqlite-1:voicemode"].map { rate / $0 },
                floor: "sqlite 1-row transactions; no HTTP"
            )
        }
        for scenario in ["health", "voicemode", "runt", "drift", "telemetry-kit", "minigem"] where selected.contains(scenario) {
            try await self.measureWorker(scenario)
        }
        if let flarelet = self.flarelet {
            try await Task.sleep(for: .seconds(1))
            let rss = flarelet.rssKiB
            Self.line(
                "rss-after-load",
                "\(rss / 1024) MiB after \(self.requestsServed) requests",
                ratio: Double(rss) / 1024 / 64,
                floor: "64 MiB target"
            )
            flarelet.stop()
            self.flarelet = nil
        }
        if selected.contains("startup") { try self.measureStartup() }
        try await self.group.shutdownGracefully()
    }

    // MARK: Output

    static func line(_ scenario: String, _ figure: String, ratio: Double?, floor: String) {
        let name = scenario.padding(toLength: 22, withPad: " ", startingAt: 0)
        let value = figure.padding(toLength: 34, withPad: " ", startingAt: 0)
        let ratioText = ratio.map { String(format: "%.2f", $0) } ?? "-"
        print("\(name)\(value)\(ratioText.padding(toLength: 7, withPad: " ", startingAt: 0))(\(floor))")
    }

    static func rate(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }

    // MARK: Floors

    /// Measures again, just before a scenario, the floors its ratio uses, so that both figures see the same
    /// machine (the disk's fsync latency moves with whatever else the machine is doing).
    func refreshFloors(for scenario: String) throws {
        let seconds = min(2, self.options.duration)
        switch scenario {
        case "runt":
            self.floors["verify"] = Floors.verifiesPerSecond(seconds: seconds)
        default:
            guard let schema = Floors.schemas(root: self.options.root).first(where: { $0.name == scenario }) else { return }
            let rows = scenario == "drift" ? 100 : 1
            let key = "sqlite-\(rows):\(scenario)"
            self.floors[key] = try Floors.sqliteRowsPerSecond(schema, rowsPerTransaction: rows, seconds: seconds, directory: self.scratch)
        }
    }

    func measureFloors(print show: Bool) throws {
        let seconds = min(3, self.options.duration)
        for schema in Floors.schemas(root: self.options.root) {
            let one = try Floors.sqliteRowsPerSecond(schema, rowsPerTransaction: 1, seconds: seconds, directory: self.scratch)
            let hundred = try Floors.sqliteRowsPerSecond(schema, rowsPerTransaction: 100, seconds: seconds, directory: self.scratch)
            self.floors["sqlite-1:\(schema.name)"] = one
            self.floors["sqlite-100:\(schema.name)"] = hundred
            if show {
                Self.line("floor sqlite 1-row", "\(Self.rate(one)) rows/s (\(schema.name))", ratio: nil, floor: "WAL, synchronous=FULL")
                Self.line("floor sqlite 100-row", "\(Self.rate(hundred)) rows/s (\(schema.name))", ratio: nil, floor: "WAL, synchronous=FULL")
            }
        }
        let verify = Floors.verifiesPerSecond(seconds: seconds)
        self.floors["verify"] = verify
        if show { Self.line("floor ed25519 verify", "\(Self.rate(verify)) verifies/s", ratio: nil, floor: "libsodium, 1 thread") }
    }

    // MARK: Hello

    var hello: ChildServer?

    /// Starts the hello server once; it stays up (idle) for the rest of the run.
    func startHello() throws {
        guard self.hello == nil else { return }
        let port = Ports.freeRun(1)
        self.helloPort = port
        let server = try ChildServer(name: "hello", arguments: ["serve-hello", "--port", String(port)], logDirectory: self.scratch)
        let request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        guard Probe.waitForSuccess(port: port, request: request, since: server.startedAt) != nil else {
            throw BenchError("the hello server did not answer")
        }
        self.hello = server
    }

    /// The hello server's rate right now.
    func helloRateNow() async throws -> Double {
        try self.startHello()
        let raw = Requests.raw("GET", "/health")
        let result = try await self.load(port: self.helloPort) { _ in raw }
        try self.expectAll(result, status: 200, "hello")
        return result.rate
    }

    func measureHello() async throws {
        var rates: [Double] = []
        for _ in 0..<self.options.rounds { rates.append(try await self.helloRateNow()) }
        Self.line("hello", "\(Self.rate(Self.median(rates))) req/s", ratio: 1, floor: "bare Hummingbird 2 GET /health")
    }

    // MARK: Workers

    func startFlarelet() throws {
        guard self.flarelet == nil else { return }
        let state = self.scratch + "/state"
        for worker in Self.workers {
            guard let schema = worker.schema, let database = worker.database else { continue }
            let apply = Process()
            apply.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            apply.arguments = [
                "serve-flarelet", "d1", "execute", database, "--file=\(self.options.root)/\(schema)", "-c", "\(self.options.root)/\(worker.config)",
                "--persist-to", state, "--json",
            ]
            apply.standardOutput = FileHandle.nullDevice
            try apply.run()
            apply.waitUntilExit()
            guard apply.terminationStatus == 0 else { throw BenchError("applying \(schema) failed") }
        }
        let base = Ports.freeRun(Self.workers.count)
        var arguments = ["serve-flarelet", "dev"]
        for worker in Self.workers { arguments += ["-c", "\(self.options.root)/\(worker.config)"] }
        // The dashboard runs as it does by default (every request is recorded for it and for /metrics), on a free port.
        arguments += ["--port", String(base), "--persist-to", state, "--no-crons", "--dashboard-port", "0"]
        let server = try ChildServer(name: "flarelet", arguments: arguments, logDirectory: self.scratch)
        for (offset, worker) in Self.workers.enumerated() {
            self.flareletPorts[worker.name] = base + offset
            let probe = worker.name == "minigem" || worker.name == "telemetry-kit" ? "GET /health" : "OPTIONS /"
            guard Probe.waitForSuccess(port: base + offset, request: "\(probe) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", since: server.startedAt) != nil
            else { throw BenchError("flarelet dev did not serve \(worker.name); see \(self.scratch)/flarelet.log") }
        }
        self.flarelet = server
        Self.line("flarelet dev", "pid \(server.pid), idle RSS \(server.rssKiB / 1024) MiB", ratio: nil, floor: "five workers, release build")
    }

    /// One measured cell: the scenario's figure and the floor measured right before it.
    struct Cell {
        var figure: Double
        var floor: Double
        var p99Microseconds: Double
        var ratio: Double { self.floor > 0 ? self.figure / self.floor : 0 }
    }

    /// Runs `scenario` for ``Options/rounds`` rounds, each right after a fresh measurement of its floor, and prints
    /// the median figure and the median of the per-round ratios (a noisy machine moves both figures of a round
    /// together, so the ratio of a round is steadier than either figure).
    func measureWorker(_ scenario: String) async throws {
        try self.startFlarelet()
        var cells: [Cell] = []
        for round in 0..<self.options.rounds {
            let salt = self.salt &+ UInt32(round) &* 7919
            let floor: Double
            switch scenario {
            case "health", "voicemode": floor = try await self.helloRateNow()
            case "runt":
                try self.refreshFloors(for: scenario)
                floor = self.floors["verify"] ?? 0
            case "drift":
                try self.refreshFloors(for: scenario)
                floor = self.floors["sqlite-100:drift"] ?? 0
            default:
                try self.refreshFloors(for: scenario)
                floor = self.floors["sqlite-1:\(scenario)"] ?? 0
            }
            let result: LoadResult
            var figure: Double
            switch scenario {
            case "health":
                let raw = Requests.raw("GET", "/v1/health")
                result = try await self.load(port: self.flareletPorts["drift"]!) { _ in raw }
                figure = result.rate
            case "voicemode":
                result = try await self.load(port: self.flareletPorts["voicemode"]!, request: Requests.voiceMode(salt: salt))
                figure = result.rate
            case "runt":
                // Enough bodies for the server to verify on every core for the whole run.
                let count = min(self.options.requests, Int(max(floor, 10_000) * (self.options.duration + self.options.warmup) * 2))
                let bodies = try Requests.runt(count: count, salt: salt)
                result = try await self.load(port: self.flareletPorts["runt"]!, limit: bodies.count) { bodies[$0] }
                figure = result.rate
            case "drift":
                result = try await self.load(port: self.flareletPorts["drift"]!, request: Requests.drift(salt: salt))
                figure = result.rate * 100
            case "telemetry-kit":
                result = try await self.load(port: self.flareletPorts["telemetry-kit"]!, request: Requests.telemetryKit(salt: salt))
                figure = result.rate
            case "minigem":
                result = try await self.load(port: self.flareletPorts["minigem"]!, request: Requests.minigem(salt: salt))
                figure = result.rate
            default:
                return
            }
            try self.expectAll(result, status: 200, scenario)
            cells.append(Cell(figure: figure, floor: floor, p99Microseconds: result.percentile(0.99)))
        }
        let figure = Self.median(cells.map(\.figure))
        let ratio = Self.median(cells.map(\.ratio))
        let p99 = Self.median(cells.map(\.p99Microseconds))
        let latency = p99 >= 10_000 ? "p99 \(Int(p99 / 1000)) ms" : "p99 \(Int(p99)) µs"
        let (unit, floorText): (String, String) =
            switch scenario {
            case "health": ("req/s", "hello; target ≥ 0.8")
            case "voicemode": ("events/s", "hello; target ≥ 0.5")
            case "runt": ("batches/s", "ed25519 verify; target ≥ 0.8")
            case "drift": ("events/s", "sqlite 100-row txns; target ≥ 0.6")
            default: ("events/s", "sqlite 1-row transactions")
            }
        Self.line(scenario, "\(Self.rate(figure)) \(unit)  \(latency)", ratio: ratio, floor: floorText)
        if self.options.rounds > 1 {
            let spread = cells.map { String(format: "%.2f", $0.ratio) }.joined(separator: " ")
            Self.line("", "rounds: \(spread)", ratio: nil, floor: "floor \(Self.rate(Self.median(cells.map(\.floor))))")
        }
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        return values.sorted()[values.count / 2]
    }

    func expectAll(_ result: LoadResult, status: Int, _ scenario: String) throws {
        let other = result.responses - (result.statuses[status] ?? 0)
        if other > 0 || result.errors > 0 || result.responses == 0 {
            throw BenchError("\(scenario): \(result.statuses) with \(result.errors) connection errors; expected only \(status)")
        }
    }

    func load(port: Int, limit: Int? = nil, request: @escaping @Sendable (Int) -> ByteBuffer) async throws -> LoadResult {
        self.hello?.matchPriority()
        self.flarelet?.matchPriority()
        let result = try await LoadGenerator.run(
            port: port,
            connections: self.options.connections,
            warmup: self.options.warmup,
            duration: self.options.duration,
            limit: limit ?? self.options.requests,
            group: self.group,
            request: request
        )
        if port != self.helloPort { self.requestsServed += result.responses }
        return result
    }

    // MARK: Startup

    func measureStartup() throws {
        var hello: [Double] = []
        var flarelet: [Double] = []
        var rss: [Int] = []
        let request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        for round in 0..<self.options.startupRounds {
            let port = Ports.freeRun(1)
            let server = try ChildServer(name: "hello-startup", arguments: ["serve-hello", "--port", String(port)], logDirectory: self.scratch)
            guard let elapsed = Probe.waitForSuccess(port: port, request: request, since: server.startedAt) else {
                throw BenchError("hello did not start")
            }
            hello.append(elapsed.seconds)
            server.stop()

            let state = self.scratch + "/startup-\(round)"
            let base = Ports.freeRun(Self.workers.count)
            var arguments = ["serve-flarelet", "dev"]
            for worker in Self.workers { arguments += ["-c", "\(self.options.root)/\(worker.config)"] }
            arguments += ["--port", String(base), "--persist-to", state, "--no-crons", "--dashboard-port", "0"]
            let dev = try ChildServer(name: "flarelet-startup", arguments: arguments, logDirectory: self.scratch)
            var slowest = 0.0
            for offset in 0..<Self.workers.count {
                // Every worker answers OPTIONS (204) or GET /health (200) without storage.
                let probe = offset >= 3 ? "GET /health" : "OPTIONS /"
                guard
                    let elapsed = Probe.waitForSuccess(
                        port: base + offset,
                        request: "\(probe) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                        since: dev.startedAt
                    )
                else { throw BenchError("flarelet dev did not start; see \(self.scratch)/flarelet-startup.log") }
                slowest = max(slowest, elapsed.seconds)
            }
            flarelet.append(slowest)
            Thread.sleep(forTimeInterval: 1)
            rss.append(dev.rssKiB)
            dev.stop()
        }
        let helloMedian = hello.sorted()[hello.count / 2]
        let flareletMedian = flarelet.sorted()[flarelet.count / 2]
        let rssMedian = rss.sorted()[rss.count / 2]
        Self.line("startup hello", String(format: "%.1f ms to first 200", helloMedian * 1000), ratio: 1, floor: "median of \(hello.count)")
        Self.line(
            "startup flarelet",
            String(format: "%.1f ms to all five answering", flareletMedian * 1000),
            ratio: flareletMedian / helloMedian,
            floor: "hello; target ≤ 2"
        )
        Self.line("idle RSS", "\(rssMedian / 1024) MiB (five workers)", ratio: Double(rssMedian) / 1024 / 40, floor: "40 MiB target")
    }
}
