import ArgumentParser
import FlareletD1
import FlareletTesting
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `crash`: `kill -9` of `flarelet dev` at random moments under concurrent VoiceMode and Drift load.
///
/// After every kill, with the server dead: `PRAGMA integrity_check` is `ok` on both databases, every VoiceMode event
/// answered 200 is stored, every Drift batch answered 200 is stored whole with its aggregates, no batch is half
/// stored, and nothing is stored that was never sent. The next round restarts on the same state and must become
/// ready and serve. After the last round a final start must serve and stop cleanly on SIGTERM (exit 0).
struct CrashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash",
        abstract: "kill -9 flarelet dev under VoiceMode and Drift load; verify nothing acknowledged is lost."
    )

    @Option(help: "Kill/restart rounds.")
    var rounds = 10

    @Option(help: "Concurrent client threads (split between VoiceMode and Drift).")
    var clients = 4

    @Option(help: "Shortest load time before the kill, in seconds.")
    var minUptime = 0.5

    @Option(help: "Longest load time before the kill, in seconds.")
    var maxUptime = 3.0

    @OptionGroup var suite: SuiteOptions

    func validate() throws {
        guard self.rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard self.clients >= 2 else { throw ValidationError("--clients must be at least 2") }
        guard self.minUptime > 0, self.maxUptime >= self.minUptime else {
            throw ValidationError("need 0 < --min-uptime <= --max-uptime")
        }
    }

    func run() throws {
        let environment = try self.suite.environment()
        let seed = self.suite.resolvedSeed
        var random = SeededRandom(seed: seed)
        let state = try ScratchDirectory(prefix: "flarelet-crash")
        let started = Date()
        say(
            "crash: seed \(seed), \(self.rounds) rounds, \(self.clients) clients, kill after "
                + String(format: "%.1f–%.1f s", self.minUptime, self.maxUptime) + " of load; state \(state.path)"
        )
        try Telemetry.applySchemas(environment, state: state.path)
        let ledger = Ledger(runTag: String(seed))
        var totals = RoundFigures()
        for round in 1...self.rounds {
            let server = try Telemetry.startServer(environment, state: state.path)
            let uptime = Double.random(in: self.minUptime...self.maxUptime, using: &random)
            let figures = try self.loadAndKill(server: server, ledger: ledger, round: round, uptime: uptime, seed: random.next())
            try Telemetry.verify(state: state.path, ledger: ledger, context: "round \(round)")
            totals.add(figures)
            say(
                "round \(round): killed after \(String(format: "%.2f", uptime)) s; VoiceMode \(grouped(figures.voiceAcked)) acked, "
                    + "\(figures.voiceUnknown) unanswered; Drift \(grouped(figures.batchesAcked)) batches "
                    + "(\(grouped(figures.driftEventsAcked)) events) acked, \(figures.batchesUnknown) unanswered; integrity ok"
            )
        }
        // A last clean start: it must serve, keep everything, and stop on SIGTERM with status 0.
        let server = try Telemetry.startServer(environment, state: state.path)
        guard case .response(let health)? = simpleRequest(port: server.port("drift-telemetry"), method: "GET", path: "/v1/health"),
            health.status == 200
        else {
            throw SuiteError("after the last round the restarted server does not answer GET /v1/health")
        }
        guard let status = server.stop(), status == 0 else {
            throw SuiteError("the restarted server did not exit 0 on SIGTERM (stderr: \(server.stderr))")
        }
        try Telemetry.verify(state: state.path, ledger: ledger, context: "after clean stop")
        say(
            "PASS crash: \(self.rounds) rounds in \(elapsed(since: started)); \(grouped(totals.requests)) requests; VoiceMode "
                + "\(grouped(totals.voiceAcked)) events acked, all stored; Drift \(grouped(totals.batchesAcked)) batches / "
                + "\(grouped(totals.driftEventsAcked)) events acked, all stored whole; \(totals.voiceUnknown + totals.batchesUnknown) "
                + "requests cut by the kill (stored whole or not at all); integrity_check ok after every kill; clean restart and stop"
        )
        if self.suite.keep { say("state kept in \(state.path)") } else { state.remove() }
    }

    // MARK: - Load

    struct RoundFigures {
        var requests = 0
        var voiceAcked = 0
        var voiceUnknown = 0
        var batchesAcked = 0
        var batchesUnknown = 0
        var driftEventsAcked = 0

        mutating func add(_ other: RoundFigures) {
            self.requests += other.requests
            self.voiceAcked += other.voiceAcked
            self.voiceUnknown += other.voiceUnknown
            self.batchesAcked += other.batchesAcked
            self.batchesUnknown += other.batchesUnknown
            self.driftEventsAcked += other.driftEventsAcked
        }
    }

    func loadAndKill(server: DevProcess, ledger: Ledger, round: Int, uptime: Double, seed: UInt64) throws -> RoundFigures {
        let stop = Locked(false)
        let figures = Locked(RoundFigures())
        let failures = Locked([String]())
        var threads: [Thread] = []
        let done = DispatchGroup()
        for client in 0..<self.clients {
            let isVoiceMode = client % 2 == 0
            let port = server.port(isVoiceMode ? "voicemode-telemetry" : "drift-telemetry")
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var random = SeededRandom.forCase(seed: seed, index: client)
                var connection: RawConnection?
                var sequence = 0
                while !stop.withLock({ $0 }) {
                    sequence += 1
                    if connection == nil { connection = RawConnection(port: port, timeout: 5) }
                    guard let open = connection else {
                        usleep(10_000)
                        continue
                    }
                    let outcome: ReadOutcome
                    if isVoiceMode {
                        let id = ledger.eventID(round, client, sequence)
                        ledger.voiceSent(id)
                        outcome = Telemetry.postVoiceMode(open, id: id, random: &random)
                        figures.withLock { $0.requests += 1 }
                        switch outcome {
                        case .response(let response) where response.status == 200:
                            guard response.bodyText == #"{"status":"ok","event_id":"\#(id)"}"# else {
                                failures.withLock { $0.append("VoiceMode 200 with body \(response.bodyText)") }
                                break
                            }
                            ledger.voiceAcked(id)
                            figures.withLock { $0.voiceAcked += 1 }
                        case .response(let response):
                            failures.withLock { $0.append("VoiceMode answered \(response.status): \(response.bodyText)") }
                        default:
                            figures.withLock { $0.voiceUnknown += 1 }
                            connection = nil
                        }
                    } else {
                        let type = ledger.batchType(round, client, sequence)
                        let size = random.int(1...20)
                        ledger.batchSent(type, size: size)
                        outcome = Telemetry.postDrift(open, type: type, size: size, random: &random)
                        figures.withLock { $0.requests += 1 }
                        switch outcome {
                        case .response(let response) where response.status == 200:
                            guard response.bodyText == #"{"success":true,"eventsProcessed":\#(size)}"# else {
                                failures.withLock { $0.append("Drift 200 with body \(response.bodyText)") }
                                break
                            }
                            ledger.batchAcked(type)
                            figures.withLock {
                                $0.batchesAcked += 1
                                $0.driftEventsAcked += size
                            }
                        case .response(let response):
                            failures.withLock { $0.append("Drift answered \(response.status): \(response.bodyText)") }
                        default:
                            figures.withLock { $0.batchesUnknown += 1 }
                            connection = nil
                        }
                    }
                    if case .response(let response) = outcome, response.header("connection")?.lowercased() == "close" {
                        connection = nil
                    }
                }
            }
            threads.append(thread)
            thread.start()
        }
        usleep(UInt32(uptime * 1_000_000))
        server.kill()
        stop.withLock { $0 = true }
        guard done.wait(timeout: .now() + 30) == .success else {
            throw SuiteError("round \(round): client threads did not stop within 30 s after the kill")
        }
        if let failure = failures.withLock({ $0.first }) {
            throw SuiteError("round \(round): \(failure)")
        }
        let result = figures.withLock { $0 }
        guard result.voiceAcked > 0 || result.batchesAcked > 0 || round > 1 else {
            throw SuiteError("round \(round): no request was answered before the kill (server too slow to start?)")
        }
        return result
    }
}
