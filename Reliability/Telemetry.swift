import FlareletD1
import FlareletTesting
import Foundation

/// The VoiceMode and Drift workload of the crash and disk-full runs: requests whose answers go into a ``Ledger``,
/// and the check of the databases against it.
enum Telemetry {
    static let workers = ["voicemode-telemetry", "drift-telemetry"]

    /// Applies both schemas under `state`.
    static func applySchemas(_ environment: Environment, state: String) throws {
        try environment.applySchema(database: "voicemode-telemetry", schema: "schema.sql", config: "wrangler.toml", persistTo: state)
        try environment.applySchema(
            database: "drift-telemetry",
            schema: "workers/drift/schema.sql",
            config: "workers/drift/wrangler.toml",
            persistTo: state
        )
    }

    /// `flarelet dev` serving VoiceMode and Drift on state `state`.
    static func startServer(_ environment: Environment, state: String, extra: [String] = []) throws -> DevProcess {
        try DevProcess(
            environment: environment,
            arguments: [
                "-c", environment.path("wrangler.toml"), "-c", environment.path("workers/drift/wrangler.toml"),
                "--port", "0", "--persist-to", state, "--no-crons", "--log-level", "error",
            ] + extra,
            workers: Self.workers
        )
    }

    static func postVoiceMode(_ connection: RawConnection, id: String, random: inout SeededRandom) -> ReadOutcome {
        let body =
            #"{"event_id":"\#(id)","telemetry_id":"\#(random.uuid())","timestamp":"\#(isoTimestamp())","#
            + #""environment":{"os":"Linux","version":"1.0.0"},"usage":{"total_sessions":\#(random.int(0...50))}}"#
        let ip = "10.\(random.int(0...255)).\(random.int(0...255)).\(random.int(1...254))"
        return self.post(connection, path: "/telemetry", body: body, extraHeaders: "CF-Connecting-IP: \(ip)\r\n")
    }

    static func postDrift(_ connection: RawConnection, type: String, size: Int, random: inout SeededRandom, padding: Int = 0) -> ReadOutcome {
        let installation = random.uuid()
        let events = (0..<size).map { index in
            #"{"type":"\#(type)","timestamp":"\#(isoTimestamp())","installationId":"\#(installation)","driftVersion":"1.0.0","seq":\#(index)\#(padding > 0 ? #","pad":"\#(String(repeating: "p", count: padding))""# : "")}"#
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

    /// Checks the databases under `state` against `ledger` (the server must not be running).
    static func verify(state: String, ledger: Ledger, context: String) throws {
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
            sql: "SELECT metric, SUM(value) FROM daily_stats WHERE metric LIKE 'events:\(ledger.prefix)%' GROUP BY metric"
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

    /// Starts every Drift batch type and VoiceMode event id of the run (`crash`, `full`).
    let prefix: String
    let runTag: String
    private let state = Locked(Snapshot())

    init(prefix: String = "crash", runTag: String) {
        self.prefix = prefix
        self.runTag = runTag
    }

    /// A VoiceMode `event_id` of this run.
    func eventID(_ parts: Int...) -> String {
        "\(self.prefix)-\(self.runTag)-" + parts.map(String.init).joined(separator: "-")
    }

    /// A Drift batch type of this run (its events' `type`).
    func batchType(_ parts: Int...) -> String {
        "\(self.prefix)_\(self.runTag)_" + parts.map(String.init).joined(separator: "_")
    }

    func voiceSent(_ id: String) { self.state.withLock { _ = $0.voiceSent.insert(id) } }
    func voiceAcked(_ id: String) { self.state.withLock { _ = $0.voiceAcked.insert(id) } }
    func batchSent(_ type: String, size: Int) { self.state.withLock { $0.batchSizes[type] = size } }
    func batchAcked(_ type: String) { self.state.withLock { _ = $0.batchesAcked.insert(type) } }
    func snapshot() -> Snapshot { self.state.withLock { $0 } }
}
