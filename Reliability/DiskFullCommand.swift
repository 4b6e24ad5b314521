import ArgumentParser
import FlareletD1
import FlareletTesting
import Foundation

/// `diskfull`: `flarelet dev` with `--persist-to` on a small tmpfs, written to until the disk is full, twice on a
/// fresh disk with the same seed:
///
/// 1. VoiceMode and Drift load until 10 writes in a row are refused: every refusal must be a complete 5xx answer,
///    and the server must stay up and keep answering reads (`GET /v1/health`).
/// 2. Free some space (`--free-kib`). The first time the live server goes on; the second time it is stopped
///    (SIGTERM, status 0) and restarted first. Then `--recovery-writes` writes: the live server must accept at least
///    one, and the restarted server at least as many as the live one did.
/// 3. With the server stopped (after the stop, and at the end): `PRAGMA integrity_check` is `ok` and everything
///    answered 200 is stored (as in `crash`).
///
/// Skipped, with the reason printed and exit status 0, where the machine does not allow mounting a tmpfs.
struct DiskFullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diskfull",
        abstract: "Fill a small tmpfs under flarelet dev; verify errors, no loss, recovery live and across a restart."
    )

    @Option(help: "Size of the tmpfs in MiB.")
    var megabytes = 4

    @Option(name: .customLong("free-kib"), help: "KiB freed once the disk is full.")
    var freeKiB = 256

    @Option(help: "Writes attempted after space is freed (live, then after the restart).")
    var recoveryWrites = 10

    @OptionGroup var suite: SuiteOptions

    func run() throws {
        let environment = try self.suite.environment()
        if let reason = SmallDisk.unavailableReason {
            say("SKIP diskfull: \(reason)")
            return
        }
        let started = Date()
        let seed = self.suite.resolvedSeed
        say("diskfull: \(self.megabytes) MiB tmpfs, \(self.freeKiB) KiB freed once full, seed \(seed)")
        // The same episode twice on a fresh disk: once the live server goes on after space is freed, once it is
        // stopped and restarted first. The restart must recover as the live server does.
        var totals = (acked: 0, refused: 0)
        var recovered: [Int] = []
        for restart in [false, true] {
            let episode = try self.episode(environment, seed: seed, restart: restart)
            totals.acked += episode.acked
            totals.refused += episode.refused
            recovered.append(episode.recovered)
        }
        guard recovered[0] > 0 else {
            throw SuiteError("after freeing \(self.freeKiB) KiB the live server accepted no write")
        }
        guard recovered[1] >= recovered[0] else {
            throw SuiteError(
                "after freeing \(self.freeKiB) KiB a restarted server accepted \(recovered[1]) of \(self.recoveryWrites) writes, "
                    + "the live server \(recovered[0])"
            )
        }
        say(
            "PASS diskfull in \(elapsed(since: started)): \(grouped(totals.acked)) writes acknowledged, all stored; "
                + "\(totals.refused) refused while full, every one a complete 5xx answer; recovery live and after a restart; "
                + "integrity_check ok"
        )
    }

    func episode(_ environment: Environment, seed: UInt64, restart: Bool) throws -> (acked: Int, refused: Int, recovered: Int) {
        let disk = try SmallDisk.mount(megabytes: self.megabytes).get()
        defer { disk.unmount() }
        try Telemetry.applySchemas(environment, state: disk.path)
        try disk.fill("filler", bytes: self.freeKiB * 1024)
        let ledger = Ledger(prefix: "full", runTag: String(seed))
        var load = Load(ledger: ledger, random: SeededRandom(seed: seed))
        var server = try Telemetry.startServer(environment, state: disk.path)
        let fill = try load.fill(server)
        let label = restart ? "restart" : "live"
        say("\(label): full after \(grouped(fill.accepted)) accepted writes, then \(fill.refused) refused (\(fill.errors))")
        try FileManager.default.removeItem(atPath: disk.path + "/filler")
        if restart {
            guard let status = server.stop(), status == 0 else {
                throw SuiteError("flarelet dev did not stop cleanly on SIGTERM after the disk was full (stderr: \(server.stderr))")
            }
            try Telemetry.verify(state: disk.path, ledger: ledger, context: "after the stop")
            server = try Telemetry.startServer(environment, state: disk.path)
        }
        let accepted = try load.write(server, times: self.recoveryWrites)
        say("\(label): freed \(self.freeKiB) KiB\(restart ? ", restarted" : ""): \(accepted)/\(self.recoveryWrites) writes accepted")
        guard let final = server.stop(), final == 0 else {
            throw SuiteError("flarelet dev did not stop cleanly on SIGTERM (stderr: \(server.stderr))")
        }
        try Telemetry.verify(state: disk.path, ledger: ledger, context: "\(label), at the end")
        let snapshot = ledger.snapshot()
        return (snapshot.voiceAcked.count + snapshot.batchesAcked.count, fill.refused, accepted)
    }

    /// Sequential VoiceMode events and Drift batches (2 KB of padding per event so the disk fills quickly).
    struct Load {
        let ledger: Ledger
        var random: SeededRandom
        var sequence = 0

        struct Fill {
            var accepted = 0
            var refused = 0
            var errors: [String: Int] = [:]

            var summary: String {
                self.errors.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
            }
        }

        /// One write (alternately VoiceMode and Drift): `true` when answered 200. A refusal must be a complete
        /// 5xx answer; anything else (no answer, a reset, a 2xx with the wrong body) throws.
        mutating func writeOnce(_ server: DevProcess, refused: inout [String: Int]) throws -> Bool {
            self.sequence += 1
            let voiceMode = self.sequence % 2 == 0
            guard let connection = RawConnection(port: server.port(voiceMode ? "voicemode-telemetry" : "drift-telemetry"), timeout: 10)
            else {
                throw SuiteError("cannot connect to flarelet dev (is it still running? \(server.isRunning))")
            }
            let outcome: ReadOutcome
            let expected: String
            if voiceMode {
                let id = self.ledger.eventID(self.sequence)
                self.ledger.voiceSent(id)
                outcome = Telemetry.postVoiceMode(connection, id: id, random: &self.random)
                expected = #"{"status":"ok","event_id":"\#(id)"}"#
                if case .response(let response) = outcome, response.status == 200, response.bodyText == expected {
                    self.ledger.voiceAcked(id)
                }
            } else {
                let type = self.ledger.batchType(self.sequence)
                self.ledger.batchSent(type, size: 10)
                outcome = Telemetry.postDrift(connection, type: type, size: 10, random: &self.random, padding: 2000)
                expected = #"{"success":true,"eventsProcessed":10}"#
                if case .response(let response) = outcome, response.status == 200, response.bodyText == expected {
                    self.ledger.batchAcked(type)
                }
            }
            guard case .response(let response) = outcome else {
                throw SuiteError("write \(self.sequence) got no complete answer: \(outcome)")
            }
            if response.status == 200 {
                guard response.bodyText == expected else {
                    throw SuiteError("write \(self.sequence) answered 200 with \(response.bodyText)")
                }
                return true
            }
            guard (500...599).contains(response.status) else {
                throw SuiteError("write \(self.sequence) answered \(response.status): \(response.bodyText)")
            }
            refused["\(response.status) \(voiceMode ? "VoiceMode" : "Drift")", default: 0] += 1
            return false
        }

        /// Writes until 10 writes in a row are refused; reads must keep working meanwhile.
        mutating func fill(_ server: DevProcess) throws -> (accepted: Int, refused: Int, errors: String) {
            var fill = Fill()
            var inARow = 0
            while inARow < 10 {
                guard fill.accepted < 100_000 else { throw SuiteError("the disk never filled up") }
                if try self.writeOnce(server, refused: &fill.errors) {
                    fill.accepted += 1
                    inARow = 0
                } else {
                    fill.refused += 1
                    inARow += 1
                }
            }
            guard case .response(let health)? = simpleRequest(port: server.port("drift-telemetry"), method: "GET", path: "/v1/health"),
                health.status == 200
            else {
                throw SuiteError("GET /v1/health does not answer 200 while the disk is full")
            }
            return (fill.accepted, fill.refused, fill.summary)
        }

        /// Attempts `times` writes; returns how many were accepted.
        mutating func write(_ server: DevProcess, times: Int) throws -> Int {
            var errors: [String: Int] = [:]
            var accepted = 0
            for _ in 0..<times where try self.writeOnce(server, refused: &errors) { accepted += 1 }
            return accepted
        }
    }
}
