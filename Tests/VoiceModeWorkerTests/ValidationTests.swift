import Flarelet
import FlareletTesting
import Foundation
import Testing
import VoiceModeWorker

/// A valid body (clock at 2026-01-01T00:00:00Z) with one top-level field replaced or (`nil`) removed.
private func body(_ key: String, _ value: JSONValue?) -> String {
    payload(eventID: "rule-case", telemetryID: "550e8400-e29b-41d4-a716-446655440000", overrides: [(key, value)]).stringify()
}

private let validationCases: [(body: String, message: String)] = [
    // Rule 1: falsy top-level values.
    ("null", "Missing payload"),
    ("false", "Missing payload"),
    ("0", "Missing payload"),
    ("-0", "Missing payload"),
    ("0.0", "Missing payload"),
    (#""""#, "Missing payload"),
    // Rule 2: any other top-level value without a non-empty string event_id.
    ("true", "Invalid or missing event_id"),
    ("1", "Invalid or missing event_id"),
    (#""text""#, "Invalid or missing event_id"),
    ("[]", "Invalid or missing event_id"),
    (#"["event_id"]"#, "Invalid or missing event_id"),
    ("{}", "Invalid or missing event_id"),
    (#"{"invalid":"data"}"#, "Invalid or missing event_id"),
    (body("event_id", nil), "Invalid or missing event_id"),
    (body("event_id", ""), "Invalid or missing event_id"),
    (body("event_id", 12345), "Invalid or missing event_id"),
    (body("event_id", .null), "Invalid or missing event_id"),
    (body("event_id", ["a"]), "Invalid or missing event_id"),
    (body("event_id", ["id": "a"]), "Invalid or missing event_id"),
    // Rule 3.
    (body("telemetry_id", nil), "Invalid or missing telemetry_id"),
    (body("telemetry_id", ""), "Invalid or missing telemetry_id"),
    (body("telemetry_id", 5), "Invalid or missing telemetry_id"),
    (body("telemetry_id", .null), "Invalid or missing telemetry_id"),
    // Rule 4.
    (body("telemetry_id", "not-a-uuid"), "Invalid telemetry_id format (must be UUID)"),
    (body("telemetry_id", "550e8400-e29b-41d4-a716-44665544000"), "Invalid telemetry_id format (must be UUID)"),
    (body("telemetry_id", "550e8400-e29b-41d4-a716-4466554400000"), "Invalid telemetry_id format (must be UUID)"),
    (body("telemetry_id", "550e8400e29b41d4a716446655440000"), "Invalid telemetry_id format (must be UUID)"),
    (body("telemetry_id", "550e8400-e29b-41d4-a716-44665544000g"), "Invalid telemetry_id format (must be UUID)"),
    (body("telemetry_id", "{550e8400-e29b-41d4-a716-446655440000}"), "Invalid telemetry_id format (must be UUID)"),
    (body("telemetry_id", " 550e8400-e29b-41d4-a716-446655440000"), "Invalid telemetry_id format (must be UUID)"),
    (body("telemetry_id", "550e8400-e29b-41d4-a716-446655440000\n"), "Invalid telemetry_id format (must be UUID)"),
    (body("telemetry_id", "550e8400-e29b-41d4-a716_446655440000"), "Invalid telemetry_id format (must be UUID)"),
    // Rule 5.
    (body("timestamp", nil), "Invalid or missing timestamp"),
    (body("timestamp", ""), "Invalid or missing timestamp"),
    (body("timestamp", 1_767_225_600), "Invalid or missing timestamp"),
    (body("timestamp", .null), "Invalid or missing timestamp"),
    (body("timestamp", true), "Invalid or missing timestamp"),
    // Rule 6: the spec's rejected examples and surrounding white space.
    (body("timestamp", "garbage"), "Invalid timestamp format (must be ISO 8601)"),
    (body("timestamp", "2024-13-01"), "Invalid timestamp format (must be ISO 8601)"),
    (body("timestamp", "2024-12-14T25:00:00Z"), "Invalid timestamp format (must be ISO 8601)"),
    (body("timestamp", "20241214T103000Z"), "Invalid timestamp format (must be ISO 8601)"),
    (body("timestamp", " 2025-12-31T23:00:00Z"), "Invalid timestamp format (must be ISO 8601)"),
    (body("timestamp", "2025-12-31T23:00:00Z "), "Invalid timestamp format (must be ISO 8601)"),
    // Rule 7: later than now + 86 400 000 ms.
    (body("timestamp", "2026-01-02T00:00:00.001Z"), "Timestamp too far in the future"),
    (body("timestamp", "2027-01-01"), "Timestamp too far in the future"),
    (body("timestamp", "2026-01-01T23:00:00-02:00"), "Timestamp too far in the future"),
    // Rule 8: earlier than now − 90 × 86 400 000 ms.
    (body("timestamp", "2025-10-02T23:59:59.999Z"), "Timestamp too old (max 90 days)"),
    (body("timestamp", "2024-12-14T10:30:00Z"), "Timestamp too old (max 90 days)"),
    // Rule 9.
    (body("environment", nil), "Invalid or missing environment object"),
    (body("environment", .null), "Invalid or missing environment object"),
    (body("environment", "Linux"), "Invalid or missing environment object"),
    (body("environment", 5), "Invalid or missing environment object"),
    (body("environment", true), "Invalid or missing environment object"),
    // Rule 10 (an array passes rule 9 and fails here).
    (body("environment", []), "Invalid or missing environment.os"),
    (body("environment", ["Linux", "1.0.0"]), "Invalid or missing environment.os"),
    (body("environment", [:]), "Invalid or missing environment.os"),
    (body("environment", ["os": "", "version": "1.0.0"]), "Invalid or missing environment.os"),
    (body("environment", ["os": 1, "version": "1.0.0"]), "Invalid or missing environment.os"),
    // Rule 11.
    (body("environment", ["os": "Linux"]), "Invalid or missing environment.version"),
    (body("environment", ["os": "Linux", "version": ""]), "Invalid or missing environment.version"),
    (body("environment", ["os": "Linux", "version": 1]), "Invalid or missing environment.version"),
    (body("environment", ["os": "Linux", "version": .null]), "Invalid or missing environment.version"),
    // Rule 12.
    (body("usage", nil), "Invalid or missing usage object"),
    (body("usage", .null), "Invalid or missing usage object"),
    (body("usage", "5"), "Invalid or missing usage object"),
    (body("usage", 5), "Invalid or missing usage object"),
    // Rule 13 (an array passes rule 12 and fails here).
    (body("usage", [:]), "Invalid or missing usage.total_sessions"),
    (body("usage", []), "Invalid or missing usage.total_sessions"),
    (body("usage", ["total_sessions": "5"]), "Invalid or missing usage.total_sessions"),
    (body("usage", ["total_sessions": .null]), "Invalid or missing usage.total_sessions"),
    (body("usage", ["total_sessions": true]), "Invalid or missing usage.total_sessions"),
    (body("usage", ["total_sessions": [5]]), "Invalid or missing usage.total_sessions"),
]

struct ValidationTests {
    @Test(arguments: validationCases)
    func firstFailingRuleIsReported(body: String, message: String) async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.post(body: body)
            #expect(response.status == 400)
            #expect(response.text == errorBody(message))
            #expect(response.headers == jsonHeaders)
            #expect(try await fixture.eventCount() == 0)
            #expect(try await fixture.kv.list().keys.isEmpty)
        }
    }

    @Test func everyRuleHasACase() {
        let messages = Set(validationCases.map(\.message))
        #expect(messages == Set(TelemetryValidationError.allCases.map(\.message)))
        #expect(TelemetryValidationError.allCases.count == 13)
    }

    @Test func rulesAreCheckedInOrder() throws {
        let now = startDate
        func failure(_ pairs: [(String, JSONValue)]) -> String? {
            do {
                _ = try TelemetryEvent(payload: .object(JSONObject(pairs)), now: now)
                return nil
            } catch {
                return error.message
            }
        }
        let tid: JSONValue = "550e8400-e29b-41d4-a716-446655440000"
        let base: [(String, JSONValue)] = [("event_id", "e"), ("telemetry_id", tid)]
        #expect(failure([("telemetry_id", "x"), ("timestamp", "garbage")]) == "Invalid or missing event_id")
        #expect(failure([("event_id", "e"), ("telemetry_id", "x"), ("timestamp", "garbage")]) == "Invalid telemetry_id format (must be UUID)")
        #expect(failure(base + [("timestamp", "garbage"), ("environment", 1)]) == "Invalid timestamp format (must be ISO 8601)")
        #expect(failure(base + [("timestamp", "2030-01-01"), ("usage", 1)]) == "Timestamp too far in the future")
        #expect(failure(base + [("timestamp", "2026-01-01"), ("usage", 1)]) == "Invalid or missing environment object")
        let environment: JSONValue = ["os": "L", "version": "1"]
        #expect(failure(base + [("timestamp", "2026-01-01"), ("environment", environment)]) == "Invalid or missing usage object")
        let valid = base + [("timestamp", "2026-01-01"), ("environment", environment)]
        #expect(failure(valid + [("usage", [:])]) == "Invalid or missing usage.total_sessions")
        #expect(failure(valid + [("usage", ["total_sessions": 0])]) == nil)
    }

    @Test(arguments: [
        // Window edges: exactly now + 1 day and exactly now − 90 days pass.
        "2026-01-02T00:00:00.000Z",
        "2025-10-03T00:00:00.000Z",
        "2025-10-03",
        // The port's minimum set of accepted forms.
        "2025-12-31",
        "2025-12-31T10:30:00",
        "2025-12-31 10:30:00",
        "2025-12-31T10:30Z",
        "2025-12-31T10:30:00.123456Z",
        "2025-12-31T10:30:00+05:00",
        "2025-12-31T10:30:00.123456+00:00",
        "2025-12-31T10:30:00.1-08:00",
        "2025-12",
    ])
    func acceptedTimestamps(timestamp: String) async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.post(payload(eventID: "ts-\(timestamp)", timestamp: timestamp))
            #expect(response.status == 200, "\(timestamp): \(response.text)")
            let stored = try await fixture.rows("SELECT timestamp FROM events WHERE event_id = ?", .text("ts-\(timestamp)"))
            #expect(stored == [["timestamp": .string(timestamp)]])
        }
    }

    @Test(arguments: [
        ("total_sessions", JSONValue.number(0)),
        ("total_sessions", -3),
        ("total_sessions", 2.5),
        ("total_sessions", 1e300),
    ])
    func anyNumberPassesTotalSessions(key: String, value: JSONValue) async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.post(payload(eventID: "sessions", usage: .object([key: value])))
            #expect(response.status == 200)
        }
    }

    @Test(arguments: [
        "550E8400-E29B-41D4-A716-446655440000",
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "550e8400-E29B-71d4-0716-446655440000",
    ])
    func anyUUIDShapeInAnyCasePasses(telemetryID: String) async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.post(payload(eventID: "uuid-\(telemetryID)", telemetryID: telemetryID))
            #expect(response.status == 200)
            #expect(try await fixture.kvValue("rate:id:\(telemetryID)") == "1")
        }
    }

    @Test func unvalidatedFieldsAreFree() async throws {
        try await withVoiceMode { fixture async throws in
            let environment: JSONValue = ["os": "Windows", "version": "9", "installation_method": 5, "mcp_host": .null]
            let usage: JSONValue = ["total_sessions": 1, "provider_usage": "anything"]
            let response = await fixture.post(
                payload(
                    eventID: "x",
                    environment: environment,
                    usage: usage,
                    overrides: [("period_start", "whenever"), ("extra", [1, 2])]
                )
            )
            #expect(response.status == 200)
            #expect(response.text == acceptedBody("x"))
        }
    }

    @Test func byteOrderMarkIsIgnoredLikeRequestJSON() async throws {
        try await withVoiceMode { fixture async throws in
            let text = payload(eventID: "bom").stringify()
            let response = await fixture.harness.fetch(
                WorkerRequest(method: "POST", url: "http://localhost/telemetry", body: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
            )
            #expect(response.status == 200)
        }
    }
}

/// Rules 6–8 with V8's date parser: the verdict of upstream's `validatePayload` for each timestamp at the tests'
/// clock (2026-01-01T00:00:00Z), computed by Node (`scripts/generate-js-vectors.js`).
struct TimestampRuleTests {
    static func vectors() throws -> [(timestamp: String, error: String?)] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/timestamps.json")
        let cases = try #require(try JSONValue.parse(Array(try Data(contentsOf: url))).arrayValue)
        return try cases.map { (try #require($0["timestamp"]?.stringValue), $0["error"]?.stringValue) }
    }

    @Test func everyTimestampGetsUpstreamsVerdict() throws {
        let cases = try Self.vectors()
        #expect(cases.count > 150)
        #expect(cases.contains { $0.error == nil } && cases.contains { $0.error != nil })
        for (timestamp, expected) in cases {
            let body = payload(timestamp: timestamp)
            do {
                _ = try TelemetryEvent(payload: body, now: startDate)
                #expect(expected == nil, "\(timestamp.debugDescription): accepted, upstream says \(expected ?? "")")
            } catch {
                #expect(error.message == expected, "\(timestamp.debugDescription)")
            }
        }
    }

    /// The issue's forms reach the database through the worker and are stored exactly as sent.
    @Test(arguments: [
        "2025-12-31t05:13:25z", "Wed, 31 Dec 2025 16:30:25 GMT", "2025/12/31", "12/31/2025 16:30", "Dec 31, 2025",
        "2025-12-31T16:30:25+0000", "Wed Dec 31 2025 16:30:25 GMT+0000 (Coordinated Universal Time)",
    ])
    func legacyFormsAreStored(timestamp: String) async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.post(payload(eventID: "ts-\(timestamp)", telemetryID: newTelemetryID(), timestamp: timestamp))
            #expect(response.status == 200, "\(timestamp): \(response.text)")
            let stored = try await fixture.rows("SELECT timestamp FROM events WHERE event_id = ?", .text("ts-\(timestamp)"))
            #expect(stored == [["timestamp": .string(timestamp)]])
        }
    }

    @Test func zeroIsTheYear2000AndTooOld() async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.post(payload(eventID: "zero", timestamp: "0"))
            #expect(response.status == 400)
            #expect(response.text == errorBody("Timestamp too old (max 90 days)"))
        }
    }
}
