import Flarelet
import FlareletTesting
import Foundation
import Testing

@testable import MinigemWorker

struct RateLimitTests {
    static let limitedBody = #"{"statusCode":429,"error":"Too Many Requests","message":"Rate limit exceeded, retry in 1 hour"}"#

    @Test func countersHeadersAnd429() async throws {
        try await withMinigem(vars: ["RATE_LIMIT_MAX": "3"]) { minigem async throws in
            var remaining: [String?] = []
            for path in ["/health", "/dbhealth", "/stats?from=2000-01-01&to=2000-01-01"] {
                let response = await minigem.request("GET", path, ip: "198.51.100.1")
                #expect(response.status == 200)
                #expect(response.headers["x-ratelimit-limit"] == "3")
                #expect(response.headers["x-ratelimit-reset"] == "3600")
                remaining.append(response.headers["x-ratelimit-remaining"])
            }
            #expect(remaining == ["2", "1", "0"])
            minigem.clock.advance(by: 0.5)
            let limited = await minigem.ingest(event(), ip: "198.51.100.1")
            #expect(limited.status == 429)
            #expect(limited.text == Self.limitedBody)
            #expect(
                limited.headers
                    == Headers([
                        ("x-ratelimit-limit", "3"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "3600"), ("retry-after", "3600"),
                        ("content-type", jsonType),
                    ])
            )
            // Rejected requests count too, nothing is stored, and other IPs are independent.
            #expect(try await minigem.rows("SELECT id FROM telemetry_events").isEmpty)
            minigem.clock.advance(by: 1799.5)
            let later = await minigem.request("GET", "/health", ip: "198.51.100.1")
            #expect(later.status == 429)
            #expect(later.headers["x-ratelimit-reset"] == "1800")
            #expect(await minigem.request("GET", "/health", ip: "198.51.100.2").headers["x-ratelimit-remaining"] == "2")
            // The window is fixed from the first request: it ends exactly 3600 s after it.
            minigem.clock.advance(by: 1799.999)
            #expect(await minigem.request("GET", "/health", ip: "198.51.100.1").status == 429)
            minigem.clock.advance(by: 0.001)
            let renewed = await minigem.request("GET", "/health", ip: "198.51.100.1")
            #expect(renewed.status == 200)
            #expect(renewed.headers["x-ratelimit-remaining"] == "2")
        }
    }

    @Test func resetRoundsUpPartialSeconds() async throws {
        try await withMinigem { minigem async throws in
            _ = await minigem.request("GET", "/health", ip: "r")
            minigem.clock.advance(by: 0.25)
            #expect(await minigem.request("GET", "/health", ip: "r").headers["x-ratelimit-reset"] == "3600")
            minigem.clock.advance(by: 1)
            #expect(await minigem.request("GET", "/health", ip: "r").headers["x-ratelimit-reset"] == "3599")
        }
    }

    @Test func keyIsLeftMostForwardedEntryElsePeerAddress() async throws {
        try await withMinigem(vars: ["RATE_LIMIT_MAX": "2"]) { minigem async throws in
            #expect(await minigem.request("GET", "/health", headers: ["X-Forwarded-For": " 203.0.113.9 , 10.0.0.1"]).status == 200)
            #expect(await minigem.request("GET", "/health", headers: ["X-Forwarded-For": "203.0.113.9"]).status == 200)
            #expect(await minigem.request("GET", "/health", headers: ["X-Forwarded-For": "203.0.113.9, 1.1.1.1"]).status == 429)
            // Without X-Forwarded-For the peer address (CF-Connecting-IP) is the key.
            #expect(await minigem.request("GET", "/health", headers: ["CF-Connecting-IP": "192.0.2.1"]).status == 200)
            #expect(await minigem.request("GET", "/health", headers: ["CF-Connecting-IP": "192.0.2.1"]).status == 200)
            #expect(await minigem.request("GET", "/health", headers: ["CF-Connecting-IP": "192.0.2.1"]).status == 429)
            #expect(await minigem.request("GET", "/health", headers: ["CF-Connecting-IP": "192.0.2.2"]).status == 200)
        }
    }

    @Test func concurrentRequestsAreCountedExactly() async throws {
        try await withMinigem(vars: ["RATE_LIMIT_MAX": "50"]) { minigem async throws in
            let results = await withTaskGroup(of: (ingest: Bool, status: Int, remaining: String?).self) { group in
                for index in 0..<120 {
                    group.addTask {
                        let ingest = index.isMultiple(of: 2)
                        let response =
                            ingest
                            ? await minigem.ingest(event(), ip: "203.0.113.50")
                            : await minigem.request("GET", "/health", ip: "203.0.113.50")
                        return (ingest, response.status, response.headers["x-ratelimit-remaining"])
                    }
                }
                var all: [(ingest: Bool, status: Int, remaining: String?)] = []
                for await result in group { all.append(result) }
                return all
            }
            let allowed = results.filter { $0.status == 200 }
            #expect(allowed.count == 50)
            #expect(results.filter { $0.status == 429 }.count == 70)
            #expect(allowed.compactMap { $0.remaining.flatMap { Int($0) } }.sorted() == Array(0..<50))
            let stored = try await minigem.rows("SELECT COUNT(*) AS n FROM telemetry_events")
            #expect(stored == [["n": .integer(Int64(allowed.filter(\.ingest).count))]])
        }
    }

    @Test func storeEvictsTheLeastRecentlyUsedKey() async {
        let limiter = RateLimiter(capacity: 3)
        _ = await limiter.hit("a", now: 0, window: 1000)
        _ = await limiter.hit("b", now: 0, window: 1000)
        _ = await limiter.hit("c", now: 0, window: 1000)
        #expect(await limiter.hit("a", now: 1, window: 1000).count == 2)
        _ = await limiter.hit("d", now: 2, window: 1000)  // evicts b
        #expect(await limiter.keyCount == 3)
        #expect(await limiter.hit("b", now: 3, window: 1000).count == 1)  // b was reset; evicts c
        #expect(await limiter.hit("a", now: 4, window: 1000).count == 3)
        #expect(await limiter.hit("c", now: 5, window: 1000).count == 1)
    }

    @Test(arguments: [
        ("15 minutes", 900_000.0, "15 minutes", "900"),
        ("90 minutes", 5_400_000, "2 hours", "5400"),
        ("2h", 7_200_000, "2 hours", "7200"),
        ("30s", 30000, "30 seconds", "30"),
        ("1d", 86_400_000, "1 day", "86400"),
        ("500", 500, "500 ms", "1"),
        ("1.5 Minutes", 90000, "2 minutes", "90"),
        ("nonsense", 3_600_000, "1 hour", "3600"),
    ])
    func timeWindowSyntaxAndMessage(setting: String, window: Double, message: String, retryAfter: String) async throws {
        #expect(MinigemConfig(env: Env(vars: ["RATE_LIMIT_TIME_WINDOW": .text(setting)])).timeWindow == window)
        try await withMinigem(vars: ["RATE_LIMIT_MAX": "0", "RATE_LIMIT_TIME_WINDOW": setting]) { minigem async throws in
            let response = await minigem.request("GET", "/health")
            #expect(response.status == 429)
            #expect(response.text == #"{"statusCode":429,"error":"Too Many Requests","message":"Rate limit exceeded, retry in \#(message)"}"#)
            #expect(response.headers["retry-after"] == retryAfter)
        }
    }

    @Test func rateLimitMaxParsing() {
        func max(_ value: String?) -> Double {
            MinigemConfig(env: Env(vars: value.map { ["RATE_LIMIT_MAX": .text($0)] } ?? [:])).rateLimitMax
        }
        #expect(max(nil) == 2000)
        #expect(max("") == 2000)
        #expect(max("25abc") == 25)
        #expect(max(" 7.9") == 7)
        #expect(max("abc") == 1000)
        #expect(MSDuration.long(1000) == "1 second")
        #expect(MSDuration.long(1499) == "1 second")
        #expect(MSDuration.long(1500) == "2 seconds")
    }
}
