import DriftWorker
import Flarelet
import FlareletD1
import FlareletTesting
import Foundation
import Testing

/// `POST /v1/events`: storage, payload, binding semantics, transactions and aggregates (drift.md 3 and 4).
struct DriftEventsTests {
    typealias Support = DriftTestSupport

    /// 2026-03-05T23:59:59.500Z: the aggregates' `today` is the UTC date of the env clock.
    static let lateEvening = Date(timeIntervalSince1970: 1_772_755_199.5)

    private func metrics(_ harness: WorkerHarness) async throws -> [String] {
        try await harness.rows("SELECT date, metric, value FROM daily_stats ORDER BY id").map { $0.json }
    }

    @Test func mixedBatchAggregatesFollowTheSpec() async throws {
        try await Support.withHarness(clock: TestClock(Self.lateEvening)) { harness async throws in
            let events: [JSONValue] = [
                Support.event("pattern_signature", installationId: "a", [("language", "typescript"), ("category", "api")]),
                Support.event("scan_completion", installationId: "a", [("language", "python"), ("category", "api")]),
                Support.event("pattern_signature", installationId: "b", [("language", "python"), ("category", "")]),
                Support.event("user_action", installationId: "b", [("category", "security")]),
                Support.event("pattern_signature", installationId: "c", [("language", "typescript"), ("category", "api")]),
                Support.event("pattern_signature", installationId: "a", [("language", .null), ("category", "auth")]),
                Support.event("pattern_signature", installationId: "c", [("language", 0), ("category", false)]),
                Support.event("pattern_signature", installationId: "d", [("language", 5), ("category", true)]),
                Support.event("aggregate_stats", installationId: "c"),
            ]
            let response = await harness.post("/v1/events", json: ["events": .array(events)])
            #expect(response.status == 200)
            #expect(response.text == #"{"success":true,"eventsProcessed":9}"#)
            let metrics = try await self.metrics(harness)
            #expect(
                metrics == [
                    #"{"date":"2026-03-05","metric":"events:pattern_signature","value":6}"#,
                    #"{"date":"2026-03-05","metric":"events:scan_completion","value":1}"#,
                    #"{"date":"2026-03-05","metric":"events:user_action","value":1}"#,
                    #"{"date":"2026-03-05","metric":"events:aggregate_stats","value":1}"#,
                    // Upstream counts in a plain object: the integer-like key "5" comes first.
                    #"{"date":"2026-03-05","metric":"language:5","value":1}"#,
                    #"{"date":"2026-03-05","metric":"language:typescript","value":2}"#,
                    #"{"date":"2026-03-05","metric":"language:python","value":1}"#,
                    #"{"date":"2026-03-05","metric":"category:api","value":2}"#,
                    #"{"date":"2026-03-05","metric":"category:auth","value":1}"#,
                    #"{"date":"2026-03-05","metric":"category:true","value":1}"#,
                    #"{"date":"2026-03-05","metric":"unique_installations","value":4}"#,
                ]
            )
            #expect(try await Support.count(harness, "events") == 9)
        }
    }

    @Test func aggregatesAccumulatePerDayAndUniqueInstallationsSumPerBatch() async throws {
        let clock = TestClock(Self.lateEvening)
        try await Support.withHarness(clock: clock) { harness async throws in
            let batch: JSONValue = ["events": [Support.event("scan_completion", installationId: "same")]]
            #expect(await harness.post("/v1/events", json: batch).status == 200)
            #expect(await harness.post("/v1/events", json: batch).status == 200)
            clock.advance(by: 1)  // 2026-03-06T00:00:00.500Z: a new day
            #expect(await harness.post("/v1/events", json: batch).status == 200)
            #expect(
                try await self.metrics(harness) == [
                    #"{"date":"2026-03-05","metric":"events:scan_completion","value":2}"#,
                    #"{"date":"2026-03-05","metric":"unique_installations","value":2}"#,
                    #"{"date":"2026-03-06","metric":"events:scan_completion","value":1}"#,
                    #"{"date":"2026-03-06","metric":"unique_installations","value":1}"#,
                ]
            )
            // No idempotency: the same batch is stored every time.
            #expect(try await Support.count(harness, "events") == 3)
        }
    }

    /// Upstream counts in plain objects, so integer-like keys come first (ascending), then first-seen order.
    @Test func typeCountersFollowJavaScriptPropertyOrder() async throws {
        try await Support.withHarness(clock: TestClock(Self.lateEvening)) { harness async throws in
            let events: [JSONValue] = ["zeta", "10", "alpha", "2", "zeta"].map { Support.event($0) }
            #expect(await harness.post("/v1/events", json: ["events": .array(events)]).status == 200)
            let metrics = try await harness.rows("SELECT metric, value FROM daily_stats ORDER BY id").map { $0.json }
            #expect(
                metrics == [
                    #"{"metric":"events:2","value":1}"#, #"{"metric":"events:10","value":1}"#,
                    #"{"metric":"events:zeta","value":2}"#, #"{"metric":"events:alpha","value":1}"#,
                    #"{"metric":"unique_installations","value":1}"#,
                ]
            )
        }
    }

    @Test func uniqueInstallationsUseSameValueZero() async throws {
        try await Support.withHarness(clock: TestClock(Self.lateEvening)) { harness async throws in
            var numeric = Support.event("scan_completion").objectValue ?? JSONObject()
            numeric["installationId"] = 42
            var text = numeric
            text["installationId"] = "42"
            var bytes = numeric
            bytes["installationId"] = [1, 2]
            // 42 twice counts once, "42" is different, and each array is a distinct object.
            let events: [JSONValue] = [.object(numeric), .object(numeric), .object(text), .object(bytes), .object(bytes)]
            #expect(await harness.post("/v1/events", json: ["events": .array(events)]).status == 200)
            let rows = try await harness.rows("SELECT value FROM daily_stats WHERE metric = 'unique_installations'")
            #expect(rows.map { $0.json } == [#"{"value":4}"#])
        }
    }

    @Test func payloadHoldsTheRemainingKeysAsJSONStringify() async throws {
        try await Support.withHarness { harness async throws in
            let body = #"""
                {"events":[{"z":1,"type":"pattern_signature","10":"ten","timestamp":"2026-03-05T12:00:00.000Z","a":{"nested":[1,"two",null]},\#
                "installationId":"i-1","2":true,"driftVersion":"0.9.0","confidence":0.87,"big":1e21,"small":1e-7,"text":"quote \" slash / \u00e9\n"}]}
                """#
            let response = await harness.fetch("POST", "/v1/events", headers: ["Content-Type": "application/json"], body: body)
            #expect(response.status == 200)
            let rows = try await harness.rows("SELECT type, timestamp, installation_id, drift_version, payload FROM events")
            #expect(rows.count == 1)
            #expect(rows.first?["type"] == "pattern_signature")
            #expect(rows.first?["timestamp"] == "2026-03-05T12:00:00.000Z")
            #expect(rows.first?["installation_id"] == "i-1")
            #expect(rows.first?["drift_version"] == "0.9.0")
            #expect(
                rows.first?["payload"]
                    == .string(
                        #"{"2":true,"10":"ten","z":1,"a":{"nested":[1,"two",null]},"confidence":0.87,"big":1e+21,"small":1e-7,"#
                            + #""text":"quote \" slash / é\n"}"#
                    )
            )
        }
    }

    @Test func namedFieldsOnlyStoreAnEmptyPayload() async throws {
        try await Support.withHarness { harness async throws in
            #expect(await harness.post("/v1/events", json: ["events": [Support.event("scan_completion")]]).status == 200)
            let rows = try await harness.rows("SELECT payload, typeof(payload) AS t, length(created_at) AS l FROM events")
            #expect(rows.map { $0.json } == [#"{"payload":"{}","t":"text","l":19}"#])
        }
    }

    @Test func numbersBindAsReal() async throws {
        try await Support.withHarness { harness async throws in
            let event: JSONValue = ["type": "scan_completion", "timestamp": 1.5, "installationId": 42, "driftVersion": true]
            #expect(await harness.post("/v1/events", json: ["events": [event]]).status == 200)
            let rows = try await harness.rows(
                "SELECT timestamp, installation_id, typeof(installation_id) AS t, drift_version FROM events"
            )
            #expect(rows.map { $0.json } == [#"{"timestamp":"1.5","installation_id":"42.0","t":"text","drift_version":"1"}"#])
        }
    }

    @Test func byteArraysBindAsBlobs() async throws {
        try await Support.withHarness { harness async throws in
            let event: JSONValue = ["type": "scan_completion", "timestamp": "t", "installationId": "i", "driftVersion": [0, 255]]
            #expect(await harness.post("/v1/events", json: ["events": [event]]).status == 200)
            let rows = try await harness.rows("SELECT typeof(drift_version) AS t, hex(drift_version) AS h FROM events")
            #expect(rows.map { $0.json } == [#"{"t":"blob","h":"00FF"}"#])
        }
    }

    /// Each bad event is the last of a batch of valid ones: 500, and neither events nor aggregates are stored.
    @Test(arguments: [
        ("missing driftVersion", #"{"type":"x","timestamp":"t","installationId":"i"}"#),
        ("null timestamp", #"{"type":"x","timestamp":null,"installationId":"i","driftVersion":"1"}"#),
        ("null type", #"{"type":null,"timestamp":"t","installationId":"i","driftVersion":"1"}"#),
        ("object installationId", #"{"type":"x","timestamp":"t","installationId":{"id":1},"driftVersion":"1"}"#),
        ("array of strings", #"{"type":["a"],"timestamp":"t","installationId":"i","driftVersion":"1"}"#),
        ("array with a non-byte", #"{"type":"x","timestamp":"t","installationId":[1,256],"driftVersion":"1"}"#),
        ("number event", "5"),
        ("string event", #""event""#),
        ("null event", "null"),
        ("array event", "[1,2]"),
    ])
    func badEventRollsBackTheWholeBatch(label: String, badEvent: String) async throws {
        try await Support.withHarness { harness async throws in
            let good = Support.event("scan_completion").stringify()
            let body = #"{"events":["# + Array(repeating: good, count: 50).joined(separator: ",") + "," + badEvent + "]}"
            let response = await harness.fetch("POST", "/v1/events", body: body)
            #expect(response.status == 500, "\(label)")
            #expect(response.text == #"{"error":"Internal server error"}"#)
            #expect(try await Support.count(harness, "events") == 0)
            #expect(try await Support.count(harness, "daily_stats") == 0)
        }
    }

    @Test func failingAggregateBatchKeepsTheEventsButAnswers500() async throws {
        try await Support.withHarness { harness async throws in
            _ = try await harness.d1().prepare("DROP TABLE daily_stats").run()
            let events: [JSONValue] = [Support.event("scan_completion"), Support.event("user_action")]
            let response = await harness.post("/v1/events", json: ["events": .array(events)])
            #expect(response.status == 500)
            #expect(response.text == #"{"error":"Internal server error"}"#)
            #expect(try await Support.count(harness, "events") == 2)
        }
    }

    @Test func exactlyOneHundredEventsAreAccepted() async throws {
        try await Support.withHarness { harness async throws in
            let events = (0..<100).map { Support.event("scan_completion", installationId: "i-\($0 % 7)") }
            let response = await harness.post("/v1/events", json: ["events": .array(events)])
            #expect(response.text == #"{"success":true,"eventsProcessed":100}"#)
            #expect(try await Support.count(harness, "events") == 100)
            let unique = try await harness.rows("SELECT value FROM daily_stats WHERE metric = 'unique_installations'")
            #expect(unique.map { $0.json } == [#"{"value":7}"#])
        }
    }

    @Test func moreThanOneHundredEventsAreRefused() async throws {
        try await Support.withHarness { harness async throws in
            let events = Array(repeating: JSONValue.object(JSONObject()), count: 101)
            let response = await harness.post("/v1/events", json: ["events": .array(events)])
            #expect(response.status == 400)
            #expect(response.text == #"{"error":"Too many events: max 100 per batch"}"#)
            #expect(try await Support.count(harness, "events") == 0)
        }
    }

    @Test(arguments: [
        (#"{"events":[}"#, 500, #"{"error":"Internal server error"}"#),
        ("", 500, #"{"error":"Internal server error"}"#),
        ("null", 500, #"{"error":"Internal server error"}"#),
        ("{}", 400, #"{"error":"Invalid request: events array required"}"#),
        (#"{"events":{}}"#, 400, #"{"error":"Invalid request: events array required"}"#),
        (#"{"events":"abc"}"#, 400, #"{"error":"Invalid request: events array required"}"#),
        (#"{"events":5}"#, 400, #"{"error":"Invalid request: events array required"}"#),
        (#"{"events":false}"#, 400, #"{"error":"Invalid request: events array required"}"#),
        (#"{"events":null}"#, 400, #"{"error":"Invalid request: events array required"}"#),
        ("[]", 400, #"{"error":"Invalid request: events array required"}"#),
        ("5", 400, #"{"error":"Invalid request: events array required"}"#),
        (#""text""#, 400, #"{"error":"Invalid request: events array required"}"#),
        (#"{"events":[]}"#, 200, #"{"success":true,"eventsProcessed":0}"#),
        ("\u{FEFF}{\"events\":[]}", 200, #"{"success":true,"eventsProcessed":0}"#),
    ])
    func requestChecks(body: String, status: Int, answer: String) async throws {
        try await Support.withHarness { harness async throws in
            let response = await harness.fetch("POST", "/v1/events", body: body)
            #expect(response.status == status)
            #expect(response.text == answer)
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(response.headers["Access-Control-Allow-Origin"] == "*")
            #expect(try await Support.count(harness, "events") == 0)
        }
    }
}
