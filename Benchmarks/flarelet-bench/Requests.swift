import FlareletCore
import FlareletCrypto
import FlareletJSON
import Foundation
import NIOCore
import RuntWorker

/// Raw HTTP/1.1 requests for each scenario. Every storing request is unique where the worker would otherwise
/// answer from idempotency or rate limits (a new event id, telemetry id and client IP each time).
enum Requests {
    static func raw(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) -> ByteBuffer {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        var buffer = ByteBuffer(string: text)
        buffer.writeBytes(body)
        return buffer
    }

    /// A UUID-shaped text made from `n` (unique per `n` and `salt`).
    static func uuid(_ n: Int, salt: UInt32) -> String {
        let low = String(UInt64(n), radix: 16)
        let padded = String(repeating: "0", count: max(0, 12 - low.count)) + low
        let high = String(salt, radix: 16)
        let saltText = String(repeating: "0", count: max(0, 8 - high.count)) + high
        return "\(saltText)-4000-4000-8000-\(padded.suffix(12))"
    }

    /// An IPv4 address made from `n` (10.x.y.z is avoided: Minigem prefers public addresses).
    static func ip(_ n: Int) -> String {
        "100.\((n >> 16) & 0xff).\((n >> 8) & 0xff).\(n & 0xff)"
    }

    // MARK: VoiceMode

    static func voiceMode(salt: UInt32) -> @Sendable (Int) -> ByteBuffer {
        let timestamp = Date().isoString
        return { n in
            let body = """
                {"event_id":"\(uuid(n, salt: salt))","telemetry_id":"\(uuid(n, salt: salt ^ 0xffff_ffff))",\
                "timestamp":"\(timestamp)","environment":{"os":"Linux","version":"1.0.0","installation_method":"uv",\
                "mcp_host":"claude-code","execution_source":"mcp"},"usage":{"total_sessions":5,\
                "duration_distribution":{"1-5min":3,"5-10min":2},"transport_usage":{"local":4,"livekit":1},\
                "provider_usage":{"tts":{"openai":3,"kokoro":2},"stt":{"whisper-local":5}}}}
                """
            return raw(
                "POST",
                "/telemetry",
                headers: [("Content-Type", "application/json"), ("CF-Connecting-IP", ip(n))],
                body: Array(body.utf8)
            )
        }
    }

    // MARK: Runt

    /// `count` signed single-event batches, made before the clock starts (signing is the client's cost).
    static func runt(count: Int, salt: UInt32) throws -> [ByteBuffer] {
        let seed = [UInt8](repeating: 0x07, count: 32)
        let base = Int64(salt) * 1_000_000
        let bodies = LockedValue([ByteBuffer?](repeating: nil, count: count))
        let failure = LockedValue<(any Error)?>(nil)
        // Signing is the client's cost, paid before the clock starts, on every core.
        DispatchQueue.concurrentPerform(iterations: count) { n in
            let time = Date(epochMilliseconds: 1_700_000_000_000 + base + Int64(n))
            let events: JSONValue = [
                [
                    "event_type": "auto_launch",
                    "data": ["runtime": "python", "success": true, "duration_ms": .number(Double(n % 500))],
                    "timestamp": .string(time.isoString),
                ]
            ]
            do {
                let body = try RuntSigner.signedBody(seed: seed, events: events).stringify()
                let request = raw("POST", "/telemetry", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
                bodies.withLock { $0[n] = request }
            } catch {
                failure.withLock { $0 = error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return bodies.withLock { $0.compactMap { $0 } }
    }

    // MARK: Drift

    /// One 100-event batch (Drift stores every event; repeating the body is fine).
    static func drift(salt: UInt32) -> @Sendable (Int) -> ByteBuffer {
        let now = Date().isoString
        let types = ["pattern_signature", "aggregate_stats", "user_action", "error_report"]
        var events: [String] = []
        for index in 0..<100 {
            events.append(
                """
                {"type":"\(types[index % types.count])","timestamp":"\(now)","installationId":"\(uuid(index, salt: salt))",\
                "driftVersion":"0.9.\(index % 3)","language":"swift","category":"naming"}
                """
            )
        }
        let body = Array("{\"events\":[\(events.joined(separator: ","))]}".utf8)
        let request = raw("POST", "/v1/events", headers: [("Content-Type", "application/json")], body: body)
        return { _ in request }
    }

    // MARK: Telemetry Kit

    static let telemetryKitToken = "tk_550e8400e29b41d4a716446655440000_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
    static let telemetryKitSecret = "9f4b3c2a1e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0"
    static let telemetryKitPath = "/v1/ingest/550e8400-e29b-41d4-a716-446655440000/7c9e6679-7425-40de-944b-e07fc1f90ae7"

    /// A signed one-event batch with a new event id each time.
    static func telemetryKit(salt: UInt32) -> @Sendable (Int) -> ByteBuffer {
        let now = Date().isoString
        let secret = Array(telemetryKitSecret.utf8)
        return { n in
            let timestamp = String(Int(Date().timeIntervalSince1970))
            let body = """
                {"events":[{"schema_version":"1.0.0","event_id":"\(uuid(n, salt: salt))","timestamp":"\(now)",\
                "service":{"name":"demo","version":"1.0.0","language":"rust"},"user_id":"client_abc",\
                "environment":{"os":"linux"},"event":{"type":"command_execution","data":{}},\
                "metadata":{"sdk_version":"telemetry-kit-rust/0.1.0","transmission_timestamp":"\(now)",\
                "batch_size":1,"retry_count":0}}]}
                """
            let signature = Hex.encode(Crypto.hmacSHA256(key: secret, message: Array("\(timestamp):\(body)".utf8)))
            return raw(
                "POST",
                telemetryKitPath,
                headers: [
                    ("Authorization", "Bearer \(telemetryKitToken)"), ("X-Timestamp", timestamp), ("X-Signature", signature),
                    ("Content-Type", "application/json"),
                ],
                body: Array(body.utf8)
            )
        }
    }

    // MARK: Minigem

    /// One event per request from a new client IP (the per-IP rate limit never triggers).
    static func minigem(salt: UInt32) -> @Sendable (Int) -> ByteBuffer {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return { n in
            let anon = String(repeating: "0", count: 16) + String(format: "%016x", UInt64(salt) << 32 | UInt64(n))
            let body = """
                {"schema":"jwc.v1","anon":"\(anon)","evt":"java.run.completed","t":\(now),"ext":"1.0.0",\
                "os":"linux","vscode":"1.95.0","m":{"durationMs":1200,"exitCode":0,"sessionId":"s\(n)"}}
                """
            return raw(
                "POST",
                "/t",
                headers: [("Content-Type", "application/json"), ("X-Forwarded-For", ip(n))],
                body: Array(body.utf8)
            )
        }
    }
}
