import FlareletConfig
import FlareletCore
import FlareletServer
import FlareletWorkers
import Foundation
import Logging

/// `voicemode-direct`: the VoiceMode worker on its real bindings (SQLite file, LMDB), called in this process by
/// `connections` concurrent tasks without HTTP: what the worker and storage cost without the HTTP layer.
enum Direct {
    static func voiceMode(root: String, state: String, connections: Int, seconds: Double, salt: UInt32) async throws -> (rate: Double, p99: Double) {
        let config = try WranglerConfig.load(path: root + "/wrangler.toml", env: nil, cliVars: [], persistTo: state)
        let hosted = try HostedWorker(config: config, registry: SeedWorkers.registry, clock: SystemClock(), logger: Logger(label: "bench"))
        defer { hosted.close() }
        let schema = try String(contentsOfFile: root + "/schema.sql", encoding: .utf8)
        let database = try hosted.env.d1("DB")
        for statement in schema.split(separator: ";") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            _ = try await database.prepare(String(statement)).run()
        }
        let timestamp = Date().isoString
        let counter = LockedValue(0)
        let deadline = ContinuousClock.now + .seconds(seconds)
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var latencies: [Double] = []
                    while ContinuousClock.now < deadline {
                        let n = counter.withLock { value -> Int in
                            value += 1
                            return value
                        }
                        let body = """
                            {"event_id":"\(Requests.uuid(n, salt: salt))","telemetry_id":"\(Requests.uuid(n, salt: ~salt))",\
                            "timestamp":"\(timestamp)","environment":{"os":"Linux","version":"1.0.0"},"usage":{"total_sessions":5}}
                            """
                        let request = WorkerRequest(
                            method: "POST",
                            url: "http://127.0.0.1/telemetry",
                            headers: ["Content-Type": "application/json", "CF-Connecting-IP": Requests.ip(n)],
                            body: body
                        )
                        let started = ContinuousClock.now
                        let response = await hosted.fetch(request)
                        latencies.append((ContinuousClock.now - started).seconds * 1e6)
                        guard response.status == 200 else { throw BenchError("voicemode-direct: \(response.status) \(response.text)") }
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all.sorted()
        }
        return (Double(latencies.count) / seconds, latencies.isEmpty ? 0 : latencies[latencies.count * 99 / 100])
    }
}
