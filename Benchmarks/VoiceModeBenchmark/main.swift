// Accepted VoiceMode telemetry events per second through the worker in-process (file-backed SQLite D1 and LMDB
// KV in a temporary directory), against a baseline measured in the same run: the same INSERT through
// `SQLiteD1Database` without the worker. Every request has its own telemetry id and client IP, so nothing is
// rate-limited. Run with `swift run -c release VoiceModeBenchmark`; each phase runs for about 5 seconds.
import Flarelet
import FlareletD1
import FlareletKV
import FlareletTesting
import Foundation
import VoiceModeWorker

let phaseSeconds = 5.0
let maxEvents = 200_000

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

let environment: JSONValue = [
    "os": "Linux", "version": "1.0.0", "installation_method": "uv", "mcp_host": "claude-code", "execution_source": "mcp",
]
let usage: JSONValue = [
    "total_sessions": 5,
    "duration_distribution": ["1-5min": 3, "5-10min": 2],
    "transport_usage": ["local": 4, "livekit": 1],
    "provider_usage": ["tts": ["openai": 3, "kokoro": 2], "stt": ["whisper-local": 5]],
]
let timestamp = Date().addingTimeInterval(-3600).isoString

/// Opens a file-backed database in `name` with `schema.sql` applied.
func openDatabase(_ name: String, in directory: URL) async throws -> SQLiteD1Database {
    let database = try SQLiteD1Database(path: directory.appendingPathComponent(name).path)
    let schema = try String(contentsOf: repositoryRoot.appendingPathComponent("schema.sql"), encoding: .utf8)
    _ = try await database.batch(queries: SQLSplitter.split(schema).map { D1Query(sql: $0) })
    return database
}

/// Runs `operation(0)`, `operation(1)`, … for about `phaseSeconds`; returns operations per second and the count.
func measure(_ operation: (Int) async throws -> Void) async throws -> (perSecond: Double, count: Int) {
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    while count < maxEvents {
        try await operation(count)
        count += 1
        if count % 64 == 0, (clock.now - start) >= .seconds(phaseSeconds) { break }
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return (Double(count) / seconds, count)
}

func telemetryID(_ index: Int) -> String {
    let hex = String(index, radix: 16)
    return "00000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
}

func clientIP(_ index: Int) -> String {
    "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)"
}

func request(_ index: Int, prefix: String) -> WorkerRequest {
    let body: JSONValue = [
        "event_id": .string("\(prefix)-\(index)"),
        "telemetry_id": .string(telemetryID(index)),
        "timestamp": .string(timestamp),
        "environment": environment,
        "usage": usage,
    ]
    return WorkerRequest(
        method: "POST",
        url: "http://localhost:8787/telemetry",
        headers: ["Content-Type": "application/json", "CF-Connecting-IP": clientIP(index)],
        body: body.stringify()
    )
}

func format(_ value: Double) -> String { String(format: "%.0f", value) }

func runBenchmark() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("voicemode-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }

    // MARK: Baseline: the INSERT alone.

    let baselineDatabase = try await openDatabase("baseline.sqlite", in: directory)
    let environmentText = environment.stringify()
    let usageText = usage.stringify()
    let baseline = try await measure { index in
        _ = try await baselineDatabase.prepare(VoiceModeWorker.insertEventSQL).bind(
            .text("baseline-\(index)"),
            .text(telemetryID(index)),
            .text(timestamp),
            .text(environmentText),
            .text(usageText),
            .text(VoiceModeWorker.ipHash(clientIP(index))),
            .text(Date().isoString)
        ).run()
    }

    // MARK: The worker: parse, validate, idempotency SELECT, two KV reads, INSERT, two KV read-modify-writes.

    let workerDatabase = try await openDatabase("worker.sqlite", in: directory)
    let kv = try LMDBKVNamespace(directory: directory.appendingPathComponent("kv").path, clock: SystemClock())
    let env = Env(d1Databases: ["DB": workerDatabase], kvNamespaces: ["KV": kv])
    let harness = WorkerHarness(worker: VoiceModeWorker(), env: env)

    var rejected = 0
    let worker = try await measure { index in
        let response = await harness.fetch(request(index, prefix: "worker"))
        if response.status != 200 { rejected += 1 }
    }

    // MARK: The worker with 8 requests in flight (distinct keys never wait on each other's locks).

    let inFlight = 8
    let concurrentStart = ContinuousClock().now
    var concurrentCount = 0
    while (ContinuousClock().now - concurrentStart) < .seconds(phaseSeconds) && concurrentCount < maxEvents {
        let base = worker.count + concurrentCount
        let statuses = await withTaskGroup(of: Int.self) { group in
            for offset in 0..<inFlight {
                group.addTask { await harness.fetch(request(base + offset, prefix: "concurrent")).status }
            }
            var statuses: [Int] = []
            for await status in group { statuses.append(status) }
            return statuses
        }
        rejected += statuses.filter { $0 != 200 }.count
        concurrentCount += inFlight
    }
    let concurrentElapsed = ContinuousClock().now - concurrentStart
    let concurrentSeconds = Double(concurrentElapsed.components.seconds) + Double(concurrentElapsed.components.attoseconds) / 1e18
    let concurrentRate = Double(concurrentCount) / concurrentSeconds

    kv.close()
    baselineDatabase.close()
    workerDatabase.close()

    print("VoiceMode telemetry benchmark (file-backed SQLite D1 + LMDB KV, \(Int(phaseSeconds)) s per phase)")
    print("  baseline: INSERT through SQLiteD1Database   \(format(baseline.perSecond)) events/s (\(baseline.count) events)")
    print("  worker:   accepted events, sequential       \(format(worker.perSecond)) events/s (\(worker.count) events)")
    print("  worker:   accepted events, \(inFlight) in flight       \(format(concurrentRate)) events/s (\(concurrentCount) events)")
    print(
        "  ratio worker / baseline: \(String(format: "%.3f", worker.perSecond / baseline.perSecond)) sequential, "
            + "\(String(format: "%.3f", concurrentRate / baseline.perSecond)) with \(inFlight) in flight"
    )
    if rejected > 0 {
        print("  WARNING: \(rejected) requests were not accepted")
    }
}

try await runBenchmark()
