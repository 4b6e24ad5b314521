import ArgumentParser
import FlareletD1
import FlareletTesting
import Foundation

/// `fuzz`: seeded malformed, truncated, oversized and hostile requests against every route of the five seed
/// workers on one live `flarelet dev`.
///
/// A case fails on: the server process dying, no answer or close within the hang limit, an answer that is not
/// HTTP or is cut short, a connection closed (or reset) with a request unanswered although no earlier answer said
/// `Connection: close`, and a 5xx that neither the worker's spec nor the server documents.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Hostile requests against every worker on a live flarelet dev; fails on crash, hang, undocumented 5xx."
    )

    @Option(help: "Number of cases.")
    var cases = 100_000

    @Option(help: "Concurrent client threads (most of a thread's time is spent waiting for the server).")
    var concurrency = 8

    @Option(help: "Seconds without an answer (or close) that count as a hang.")
    var hangLimit = 5.0

    @Option(help: "One case in N is left stalled (waits for the server's header/body timeout).")
    var stallEvery = 1000

    @Option(help: "Run only this case, printing what was sent and received.")
    var only: Int?

    @Option(help: "The server's --header-timeout and --idle-timeout in seconds; 0 leaves its defaults (for binaries without them).")
    var serverTimeout = 1

    @OptionGroup var suite: SuiteOptions

    func validate() throws {
        guard self.cases >= 1, self.concurrency >= 1, self.hangLimit > 0, self.stallEvery >= 2, self.serverTimeout >= 0 else {
            throw ValidationError("--cases, --concurrency and --hang-limit must be positive, --stall-every at least 2")
        }
    }

    func run() throws {
        let environment = try self.suite.environment()
        let seed = self.suite.resolvedSeed
        let state = try ScratchDirectory(prefix: "flarelet-fuzz")
        defer { if !self.suite.keep { state.remove() } }
        for (database, schema, config) in [
            ("voicemode-telemetry", "schema.sql", "wrangler.toml"),
            ("runt-telemetry", "workers/runt/schema.sql", "workers/runt/wrangler.toml"),
            ("drift-telemetry", "workers/drift/schema.sql", "workers/drift/wrangler.toml"),
            ("telemetry-kit", "workers/telemetry-kit/schema.sql", "workers/telemetry-kit/wrangler.toml"),
        ] {
            try environment.applySchema(database: database, schema: schema, config: config, persistTo: state.path)
        }
        let configs = [
            "wrangler.toml", "workers/runt/wrangler.toml", "workers/drift/wrangler.toml", "workers/telemetry-kit/wrangler.toml",
            "workers/minigem/wrangler.toml",
        ]
        let server = try DevProcess(
            environment: environment,
            arguments: configs.flatMap { ["-c", environment.path($0)] } + [
                "--port", "0", "--persist-to", state.path, "--no-crons", "--log-level", "error",
                // Minigem's in-memory rate limit (2,000 an hour per IP) would otherwise answer most of its cases 429.
                "--var", "RATE_LIMIT_MAX:1000000000",
            ] + (self.serverTimeout > 0 ? ["--header-timeout", String(self.serverTimeout), "--idle-timeout", String(self.serverTimeout)] : []),
            workers: FuzzTarget.all.map(\.worker)
        )
        let ports = FuzzTarget.all.map { server.port($0.worker) }
        let generator = FuzzGenerator(seed: seed, targets: FuzzTarget.all, stallEvery: self.stallEvery)
        let oracle = FuzzOracle(hangLimit: self.hangLimit, stallLimit: Double(max(self.serverTimeout, 1)) + self.hangLimit, server: server)

        if let only = self.only {
            let fuzzCase = generator.make(only)
            say("case \(only) (\(FuzzTarget.all[fuzzCase.target].worker), \(fuzzCase.kind), \(fuzzCase.delivery)):")
            for piece in fuzzCase.pieces { say(String(decoding: piece.prefix(4000), as: UTF8.self).debugDescription) }
            let verdict = oracle.run(fuzzCase, port: ports[fuzzCase.target], verbose: true)
            say(verdict.failure.map { "FAIL: \($0)" } ?? "ok")
            _ = server.stop()
            if verdict.failure != nil { throw ExitCode.failure }
            return
        }

        say(
            "fuzz: seed \(seed), \(grouped(self.cases)) cases, \(self.concurrency) clients, hang limit \(self.hangLimit) s, "
                + "server timeouts \(self.serverTimeout) s; workers: \(zip(FuzzTarget.all, ports).map { "\($0.worker) :\($1)" }.joined(separator: ", "))"
        )
        let started = Date()
        let tally = Locked(Tally())
        let group = DispatchGroup()
        let next = Locked(0)
        for _ in 0..<self.concurrency {
            group.enter()
            Thread {
                defer { group.leave() }
                while true {
                    let index = next.withLock { value -> Int in
                        defer { value += 1 }
                        return value
                    }
                    guard index < self.cases else { return }
                    if tally.withLock({ $0.failures.count >= 50 }) { return }
                    let fuzzCase = generator.make(index)
                    let verdict = oracle.run(fuzzCase, port: ports[fuzzCase.target])
                    tally.withLock { $0.add(fuzzCase, verdict) }
                    if index % 10_000 == 9_999 {
                        let snapshot = tally.withLock { $0 }
                        say(
                            "  \(grouped(index + 1)) cases, \(elapsed(since: started)): \(snapshot.failures.count) failures; "
                                + "server RSS \(server.residentKiB / 1024) MiB"
                        )
                    }
                }
            }.start()
        }
        group.wait()
        var result = tally.withLock { $0 }
        let duration = Date().timeIntervalSince(started)

        // The server must still be up, answer every worker, stop cleanly and leave sound databases.
        if !server.isRunning {
            result.failures.insert(
                "the server process is gone (exit \(server.process.terminationStatus)); its last output:\n\(server.stderr.suffix(6000))",
                at: 0
            )
        }
        for (target, port) in zip(FuzzTarget.all, ports) {
            let outcome = simpleRequest(port: port, method: "OPTIONS", path: "/")
            guard case .response(let response)? = outcome, response.status < 500 else {
                result.failures.append("after the run \(target.worker) does not answer OPTIONS / (\(String(describing: outcome)))")
                continue
            }
        }
        let rss = server.residentKiB
        if server.stop() != 0 { result.failures.append("flarelet dev did not exit 0 on SIGTERM; stderr: \(server.stderr.suffix(2000))") }
        for database in ["voicemode-telemetry", "runt-telemetry", "drift-telemetry", "telemetry-kit", "minigem"] {
            let path = state.path + "/d1/\(database).sqlite"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let check = (try? SQLiteInspection.integrityCheck(path: path)) ?? ["cannot open"]
            if check != ["ok"] { result.failures.append("integrity_check of \(database): \(check.joined(separator: "; "))") }
        }

        say(result.report(duration: duration, rss: rss, seed: seed))
        if !result.failures.isEmpty { throw ExitCode.failure }
    }
}

/// Counts over a run.
struct Tally {
    var cases = 0
    var byDelivery: [String: Int] = [:]
    var statuses: [Int: Int] = [:]
    var documented5xx: [String: Int] = [:]
    var closedWithoutAnswer = 0
    var probes = 0
    var failures: [String] = []

    mutating func add(_ fuzzCase: FuzzCase, _ verdict: FuzzOracle.Verdict) {
        self.cases += 1
        self.byDelivery["\(fuzzCase.delivery)", default: 0] += 1
        for status in verdict.statuses { self.statuses[status, default: 0] += 1 }
        for entry in verdict.documented5xx { self.documented5xx[entry, default: 0] += 1 }
        if verdict.closedWithoutAnswer { self.closedWithoutAnswer += 1 }
        if verdict.probed { self.probes += 1 }
        if let failure = verdict.failure {
            self.failures.append("case \(fuzzCase.index) [\(FuzzTarget.all[fuzzCase.target].worker), \(fuzzCase.kind)]: \(failure)")
        }
    }

    func report(duration: Double, rss: Int, seed: UInt64) -> String {
        let responses = self.statuses.values.reduce(0, +)
        var classes: [String: Int] = [:]
        for (status, count) in self.statuses { classes["\(status / 100)xx", default: 0] += count }
        let verdict = self.failures.isEmpty ? "PASS" : "FAIL"
        let rate = String(format: "%.0f s (%.0f cases/s)", duration, Double(self.cases) / max(duration, 0.001))
        let deliveries: [String] = self.byDelivery.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }
        let classList: [String] = classes.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }
        let statusList: [String] = self.statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\(grouped($0.value))" }
        let documented: [String] = self.documented5xx.sorted { $0.key < $1.key }.map { "\($0.key) ×\(grouped($0.value))" }
        var lines: [String] = []
        lines.append("\(verdict) fuzz: \(grouped(self.cases)) cases in \(rate), seed \(seed)")
        lines.append("  deliveries: \(deliveries.joined(separator: ", ")); \(grouped(self.probes)) keep-alive probes")
        lines.append("  \(grouped(responses)) responses: \(classList.joined(separator: ", "))")
        lines.append("  statuses: \(statusList.joined(separator: " "))")
        lines.append("  documented 5xx: \(documented.isEmpty ? "none" : documented.joined(separator: ", "))")
        lines.append(
            "  truncated/garbage cases closed without an answer: \(grouped(self.closedWithoutAnswer)); server RSS at the end \(rss / 1024) MiB"
        )
        lines.append("  failures: \(self.failures.count)")
        lines += self.failures.prefix(50).map { "    " + $0 }
        if !self.failures.isEmpty { lines.append("  rerun one with: flarelet-reliability fuzz --seed \(seed) --only <case>") }
        return lines.joined(separator: "\n")
    }
}

/// Sends a case and judges what comes back.
struct FuzzOracle: Sendable {
    let hangLimit: Double
    let stallLimit: Double
    let server: DevProcess

    struct Verdict {
        var statuses: [Int] = []
        var documented5xx: [String] = []
        var closedWithoutAnswer = false
        var probed = false
        var failure: String?
    }

    func run(_ fuzzCase: FuzzCase, port: Int, verbose: Bool = false) -> Verdict {
        var verdict = Verdict()
        let target = FuzzTarget.all[fuzzCase.target]
        guard let connection = RawConnection(port: port, timeout: self.hangLimit) ?? RawConnection(port: port, timeout: self.hangLimit) else {
            verdict.failure = self.server.isRunning ? "cannot connect" : "the server process is gone"
            return verdict
        }
        for (offset, piece) in fuzzCase.pieces.enumerated() {
            if offset > 0 { usleep(2000) }
            // A send that fails means the server already answered and closed; what it answered is read below.
            guard connection.send(piece) else { break }
        }
        if fuzzCase.delivery == .truncated { connection.shutdownWrite() }

        var saidClose = false
        var answered = 0
        let limit = fuzzCase.delivery == .stalled ? self.stallLimit : self.hangLimit
        for sent in fuzzCase.sent {
            let outcome = connection.readResponse(headRequest: sent.method == "HEAD", deadline: Date().addingTimeInterval(limit))
            if verbose { say("  ← \(outcome)") }
            switch outcome {
            case .response(let response):
                answered += 1
                verdict.statuses.append(response.status)
                if let problem = self.check(response, sent: sent, target: target, verdict: &verdict) {
                    verdict.failure = problem
                    return verdict
                }
                if response.header("connection")?.lowercased().contains("close") == true || response.closeDelimited {
                    saidClose = true
                }
            case .closed(let partial):
                if !partial.isEmpty {
                    verdict.failure = "an answer cut short: \(String(decoding: partial.prefix(200), as: UTF8.self).debugDescription)"
                } else if fuzzCase.delivery == .complete && !saidClose {
                    verdict.failure = "connection closed with \(sent.method) \(sent.target.prefix(80)) unanswered"
                } else if answered == 0 {
                    verdict.closedWithoutAnswer = true
                }
                return verdict
            case .reset:
                if fuzzCase.delivery == .complete && !saidClose {
                    verdict.failure = "connection reset with \(sent.method) \(sent.target.prefix(80)) unanswered"
                } else if answered == 0 {
                    verdict.closedWithoutAnswer = true
                }
                return verdict
            case .timeout(let partial):
                verdict.failure =
                    self.server.isRunning
                    ? "no answer within \(limit) s (got \(partial.count) bytes)" : "the server process is gone"
                return verdict
            case .malformed(let reason):
                verdict.failure = "not an HTTP answer: \(reason)"
                return verdict
            }
            if saidClose { break }
        }
        if saidClose || fuzzCase.delivery != .complete {
            // The server said it closes (or the case ends the input): it must actually close, not leave it hanging.
            if !connection.waitForClose(deadline: Date().addingTimeInterval(limit + 2)) {
                verdict.failure = "the connection stays open after the last answer"
            }
            return verdict
        }
        if fuzzCase.probe {
            verdict.probed = true
            guard connection.send("GET /__probe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") else { return verdict }
            switch connection.readResponse(deadline: Date().addingTimeInterval(self.hangLimit)) {
            case .response(let response):
                verdict.statuses.append(response.status)
                if response.status >= 500 { verdict.failure = "keep-alive probe answered \(response.status)" }
            case .timeout:
                verdict.failure = "keep-alive probe: no answer within \(self.hangLimit) s"
            case .malformed(let reason):
                verdict.failure = "keep-alive probe: \(reason)"
            case .closed, .reset:
                // The connection was already spent (e.g. extra bytes parsed as another request that failed).
                break
            }
        }
        return verdict
    }

    /// The 5xx rules; other statuses are fine.
    private func check(_ response: RawResponse, sent: FuzzCase.Sent, target: FuzzTarget, verdict: inout Verdict) -> String? {
        guard response.status >= 500 else { return nil }
        if FuzzTarget.serverDocumented(sent.method, response) {
            verdict.documented5xx.append("server \(response.status)")
            return nil
        }
        if target.documented5xx(sent.method, sent.target, response.status, response.bodyText) {
            verdict.documented5xx.append("\(target.worker) \(response.status)")
            return nil
        }
        return "undocumented \(response.status) for \(sent.method) \(sent.target.prefix(80)): \(response.bodyText.prefix(300))"
    }
}
