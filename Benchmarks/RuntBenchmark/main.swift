// Runt worker throughput, in-process: single-event and 100-event requests through RuntWorker on a file-backed
// SQLite database, next to libsodium's raw Ed25519 verify rate measured in the same run.
//
//     swift run -c release RuntBenchmark
//
// Request bodies are signed before the clock starts; each phase posts for about `phaseSeconds`. Every request is one
// D1 batch, i.e. one SQLite transaction committed to the file, so small requests are bound by the commit.
import Flarelet
import FlareletCrypto
import FlareletD1
import FlareletTesting
import Foundation
import RuntWorker

let phaseSeconds = 4.0
let seed = [UInt8](repeating: 0x07, count: 32)
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func format(_ value: Double) -> String {
    value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
}

/// Events with unique timestamps (so every row is really inserted), `offset` onwards.
func events(_ count: Int, offset: Int) -> JSONValue {
    .array(
        (0..<count).map { index in
            let time = Date(epochMilliseconds: 1_700_000_000_000 + Int64(offset + index))
            return [
                "event_type": "auto_launch",
                "data": ["runtime": "python", "success": true, "prewarmed": true, "duration_ms": .number(Double(index % 500))],
                "timestamp": .string(time.isoString),
            ]
        }
    )
}

/// Signed request bodies of `eventsPerRequest` events each, continuing after `offset` events.
func bodies(_ count: Int, eventsPerRequest: Int, offset: Int) throws -> [[UInt8]] {
    try (0..<count).map { index in
        Array(try RuntSigner.signedBody(seed: seed, events: events(eventsPerRequest, offset: offset + index * eventsPerRequest)).stringify().utf8)
    }
}

/// Posts every body; returns the elapsed seconds. Any answer other than 200 stops the benchmark.
func post(_ bodies: [[UInt8]], to harness: WorkerHarness) async throws -> Double {
    let start = ContinuousClock.now
    for body in bodies {
        let response = await harness.fetch(WorkerRequest(method: "POST", url: "http://localhost/telemetry", body: body))
        guard response.status == 200 else {
            throw RuntSignerError("unexpected answer \(response.status): \(response.text)")
        }
    }
    return seconds(since: start)
}

/// Warms up with one chunk, then posts chunks of freshly signed requests until `phaseSeconds` of posting time have
/// passed (signing happens between chunks, off the clock).
/// - Returns: events per second, requests, seconds of posting.
func measure(eventsPerRequest: Int, chunk: Int, harness: WorkerHarness, offset: inout Int) async throws -> (Double, Int, Double) {
    _ = try await post(try bodies(chunk, eventsPerRequest: eventsPerRequest, offset: offset), to: harness)
    offset += chunk * eventsPerRequest
    var requests = 0
    var elapsed = 0.0
    while elapsed < phaseSeconds {
        let next = try bodies(chunk, eventsPerRequest: eventsPerRequest, offset: offset)
        offset += chunk * eventsPerRequest
        elapsed += try await post(next, to: harness)
        requests += chunk
    }
    return (Double(requests * eventsPerRequest) / elapsed, requests, elapsed)
}

func run() async throws {
    #if DEBUG
    let mode = "debug build (use -c release for real numbers)"
    #else
    let mode = "release build"
    #endif
    print("Runt benchmark, \(mode); file-backed SQLite in a temporary directory")

    // Raw libsodium verify of the single-event message.
    guard let pair = Crypto.ed25519KeyPair(seed: seed) else { throw RuntSignerError("key pair") }
    let message = Array(events(1, offset: 0).stringify().utf8)
    let signature = Crypto.ed25519Sign(secretKey: pair.secretKey, message: message)
    var verifies = 0
    let verifyStart = ContinuousClock.now
    var verifySeconds = 0.0
    repeat {
        for _ in 0..<200 {
            guard Crypto.ed25519Verify(publicKey: pair.publicKey, signature: signature, message: message) else {
                throw RuntSignerError("the benchmark signature does not verify")
            }
            verifies += 1
        }
        verifySeconds = seconds(since: verifyStart)
    } while verifySeconds < phaseSeconds / 2
    let verifyRate = Double(verifies) / verifySeconds
    print("libsodium Ed25519 verify:        \(format(verifyRate)) verifies/s (\(verifies) in \(format(verifySeconds)) s)")

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runt-benchmark-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try SQLiteD1Database(path: directory.appendingPathComponent("runt.sqlite").path)
    defer { database.close() }
    let schema = try String(contentsOf: repositoryRoot.appendingPathComponent("workers/runt/schema.sql"), encoding: .utf8)
    _ = try await database.batch(queries: SQLSplitter.split(schema).map { D1Query(sql: $0) })
    let harness = WorkerHarness(worker: RuntWorker(), env: Env(d1Databases: ["DB": database]))

    var offset = 1
    let (single, singleRequests, singleSeconds) = try await measure(eventsPerRequest: 1, chunk: 100, harness: harness, offset: &offset)
    print(
        "worker, 1 event per request:     \(format(single)) events/s (\(singleRequests) requests in \(format(singleSeconds)) s, "
            + "\(format(singleSeconds * 1000 / Double(singleRequests))) ms/request)"
            + " = \(format(single / verifyRate)) x raw verify rate"
    )
    let (batch, batchRequests, batchSeconds) = try await measure(eventsPerRequest: 100, chunk: 5, harness: harness, offset: &offset)
    print(
        "worker, 100 events per request:  \(format(batch)) events/s (\(batchRequests) requests in \(format(batchSeconds)) s, "
            + "\(format(batchSeconds * 1000 / Double(batchRequests))) ms/request)"
            + " = \(format(batch / verifyRate)) x raw verify rate, \(format(batch / single)) x single-event"
    )
    let stored = try await database.prepare("SELECT COUNT(*) AS n FROM events").first("n")
    print("rows stored: \(stored?.json.stringify() ?? "none") (expected \(offset - 1))")
}

do {
    try await run()
} catch {
    print("benchmark failed: \(error)")
    exit(1)
}
