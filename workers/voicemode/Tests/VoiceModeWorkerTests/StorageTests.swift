import Flarelet
import FlareletD1
import FlareletTesting
import Foundation
import Testing
import VoiceModeWorker

/// A database whose idempotency SELECT never finds anything: what a request sees when another process inserts the
/// same `event_id` between its SELECT and its INSERT.
private struct StaleReadDatabase: D1Database {
    let base: any D1Database

    func query(_ query: D1Query) async throws(D1Error) -> D1QueryResult {
        if query.sql == VoiceModeWorker.selectEventSQL {
            return D1QueryResult(columns: ["event_id"], rows: [])
        }
        return try await self.base.query(query)
    }

    func batch(queries: [D1Query]) async throws(D1Error) -> [D1QueryResult] {
        try await self.base.batch(queries: queries)
    }

    func exec(_ sql: String) async throws(D1Error) -> D1ExecResult {
        try await self.base.exec(sql)
    }
}

struct StorageTests {
    @Test func seedExampleIsStoredExactly() async throws {
        try await withVoiceMode { fixture async throws in
            fixture.clock.set(Date(epochMilliseconds: 1_767_225_600_250))
            let tid = "550e8400-e29b-41d4-a716-446655440000"
            let response = await fixture.post(payload(eventID: "test123", telemetryID: tid, timestamp: "2025-12-31T10:30:00Z"), ip: "1.2.3.4")
            #expect(response.status == 200)
            #expect(response.text == #"{"status":"ok","event_id":"test123"}"#)
            #expect(response.headers == jsonHeaders)
            let result = try await fixture.database.prepare("SELECT * FROM events").all()
            #expect(result.results.count == 1)
            let row = try #require(result.results.first)
            #expect(row.columns == ["event_id", "telemetry_id", "timestamp", "created_at", "environment", "usage", "client_ip_hash"])
            #expect(
                row.values == [
                    .text("test123"),
                    .text(tid),
                    .text("2025-12-31T10:30:00Z"),
                    .text("2026-01-01T00:00:00.250Z"),
                    .text(#"{"os":"Linux","version":"1.0.0","installation_method":"uv","mcp_host":"claude-code","execution_source":"mcp"}"#),
                    .text(
                        #"{"total_sessions":5,"duration_distribution":{"1-5min":3,"5-10min":2},"transport_usage":{"local":4,"livekit":1},"#
                            + #""provider_usage":{"tts":{"openai":3,"kokoro":2},"stt":{"whisper-local":5}}}"#
                    ),
                    .text("6694f83c9f476da3"),
                ]
            )
        }
    }

    @Test func jsonColumnsKeepReceivedKeyOrderAndAreCompact() async throws {
        try await withVoiceMode { fixture async throws in
            let body = #"""
                { "event_id" : "order", "telemetry_id" : "550e8400-e29b-41d4-a716-446655440000",
                  "timestamp" : "2025-12-31T10:30:00.123456+00:00",
                  "environment" : { "version" : "2.0", "zeta" : [ 1 , 2.50 , 1e3 ], "os" : "Darwin", "unicode" : "é\u00e9\n" },
                  "usage" : { "z" : { "b" : true , "a" : null }, "total_sessions" : 3.0, "2" : "int-like key first" },
                  "period_start" : "x", "period_end" : "y" }
                """#
            let response = await fixture.post(body: body)
            #expect(response.text == acceptedBody("order"))
            let rows = try await fixture.rows("SELECT timestamp, environment, usage FROM events WHERE event_id = 'order'")
            #expect(
                rows == [
                    [
                        "timestamp": "2025-12-31T10:30:00.123456+00:00",
                        "environment": #"{"version":"2.0","zeta":[1,2.5,1000],"os":"Darwin","unicode":"éé\n"}"#,
                        "usage": #"{"2":"int-like key first","z":{"b":true,"a":null},"total_sessions":3}"#,
                    ]
                ]
            )
        }
    }

    @Test func createdAtIsTheServerClockAsAnISOString() async throws {
        try await withVoiceMode { fixture async throws in
            fixture.clock.set(Date(epochMilliseconds: 1_767_225_600_000 - 86_400_000 + 7))
            #expect(await fixture.post(payload(eventID: "c1", timestamp: "2025-12-31T00:00:00Z")).status == 200)
            let rows = try await fixture.rows("SELECT created_at FROM events")
            #expect(rows == [["created_at": "2025-12-31T00:00:00.007Z"]])
        }
    }

    @Test func duplicateIsGlobalByEventIDAndIgnoresTheRestOfThePayload() async throws {
        try await withVoiceMode { fixture async throws in
            let first = newTelemetryID()
            #expect(await fixture.post(payload(eventID: "same", telemetryID: first)).status == 200)
            let response = await fixture.post(payload(eventID: "same", telemetryID: newTelemetryID(), timestamp: "2025-12-30"), ip: "9.9.9.9")
            #expect(response.status == 200)
            #expect(response.text == alreadyRecordedBody)
            #expect(response.headers == jsonHeaders)
            let rows = try await fixture.rows("SELECT telemetry_id, timestamp FROM events")
            #expect(rows == [["telemetry_id": .string(first), "timestamp": "2025-12-31T23:00:00Z"]])
            #expect(try await fixture.kvValue("rate:ip:" + VoiceModeWorker.ipHash("9.9.9.9")) == nil)
        }
    }

    @Test func duplicateIsAnsweredEvenWhenOverTheLimits() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            for index in 1...10 { #expect(await fixture.post(payload(eventID: "d\(index)", telemetryID: tid)).status == 200) }
            #expect(await fixture.post(payload(eventID: "d11", telemetryID: tid)).status == 429)
            #expect(await fixture.post(payload(eventID: "d3", telemetryID: tid)).text == alreadyRecordedBody)
        }
    }

    @Test func uniqueFailureOfARacingProcessIsAnsweredAsAlreadyRecorded() async throws {
        try await withVoiceMode { fixture async throws in
            #expect(await fixture.post(payload(eventID: "raced")).status == 200)
            var env = fixture.env
            env.d1Databases["DB"] = StaleReadDatabase(base: fixture.database)
            let racing = WorkerHarness(worker: VoiceModeWorker(), env: env)
            let tid = newTelemetryID()
            let response = await racing.post(
                "/telemetry",
                json: payload(eventID: "raced", telemetryID: tid),
                headers: ["CF-Connecting-IP": "5.5.5.5"]
            )
            #expect(response.status == 200)
            #expect(response.text == alreadyRecordedBody)
            #expect(try await fixture.eventCount() == 1)
            #expect(try await fixture.kvValue("rate:id:\(tid)") == nil)
            #expect(try await fixture.kvValue("rate:ip:" + VoiceModeWorker.ipHash("5.5.5.5")) == nil)
        }
    }

    @Test(arguments: ["not json", "", "{", #"{"event_id":"x",}"#, "[1,]", "undefined", "{'a':1}"])
    func invalidJSONIsA500WithAMessage(body: String) async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.post(body: body)
            #expect(response.status == 500)
            #expect(response.headers == jsonHeaders)
            let json = bodyJSON(response)
            #expect(json.objectValue?.keys == ["error", "message"])
            #expect(json["error"] == "Internal server error")
            #expect(json["message"]?.stringValue?.isEmpty == false)
            #expect(fixture.logs.messages.contains { $0.hasPrefix("Error processing telemetry: ") })
        }
    }

    @Test func missingTableIsA500WithTheDatabaseMessage() async throws {
        try await withVoiceMode { fixture async throws in
            _ = try await fixture.database.prepare("DROP TABLE events").run()
            let response = await fixture.post(payload(eventID: "no-table"))
            #expect(response.status == 500)
            #expect(response.headers == jsonHeaders)
            let message = try #require(bodyJSON(response)["message"]?.stringValue)
            #expect(message.hasPrefix("D1_ERROR: no such table: events"))
            #expect(response.text == JSONValue.object(["error": "Internal server error", "message": .string(message)]).stringify())
        }
    }

    @Test func missingBindingsAreA500() async throws {
        try await withVoiceMode { fixture async throws in
            var noKV = fixture.env
            noKV.kvNamespaces = [:]
            let withoutKV = WorkerHarness(worker: VoiceModeWorker(), env: noKV)
            #expect(await fixture.post(payload(eventID: "known")).status == 200)
            // The KV binding is first used after the idempotency check, as upstream.
            #expect(await withoutKV.post("/telemetry", json: payload(eventID: "known")).text == alreadyRecordedBody)
            let response = await withoutKV.post("/telemetry", json: payload(eventID: "new"))
            #expect(response.status == 500)
            #expect(bodyJSON(response)["error"] == "Internal server error")
            var noDB = fixture.env
            noDB.d1Databases = [:]
            let withoutDB = WorkerHarness(worker: VoiceModeWorker(), env: noDB)
            #expect(await withoutDB.post("/telemetry", json: payload(eventID: "new")).status == 500)
            // Validation still answers first.
            #expect(await withoutDB.post("/telemetry", json: ["invalid": "data"]).status == 400)
        }
    }

    @Test func schemaIsIdempotentAndHasTheFourIndexes() async throws {
        try await withVoiceMode { fixture async throws in
            try await VoiceModeFixture.applySchema(to: fixture.database)
            try await VoiceModeFixture.applySchema(to: fixture.database)
            let indexes = try await fixture.rows(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name"
            )
            #expect(
                indexes.map { $0["name"] } == [
                    "idx_events_created_at", "idx_events_telemetry_id", "idx_events_telemetry_timestamp", "idx_events_timestamp",
                ]
            )
            let columns = try await fixture.rows("SELECT name, type, \"notnull\", pk FROM pragma_table_info('events') ORDER BY cid")
            #expect(
                columns == [
                    ["name": "event_id", "type": "TEXT", "notnull": .integer(0), "pk": .integer(1)],
                    ["name": "telemetry_id", "type": "TEXT", "notnull": .integer(1), "pk": .integer(0)],
                    ["name": "timestamp", "type": "TEXT", "notnull": .integer(1), "pk": .integer(0)],
                    ["name": "created_at", "type": "TEXT", "notnull": .integer(1), "pk": .integer(0)],
                    ["name": "environment", "type": "TEXT", "notnull": .integer(1), "pk": .integer(0)],
                    ["name": "usage", "type": "TEXT", "notnull": .integer(1), "pk": .integer(0)],
                    ["name": "client_ip_hash", "type": "TEXT", "notnull": .integer(1), "pk": .integer(0)],
                ]
            )
        }
    }
}
