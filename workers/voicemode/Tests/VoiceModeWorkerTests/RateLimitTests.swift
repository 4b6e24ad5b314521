import Flarelet
import FlareletTesting
import Foundation
import Testing
import VoiceModeWorker

struct RateLimitTests {
    @Test func countersStartAtOneAndCountAcceptedEvents() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            let ipKey = "rate:ip:" + VoiceModeWorker.ipHash("198.51.100.7")
            #expect(try await fixture.post(payload(eventID: "a", telemetryID: tid)).status == 200)
            #expect(try await fixture.kvValue("rate:id:\(tid)") == "1")
            #expect(try await fixture.kvValue(ipKey) == "1")
            #expect(try await fixture.post(payload(eventID: "b", telemetryID: tid)).status == 200)
            #expect(try await fixture.kvValue("rate:id:\(tid)") == "2")
            #expect(try await fixture.kvValue(ipKey) == "2")
            let keys = try await fixture.kv.list().keys.map(\.name)
            #expect(keys == ["rate:id:\(tid)", ipKey])
            // Each put sets expirationTtl 3600.
            let expected = startDate.epochMilliseconds / 1000 + 3600
            #expect(try await fixture.kv.getWithMetadata("rate:id:\(tid)")?.expiration == expected)
            #expect(try await fixture.kv.getWithMetadata(ipKey)?.expiration == expected)
        }
    }

    @Test func theEleventhEventForOneTelemetryIDIsLimited() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            for index in 1...10 {
                let response = await fixture.post(payload(eventID: "e\(index)", telemetryID: tid))
                #expect(response.text == acceptedBody("e\(index)"))
            }
            let response = await fixture.post(payload(eventID: "e11", telemetryID: tid))
            #expect(response.status == 429)
            #expect(response.text == idLimitBody)
            #expect(response.headers == rateLimitHeaders)
            #expect(try await fixture.eventCount(where: "telemetry_id = ?", .text(tid)) == 10)
            #expect(try await fixture.kvValue("rate:id:\(tid)") == "10")
            #expect(try await fixture.kvValue("rate:ip:" + VoiceModeWorker.ipHash("198.51.100.7")) == "10")
            // A rejected event can be sent again later; it was not recorded.
            #expect(try await fixture.eventCount(where: "event_id = 'e11'") == 0)
        }
    }

    @Test func theHundredAndFirstEventFromOneIPIsLimited() async throws {
        try await withVoiceMode { fixture async throws in
            for index in 1...100 {
                let response = await fixture.post(payload(eventID: "ip\(index)", telemetryID: newTelemetryID()), ip: "1.2.3.4")
                #expect(response.status == 200)
            }
            #expect(try await fixture.kvValue("rate:ip:6694f83c9f476da3") == "100")
            let tid = newTelemetryID()
            let response = await fixture.post(payload(eventID: "ip101", telemetryID: tid), ip: "1.2.3.4")
            #expect(response.status == 429)
            #expect(response.text == ipLimitBody)
            #expect(response.headers == rateLimitHeaders)
            #expect(try await fixture.eventCount() == 100)
            #expect(try await fixture.kvValue("rate:id:\(tid)") == nil)
            // Another IP is not affected.
            #expect(try await fixture.post(payload(eventID: "other", telemetryID: tid), ip: "1.2.3.5").status == 200)
        }
    }

    @Test func idLimitWinsWhenBothAreExceeded() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            try await fixture.kv.put("rate:id:\(tid)", "10", options: KVPutOptions(expirationTtl: 3600))
            try await fixture.kv.put("rate:ip:6694f83c9f476da3", "100", options: KVPutOptions(expirationTtl: 3600))
            let response = await fixture.post(payload(eventID: "both", telemetryID: tid), ip: "1.2.3.4")
            #expect(response.text == idLimitBody)
            let other = await fixture.post(payload(eventID: "ip-only", telemetryID: newTelemetryID()), ip: "1.2.3.4")
            #expect(other.text == ipLimitBody)
        }
    }

    @Test func counterTTLIsResetByEveryAcceptedEvent() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            let key = "rate:id:\(tid)"
            #expect(try await fixture.post(payload(eventID: "t1", telemetryID: tid, timestamp: "2026-01-01T00:00:00Z")).status == 200)
            fixture.clock.advance(by: 3599)
            #expect(try await fixture.kvValue(key) == "1")
            #expect(try await fixture.post(payload(eventID: "t2", telemetryID: tid, timestamp: "2026-01-01T00:59:59Z")).status == 200)
            #expect(try await fixture.kvValue(key) == "2")
            // 3599 s after the last accepted event the counter survives (7198 s after the first) ...
            fixture.clock.advance(by: 3599)
            #expect(try await fixture.kvValue(key) == "2")
            // ... and it expires 3600 s after the last accepted event.
            fixture.clock.advance(by: 1)
            #expect(try await fixture.kvValue(key) == nil)
            #expect(try await fixture.post(payload(eventID: "t3", telemetryID: tid, timestamp: "2026-01-01T02:00:00Z")).status == 200)
            #expect(try await fixture.kvValue(key) == "1")
        }
    }

    @Test func rejectedRequestsDoNotResetTheTTL() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            let key = "rate:id:\(tid)"
            try await fixture.kv.put(key, "10", options: KVPutOptions(expirationTtl: 3600))
            fixture.clock.advance(by: 1800)
            #expect(try await fixture.post(payload(eventID: "r1", telemetryID: tid, timestamp: "2026-01-01T00:30:00Z")).status == 429)
            fixture.clock.advance(by: 1800)
            #expect(try await fixture.kvValue(key) == nil)
            #expect(try await fixture.post(payload(eventID: "r1", telemetryID: tid, timestamp: "2026-01-01T00:30:00Z")).status == 200)
        }
    }

    @Test func onlyAcceptedEventsCount() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            #expect(try await fixture.post(payload(eventID: "dup", telemetryID: tid)).status == 200)
            // Duplicates, validation failures and 500s do not increment.
            #expect(try await fixture.post(payload(eventID: "dup", telemetryID: tid)).text == alreadyRecordedBody)
            #expect(try await fixture.post(payload(eventID: "bad", telemetryID: tid, timestamp: "garbage")).status == 400)
            #expect(try await fixture.post(body: "{").status == 500)
            #expect(try await fixture.kvValue("rate:id:\(tid)") == "1")
            #expect(try await fixture.kvValue("rate:ip:" + VoiceModeWorker.ipHash("198.51.100.7")) == "1")
        }
    }

    @Test func upperCaseTelemetryIDIsASeparateCounter() async throws {
        try await withVoiceMode { fixture async throws in
            let lower = newTelemetryID()
            let upper = lower.uppercased()
            try await fixture.kv.put("rate:id:\(lower)", "10", options: KVPutOptions(expirationTtl: 3600))
            #expect(try await fixture.post(payload(eventID: "lower", telemetryID: lower)).status == 429)
            #expect(try await fixture.post(payload(eventID: "upper", telemetryID: upper)).status == 200)
            #expect(try await fixture.kvValue("rate:id:\(upper)") == "1")
        }
    }

    /// The counters go through `parseInt`, as upstream: trailing garbage is ignored, no digits is `NaN`.
    @Test(arguments: [
        ("9", 200, "10"),
        ("10abc", 429, "10abc"),
        (" 12", 429, " 12"),
        ("0x0A", 429, "0x0A"),
        ("-5", 200, "-4"),
        ("abc", 200, "NaN"),
        ("", 200, "1"),
        ("9.9", 200, "10"),
    ])
    func countersAreReadWithParseInt(stored: String, status: Int, after: String) async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            try await fixture.kv.put("rate:id:\(tid)", stored, options: KVPutOptions(expirationTtl: 3600))
            let response = await fixture.post(payload(eventID: "p", telemetryID: tid))
            #expect(response.status == status)
            #expect(try await fixture.kvValue("rate:id:\(tid)") == after)
        }
    }

    @Test(arguments: [
        ("unknown", "b23a6a8439c0dde5"),
        ("1.2.3.4", "6694f83c9f476da3"),
        ("127.0.0.1", "12ca17b49af22894"),
        ("::1", "eff8e7ca506627fe"),
        ("203.0.113.9", "d861b7e91033ebc1"),
    ])
    func ipHashTestVectors(ip: String, hash: String) {
        #expect(VoiceModeWorker.ipHash(ip) == hash)
    }

    @Test(arguments: [nil, ""] as [String?])
    func missingOrEmptyClientIPIsUnknown(header: String?) async throws {
        try await withVoiceMode { fixture async throws in
            var headers: Headers = ["Content-Type": "application/json"]
            if let header { headers["CF-Connecting-IP"] = header }
            let response = await fixture.harness.post("/telemetry", json: payload(eventID: "anon"), headers: headers)
            #expect(response.status == 200)
            #expect(try await fixture.kvValue("rate:ip:b23a6a8439c0dde5") == "1")
            let rows = try await fixture.rows("SELECT client_ip_hash FROM events WHERE event_id = 'anon'")
            #expect(rows == [["client_ip_hash": "b23a6a8439c0dde5"]])
        }
    }

    @Test func onlyCFConnectingIPIsConsulted() async throws {
        try await withVoiceMode { fixture async throws in
            let headers: Headers = ["CF-Connecting-IP": "::1", "X-Forwarded-For": "1.2.3.4", "X-Real-IP": "1.2.3.4"]
            let response = await fixture.harness.post("/telemetry", json: payload(eventID: "v6"), headers: headers)
            #expect(response.status == 200)
            let rows = try await fixture.rows("SELECT client_ip_hash FROM events WHERE event_id = 'v6'")
            #expect(rows == [["client_ip_hash": "eff8e7ca506627fe"]])
            #expect(try await fixture.kvValue("rate:ip:eff8e7ca506627fe") == "1")
            #expect(try await fixture.kvValue("rate:ip:6694f83c9f476da3") == nil)
        }
    }
}
