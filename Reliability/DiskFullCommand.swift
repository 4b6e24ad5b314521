import ArgumentParser
import FlareletD1
import FlareletTesting
import Foundation

/// `diskfull`: `flarelet dev` with `--persist-to` on a small tmpfs, written to until the disk is full.
///
/// 1. VoiceMode and Drift load until writes fail: every failure must be a complete 5xx answer, the server must stay
///    up and keep answering reads (`GET /v1/health`).
/// 2. Free 1 MiB: the live server must accept writes again.
/// 3. Fill again, free another 1 MiB, stop the server (SIGTERM) and restart it: it must accept writes too.
/// 4. With the server stopped: `PRAGMA integrity_check` is `ok` and everything answered 200 is stored (as in
///    `crash`).
///
/// Skipped, with the reason printed and exit status 0, where the machine does not allow mounting a tmpfs.
struct DiskFullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diskfull",
        abstract: "Fill a small tmpfs under flarelet dev; verify errors, no loss, recovery live and across a restart."
    )

    @Option(help: "Size of the tmpfs in MiB.")
    var megabytes = 6

    @Option(help: "Writes that must succeed after space is freed (live, then after the restart).")
    var recoveryWrites = 10

    @OptionGroup var suite: SuiteOptions

    func run() throws {
        let environment = try self.suite.environment()
        if let reason = SmallDisk.unavailableReason {
            say("SKIP diskfull: \(reason)")
            return
        }
        let disk = try SmallDisk.mount(megabytes: self.megabytes).get()
        defer { disk.unmount() }
        let started = Date()
        let seed = self.suite.resolvedSeed
        say("diskfull: \(self.megabytes) MiB tmpfs at \(disk.path), seed \(seed)")
        try Telemetry.applySchemas(environment, state: disk.path)
        try disk.fill("filler-live", bytes: 1024 * 1024)
        try disk.fill("filler-restart", bytes: 1024 * 1024)
        let ledger = Ledger(prefix: "full", runTag: String(seed))
        var load = Load(ledger: ledger, random: SeededRandom(seed: seed))

        var server = try Telemetry.startServer(environment, state: disk.path)
        let first = try load.fill(server)
        say(
            "full after \(grouped(first.accepted)) accepted writes (\(disk.availableBytes) bytes left); then \(first.refused) refused: \(first.errors)"
        )

        try FileManager.default.removeItem(atPath: disk.path + "/filler-live")
        let live = try load.write(server, times: self.recoveryWrites)
        guard live == self.recoveryWrites else {
            throw SuiteError("after freeing 1 MiB the live server accepted only \(live) of \(self.recoveryWrites) writes")
        }
        say("freed 1 MiB: the live server accepted \(live)/\(self.recoveryWrites) writes")

        let second = try load.fill(server)
        say("full again after \(grouped(second.accepted)) more writes; \(second.refused) refused: \(second.errors)")
        try FileManager.default.removeItem(atPath: disk.path + "/filler-restart")
        guard let status = server.stop(), status == 0 else {
            throw SuiteError("flarelet dev did not stop cleanly on SIGTERM after the disk was full (stderr: \(server.stderr))")
        }
        try Telemetry.verify(state: disk.path, ledger: ledger, context: "after the stop")
        server = try Telemetry.startServer(environment, state: disk.path)
        let restarted = try load.write(server, times: self.recoveryWrites)
        guard restarted == self.recoveryWrites else {
            throw SuiteError("after freeing 1 MiB and a restart the server accepted only \(restarted) of \(self.recoveryWrites) writes")
        }
        say("freed 1 MiB, restarted: \(restarted)/\(self.recoveryWrites) writes accepted")
        guard let final = server.stop(), final == 0 else {
            throw SuiteError("flarelet dev did not stop cleanly on SIGTERM (stderr: \(server.stderr))")
        }
        try Telemetry.verify(state: disk.path, ledger: ledger, context: "at the end")
        let snapshot = ledger.snapshot()
        say(
            "PASS diskfull in \(elapsed(since: started)): \(grouped(snapshot.voiceAcked.count)) VoiceMode events and "
                + "\(grouped(snapshot.batchesAcked.count)) Drift batches acknowledged, all stored; writes refused while full "
                + "(\(first.refused + second.refused), every one a complete 5xx answer); recovery live and after a restart; "
                + "integrity_check ok"
        )
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
