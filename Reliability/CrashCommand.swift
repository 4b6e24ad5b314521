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
        try environment.applySchema(database: "voicemode-telemetry", schema: "schema.sql", config: "wrangler.toml", persistTo: state.path)
        try environment.applySchema(
            database: "drift-telemetry",
            schema: "workers/drift/schema.sql",
            config: "workers/drift/wrangler.toml",
            persistTo: state.path
        )
        let ledger = Ledger(runTag: String(seed))
        var totals = RoundFigures()
        for round in 1...self.rounds {
            let server = try self.startServer(environment, state: state.path)
            let uptime = Double.random(in: self.minUptime...self.maxUptime, using: &random)
            let figures = try self.loadAndKill(server: server, ledger: ledger, round: round, uptime: uptime, seed: random.next())
            try self.verify(state: state.path, ledger: ledger, context: "round \(round)")
            totals.add(figures)
            say(
                "round \(round): killed after \(String(format: "%.2f", uptime)) s; VoiceMode \(grouped(figures.voiceAcked)) acked, "
                    + "\(figures.voiceUnknown) unanswered; Drift \(grouped(figures.batchesAcked)) batches "
                    + "(\(grouped(figures.driftEventsAcked)) events) acked, \(figures.batchesUnknown) unanswered; integrity ok"
            )
        }
        // A last clean start: it must serve, keep everything, and stop on SIGTERM with status 0.
        let server = try self.startServer(environment, state: state.path)
        guard case .response(let health)? = simpleRequest(port: server.port("drift-telemetry"), method: "GET", path: "/v1/health"),
            health.status == 200
        else {
            throw SuiteError("after the last round the restarted server does not answer GET /v1/health")
        }
        guard let status = server.stop(), status == 0 else {
            throw SuiteError("the restarted server did not exit 0 on SIGTERM (stderr: \(server.stderr))")
        }
        try self.verify(state: state.path, ledger: ledger, context: "after clean stop")
        say(
            "PASS crash: \(self.rounds) rounds in \(elapsed(since: started)); \(grouped(totals.requests)) requests; VoiceMode "
                + "\(grouped(totals.voiceAcked)) events acked, all stored; Drift \(grouped(totals.batchesAcked)) batches / "
                + "\(grouped(totals.driftEventsAcked)) events acked, all stored whole; \(totals.voiceUnknown + totals.batchesUnknown) "
                + "requests cut by the kill (stored whole or not at all); integrity_check ok after every kill; clean restart and stop"
        )
        if self.suite.keep { say("state kept in \(state.path)") } else { state.remove() }
    }

    func startServer(_ environment: Environment, state: String) throws -> DevProcess {
        try DevProcess(
            environment: environment,
            arguments: [
                "-c", environment.path("wrangler.toml"), "-c", environment.path("workers/drift/wrangler.toml"),
                "--port", "0", "--persist-to", state, "--no-crons", "--log-level", "error",
            ],
            workers: ["voicemode-telemetry", "drift-telemetry"]
        )
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
                        let id = "crash-\(ledger.runTag)-\(round)-\(client)-\(sequence)"
                        ledger.voiceSent(id)
                        outcome = Self.postVoiceMode(open, id: id, random: &random)
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
                        let type = "crash_\(ledger.runTag)_\(round)_\(client)_\(sequence)"
                        let size = random.int(1...20)
                        ledger.batchSent(type, size: size)
                        outcome = Self.postDrift(open, type: type, size: size, random: &random)
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

    static func postVoiceMode(_ connection: RawConnection, id: String, random: inout SeededRandom) -> ReadOutcome {
        let body =
            #"{"event_id":"\#(id)","telemetry_id":"\#(random.uuid())","timestamp":"\#(isoTimestamp())","#
            + #""environment":{"os":"Linux","version":"1.0.0"},"usage":{"total_sessions":\#(random.int(0...50))}}"#
        let ip = "10.\(random.int(0...255)).\(random.int(0...255)).\(random.int(1...254))"
        return self.post(connection, path: "/telemetry", body: body, extraHeaders: "CF-Connecting-IP: \(ip)\r\n")
    }

    static func postDrift(_ connection: RawConnection, type: String, size: Int, random: inout SeededRandom) -> ReadOutcome {
        let installation = random.uuid()
        let events = (0..<size).map { index in
            #"{"type":"\#(type)","timestamp":"\#(isoTimestamp())","installationId":"\#(installation)","driftVersion":"1.0.0","seq":\#(index)}"#
        }
        return self.post(connection, path: "/v1/events", body: #"{"events":[\#(events.joined(separator: ","))]}"#, extraHeaders: "")
    }

    static func post(_ connection: RawConnection, path: String, body: String, extraHeaders: String) -> ReadOutcome {
        let bytes = Array(body.utf8)
        let head =
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\(extraHeaders)Content-Length: \(bytes.count)\r\n\r\n"
        guard connection.send(Array(head.utf8) + bytes) else { return .reset }
        return connection.readResponse(deadline: Date().addingTimeInterval(15))
    }

    // MARK: - Verification

    func verify(state: String, ledger: Ledger, context: String) throws {
        let voicePath = state + "/d1/voicemode-telemetry.sqlite"
        let driftPath = state + "/d1/drift-telemetry.sqlite"
        for path in [voicePath, driftPath] {
            let check = try SQLiteInspection.integrityCheck(path: path)
            guard check == ["ok"] else {
                throw SuiteError("\(context): PRAGMA integrity_check of \(path) is \(check.joined(separator: "; "))")
            }
        }
        let snapshot = ledger.snapshot()
        let storedVoice = Set(try SQLiteInspection.rows(path: voicePath, sql: "SELECT event_id FROM events").compactMap { $0.first ?? nil })
        let lostVoice = snapshot.voiceAcked.subtracting(storedVoice)
        guard lostVoice.isEmpty else {
            throw SuiteError("\(context): \(lostVoice.count) VoiceMode events answered 200 are not stored, e.g. \(lostVoice.sorted().prefix(3))")
        }
        let strangers = storedVoice.subtracting(snapshot.voiceSent)
        guard strangers.isEmpty else {
            throw SuiteError("\(context): VoiceMode stores events never sent: \(strangers.sorted().prefix(3))")
        }
        let counts = try SQLiteInspection.rows(
            path: driftPath,
            sql: "SELECT type, COUNT(*), COUNT(DISTINCT json_extract(payload, '$.seq')) FROM events GROUP BY type"
        )
        var stored: [String: Int] = [:]
        for row in counts {
            guard let type = row[0] ?? nil, let count = (row[1] ?? nil).flatMap({ Int($0) }),
                let distinct = (row[2] ?? nil).flatMap({ Int($0) })
            else { continue }
            guard let size = snapshot.batchSizes[type] else {
                throw SuiteError("\(context): Drift stores events of a batch never sent: \(type)")
            }
            guard count == size, distinct == size else {
                throw SuiteError("\(context): Drift batch \(type) is half stored: \(count) rows (\(distinct) distinct) of \(size)")
            }
            stored[type] = count
        }
        let aggregates = try SQLiteInspection.rows(
            path: driftPath,
            sql: "SELECT metric, SUM(value) FROM daily_stats WHERE metric LIKE 'events:crash%' GROUP BY metric"
        )
        var aggregated: [String: Int] = [:]
        for row in aggregates {
            guard let metric = row[0] ?? nil, let value = (row[1] ?? nil).flatMap({ Int($0) }) else { continue }
            aggregated[String(metric.dropFirst("events:".count))] = value
        }
        for (type, value) in aggregated {
            guard let count = stored[type] else {
                throw SuiteError("\(context): Drift aggregate events:\(type) = \(value) without its events")
            }
            guard value == count else {
                throw SuiteError("\(context): Drift aggregate events:\(type) = \(value), but the batch has \(count) events")
            }
        }
        for type in snapshot.batchesAcked {
            guard stored[type] != nil else {
                throw SuiteError("\(context): Drift batch \(type) answered 200 is not stored")
            }
            guard aggregated[type] != nil else {
                throw SuiteError("\(context): Drift batch \(type) answered 200 has no aggregate row")
            }
        }
    }
}

/// What was sent and what was acknowledged, across rounds.
final class Ledger: @unchecked Sendable {
    struct Snapshot {
        var voiceSent: Set<String> = []
        var voiceAcked: Set<String> = []
        var batchSizes: [String: Int] = [:]
        var batchesAcked: Set<String> = []
    }

    let runTag: String
    private let state = Locked(Snapshot())

    init(runTag: String) { self.runTag = runTag }

    func voiceSent(_ id: String) { self.state.withLock { _ = $0.voiceSent.insert(id) } }
    func voiceAcked(_ id: String) { self.state.withLock { _ = $0.voiceAcked.insert(id) } }
    func batchSent(_ type: String, size: Int) { self.state.withLock { $0.batchSizes[type] = size } }
    func batchAcked(_ type: String) { self.state.withLock { _ = $0.batchesAcked.insert(type) } }
    func snapshot() -> Snapshot { self.state.withLock { $0 } }
}
