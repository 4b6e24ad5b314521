import FlareletCrypto
import FlareletTesting
import Foundation

/// The five seed workers as the fuzzer sees them: their routes, how to build a valid request for each, and which
/// 5xx answers their specs document.
struct FuzzTarget: Sendable {
    /// The worker name in the `Ready on` line.
    var worker: String
    var routes: [Route]
    /// Whether a 5xx answer to `method target` (as sent) is documented for this worker.
    var documented5xx: @Sendable (_ method: String, _ target: String, _ status: Int, _ body: String) -> Bool

    struct Route: Sendable {
        var method: String
        var path: String
        /// Extra headers and a body that the worker accepts.
        var valid: @Sendable (inout SeededRandom) -> (headers: [(String, String)], body: [UInt8])
    }

    @Sendable static func none(_ random: inout SeededRandom) -> (headers: [(String, String)], body: [UInt8]) { ([], []) }

    static func json(_ text: String) -> (headers: [(String, String)], body: [UInt8]) {
        ([("Content-Type", "application/json")], Array(text.utf8))
    }

    /// The path of a request target (before `?` or `#`; for an absolute-form target, after its authority).
    static func path(of target: String) -> String {
        var rest = Substring(target)
        if let scheme = rest.range(of: "://") {
            rest = rest[scheme.upperBound...]
            rest = rest[(rest.firstIndex(of: "/") ?? rest.endIndex)...]
        }
        return String(rest.prefix { $0 != "?" && $0 != "#" })
    }

    /// The manual scheduled-trigger endpoints answer 500 when the handler fails (platform.md 4).
    static func isScheduledEndpoint(_ target: String) -> Bool {
        ["/cdn-cgi/handler/scheduled", "/cdn-cgi/local/scheduled", "/cdn-cgi/mf/scheduled"].contains(Self.path(of: target))
    }

    // MARK: The five workers

    static let runtSeed = [UInt8](repeating: 7, count: 32)

    static let all: [FuzzTarget] = [
        FuzzTarget(
            worker: "voicemode-telemetry",
            routes: [
                Route(method: "POST", path: "/telemetry") { random in
                    Self.json(
                        #"{"event_id":"fz-\#(random.hex(16))","telemetry_id":"\#(random.uuid())","timestamp":"\#(isoTimestamp())","#
                            + #""environment":{"os":"Linux","version":"1.2.3","installation_method":"uv"},"usage":{"total_sessions":\#(random.int(0...9))}}"#
                    )
                },
                Route(method: "OPTIONS", path: "/telemetry", valid: Self.none),
                Route(method: "GET", path: "/", valid: Self.none),
            ],
            documented5xx: { method, target, status, body in
                // Any exception in the POST path (section 9), including invalid JSON.
                (status == 500 && method == "POST" && target.prefix { $0 != "#" }.hasSuffix("/telemetry")
                    && body.hasPrefix(#"{"error":"Internal server error","message":"#))
                    || (status == 500 && Self.isScheduledEndpoint(target))
            }
        ),
        FuzzTarget(
            worker: "runt-telemetry",
            routes: [
                Route(method: "POST", path: "/telemetry") { random in
                    let events =
                        #"[{"event_type":"app_open","data":{"runtime":"python","n":\#(random.int(0...999))},"#
                        + #""timestamp":"\#(isoTimestamp())","install_id":"\#(random.hex(12))"}]"#
                    let keys = Crypto.ed25519KeyPair(seed: Self.runtSeed)!
                    let signature = Hex.encode(Crypto.ed25519Sign(secretKey: keys.secretKey, message: Array(events.utf8)))
                    return Self.json(#"{"public_key":"\#(Hex.encode(keys.publicKey))","signature":"\#(signature)","events":\#(events)}"#)
                },
                Route(method: "OPTIONS", path: "/telemetry", valid: Self.none),
            ],
            documented5xx: { method, target, status, body in
                // Parse failures and any exception in the POST handler (section 3).
                (status == 500 && method == "POST" && Self.path(of: target) == "/telemetry" && body == #"{"error":"Internal error"}"#)
                    || (status == 500 && Self.isScheduledEndpoint(target))
            }
        ),
        FuzzTarget(
            worker: "drift-telemetry",
            routes: [
                Route(method: "POST", path: "/v1/events") { random in
                    let events = (0..<random.int(0...5)).map { index in
                        #"{"type":"fuzz","timestamp":"\#(isoTimestamp())","installationId":"\#(random.uuid())","driftVersion":"1.0.0","#
                            + #""language":"swift","category":"api","i":\#(index)}"#
                    }
                    return Self.json(#"{"events":[\#(events.joined(separator: ","))]}"#)
                },
                Route(method: "GET", path: "/v1/health", valid: Self.none),
                Route(method: "GET", path: "/v1/stats", valid: Self.none),
                Route(method: "OPTIONS", path: "/v1/events", valid: Self.none),
            ],
            documented5xx: { method, target, status, body in
                (status == 500 && method == "POST" && Self.path(of: target) == "/v1/events" && body == #"{"error":"Internal server error"}"#)
                    || (status == 500 && Self.isScheduledEndpoint(target))
            }
        ),
        FuzzTarget(
            worker: "telemetry-kit-server",
            routes: [
                Route(method: "POST", path: "/v1/ingest/550e8400-e29b-41d4-a716-446655440000/7c9e6679-7425-40de-944b-e07fc1f90ae7") {
                    random in
                    let body =
                        #"{"events":[{"schema_version":"1.0.0","event_id":"\#(random.uuid())","timestamp":"2025-01-01T00:00:00Z","#
                        + #""service":{"name":"demo","version":"1.0.0","language":"rust"},"user_id":"client_\#(random.hex(8))","#
                        + #""environment":{"os":"linux"},"event":{"type":"command_execution","data":{}},"#
                        + #""metadata":{"sdk_version":"telemetry-kit-rust/0.1.0","transmission_timestamp":"2025-01-01T00:00:00Z","#
                        + #""batch_size":1,"retry_count":0}}]}"#
                    let timestamp = String(Int(Date().timeIntervalSince1970))
                    let secret = "9f4b3c2a1e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0"
                    let signature = Hex.encode(
                        Crypto.hmacSHA256(key: Array(secret.utf8), message: Array(timestamp.utf8) + [UInt8(ascii: ":")] + Array(body.utf8))
                    )
                    return (
                        [
                            ("Content-Type", "application/json"),
                            ("Authorization", "Bearer tk_550e8400e29b41d4a716446655440000_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"),
                            ("X-Timestamp", timestamp), ("X-Signature", signature),
                        ],
                        Array(body.utf8)
                    )
                },
                Route(method: "GET", path: "/health", valid: Self.none),
                Route(method: "HEAD", path: "/health", valid: Self.none),
                Route(method: "OPTIONS", path: "/v1/ingest/a/b", valid: Self.none),
            ],
            documented5xx: { _, target, status, _ in
                // `Database error` needs a failing database; only the scheduled endpoints may answer 500 here.
                status == 500 && Self.isScheduledEndpoint(target)
            }
        ),
        FuzzTarget(
            worker: "minigem-telemetry",
            routes: [
                Route(method: "POST", path: "/t") { random in
                    Self.json(
                        #"{"schema":"jwc.v1","batch":[{"t":\#(Int(Date().timeIntervalSince1970 * 1000)),"anon":"\#(random.hex(32))","#
                            + #""evt":"java.run.completed","os":"linux","ext":"1.0.0","vscode":"1.90","m":{"durationMs":\#(random.int(0...9999))}}]}"#
                    )
                },
                Route(method: "GET", path: "/health", valid: Self.none),
                Route(method: "GET", path: "/dbhealth", valid: Self.none),
                Route(method: "GET", path: "/stats", valid: Self.none),
                Route(method: "GET", path: "/debug/recent", valid: Self.none),
                Route(method: "GET", path: "/debug/counts", valid: Self.none),
                Route(method: "GET", path: "/debug/env", valid: Self.none),
                Route(method: "GET", path: "/debug/logping", valid: Self.none),
            ],
            documented5xx: { method, target, status, body in
                // A non-numeric limit or hours fails in the database query: the framework's 500 (section 9).
                let path = Self.path(of: target)
                return
                    (status == 500 && (method == "GET" || method == "HEAD") && (path == "/debug/recent" || path == "/debug/counts")
                    && (method == "HEAD" || body.hasPrefix(#"{"statusCode":500,"#)))
                    || (status == 500 && Self.isScheduledEndpoint(target))
            }
        ),
    ]

    /// 5xx answers of the server itself (README "Limits and timeouts"): 501 for methods and transfer codings, 503 with
    /// `Retry-After` over the body memory budget.
    static func serverDocumented(_ method: String, _ response: RawResponse) -> Bool {
        if method == "HEAD" && response.body.isEmpty && [501, 503].contains(response.status) { return true }
        switch response.status {
        case 501:
            // A response to CONNECT carries no body framing: empty, ended by the close.
            return response.bodyText == "Method \(method) is not supported" || response.bodyText.hasPrefix("Transfer-Encoding ")
                || (method == "CONNECT" && response.body.isEmpty)
        case 503:
            return response.header("retry-after") != nil && response.bodyText.hasPrefix("Service Unavailable: request bodies")
        default:
            return false
        }
    }
}
