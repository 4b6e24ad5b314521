import Flarelet
import FlareletTesting
import Foundation
import Testing

@testable import TelemetryKitWorker

/// Sections 6–9: the ingest handler, per-event processing, responses and storage.
struct IngestTests {
    static let success1 = #"{"status":"success","accepted":1,"rejected":0,"message":"All events ingested successfully"}"#

    @Test(arguments: Storage.allCases)
    func minimalEventIsStoredExactly(storage: Storage) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: Double(TK.nowSeconds) + 0.123_456_7))
        try await TK.withHarness(storage, clock: clock) { harness async throws in
            let response = await TK.ingest(harness, TK.minimalBody, extra: [("X-Batch-Size", "1")])
            #expect(response.status == 200)
            #expect(response.text == Self.success1)
            #expect(response.headers["Content-Type"] == "application/json")
            let rows = try await TK.rows(harness, "SELECT * FROM events")
            let expected =
                #"[{"id":1,"event_id":"0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b","org_id":"550e8400-e29b-41d4-a716-446655440000","#
                + #""app_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","schema_version":"1.0.0","timestamp":"2025-01-01T00:00:00.000000Z","#
                + #""service_name":"demo","service_version":"1.0.0","service_language":"rust","service_language_version":null,"#
                + #""user_id":"client_abc","session_id":null,"os":"linux","os_version":null,"arch":null,"ci":null,"shell":null,"#
                + #""event_type":"command_execution","event_category":null,"event_data":"{}","sdk_version":"telemetry-kit-rust/0.1.0","#
                + #""transmission_timestamp":"2025-01-01T00:00:00.000000Z","batch_size":1,"retry_count":0,"#
                + #""received_at":"2026-01-01T00:00:00.123457Z"}]"#
            #expect(JSONValue.array(rows.map { .object($0) }).stringify() == expected)
        }
    }

    @Test(arguments: Storage.allCases)
    func everyOptionalFieldIsStored(storage: Storage) async throws {
        try await TK.withHarness(storage) { harness async throws in
            let event = TK.event(
                id: "{0B3F5A8E-2C1D-4E6F-9A7B-1C2D3E4F5A6B}",
                timestamp: "2025-06-30T23:30:00.1234567+02:00",
                service: #"{"name":"svc","version":"2.0","language":"swift","language_version":"6.3","extra":1}"#,
                userID: "client_",
                sessionID: "sess_1",
                environment: #"{"os":"macos","os_version":"15","arch":"arm64","ci":true,"shell":"zsh"}"#,
                event: #"{"type":"","category":"usage","data":{"b":[1,2.50,-3e2,"x\n\u0001"],"a":null,"b":true}}"#,
                metadata:
                    #"{"sdk_version":"v","transmission_timestamp":"2025-01-01t10:00:00z","batch_size":4294967297,"retry_count":4294967295,"x":{}}"#
            )
            let response = await TK.ingest(harness, TK.batch([event]))
            #expect(response.text == Self.success1)
            let row = try #require(try await TK.rows(harness, "SELECT * FROM events").first)
            #expect(row["event_id"] == "0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b")
            #expect(row["timestamp"] == "2025-06-30T21:30:00.123456Z")
            #expect(row["service_language_version"] == "6.3")
            #expect(row["user_id"] == "client_")
            #expect(row["session_id"] == "sess_1")
            #expect(row["os"] == "macos")
            #expect(row["os_version"] == "15")
            #expect(row["arch"] == "arm64")
            #expect(row["ci"] == (storage == .d1 ? .integer(1) : .bool(true)))
            #expect(row["shell"] == "zsh")
            #expect(row["event_type"] == "")
            #expect(row["event_category"] == "usage")
            // PostgreSQL normalises JSONB (sorted keys, last duplicate wins, its own spacing).
            #expect(row["event_data"] == (storage == .d1 ? #"{"b":true,"a":null}"# : #"{"a": null, "b": true}"#))
            #expect(row["transmission_timestamp"] == "2025-01-01T10:00:00.000000Z")
            #expect(row["batch_size"] == .integer(1))
            #expect(row["retry_count"] == .integer(-1))
        }
    }

    @Test(arguments: [
        ("null", "null"), (#"[1,2.50,-3e2,"x\n\u0001"]"#, #"[1,2.50,-3e2,"x\n\u0001"]"#), ("  7 ", "7"), (#""\/é""#, #""/é""#),
    ])
    func eventDataIsStoredAsCompactJSON(data: String, stored: String) async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, TK.batch([TK.event(event: #"{"type":"t","data":\#(data)}"#)]))
        #expect(response.status == 200)
        #expect(try await TK.rows(harness, "SELECT event_data FROM events").first?["event_data"] == .string(stored))
    }

    @Test(
        arguments: Storage.allCases,
        [
            (Int64(2_147_483_648), Int64(-2_147_483_648), Int64(2_147_483_648), Int64(-2_147_483_648)),
            (4_294_967_295, -1, 2_147_483_647, 2_147_483_647), (0, 0, 0, 0),
        ]
    )
    func integersAreTruncatedToThirtyTwoBits(storage: Storage, values: (Int64, Int64, Int64, Int64)) async throws {
        let (batch, storedBatch, retry, storedRetry) = values
        try await TK.withHarness(storage) { harness async throws in
            let metadata = #"{"sdk_version":"s","transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":\#(batch),"retry_count":\#(retry)}"#
            #expect(await TK.ingest(harness, TK.batch([TK.event(metadata: metadata)])).status == 200)
            let row = try #require(try await TK.rows(harness, "SELECT batch_size, retry_count FROM events").first)
            #expect(row["batch_size"] == .integer(storedBatch))
            #expect(row["retry_count"] == .integer(storedRetry))
        }
    }

    @Test(arguments: Storage.allCases)
    func maximumBatchSizeIsTruncated(storage: Storage) async throws {
        try await TK.withHarness(storage) { harness async throws in
            let metadata = #"{"sdk_version":"s","transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":18446744073709551615,"retry_count":0}"#
            #expect(await TK.ingest(harness, TK.batch([TK.event(metadata: metadata)])).status == 200)
            #expect(try await TK.rows(harness, "SELECT batch_size FROM events").first?["batch_size"] == .integer(-1))
        }
    }

    // MARK: Path and org/app

    @Test(arguments: [
        ("550E8400-E29B-41D4-A716-446655440000", "7C9E6679-7425-40DE-944B-E07FC1F90AE7"),
        ("550e8400e29b41d4a716446655440000", "{7c9e6679-7425-40de-944b-e07fc1f90ae7}"),
        ("urn:uuid:550e8400-e29b-41d4-a716-446655440000", "7c9e6679%2D7425-40de-944b-e07fc1f90ae7"),
    ])
    func pathUUIDsInAnyFormMatchTheToken(org: String, app: String) async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, TK.minimalBody, path: "/v1/ingest/\(org)/\(app)")
        #expect(response.status == 200)
        let row = try #require(try await TK.rows(harness, "SELECT org_id, app_id FROM events").first)
        #expect(row["org_id"] == .string(TK.orgID))
        #expect(row["app_id"] == .string(TK.appID))
    }

    @Test(arguments: [
        ("/v1/ingest/org/\(TK.appID)", "Invalid URL: UUID parsing failed: "),
        ("/v1/ingest/\(TK.orgID)/app_e963188b", "Invalid URL: UUID parsing failed: "),
        ("/v1/ingest/\(TK.orgID)/%FF", "Invalid URL: "),
        ("/v1/ingest/URN:UUID:\(TK.orgID)/\(TK.appID)", "Invalid URL: UUID parsing failed: "),
    ])
    func nonUUIDSegmentsArePlainText400AfterAuthentication(path: String, prefix: String) async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, TK.minimalBody, path: path)
        #expect(response.status == 400)
        #expect(response.text.hasPrefix(prefix), "\(response.text)")
        #expect(response.headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(response.headers["X-Clacks-Overhead"] == "GNU Terry Pratchett")
        #expect(try await TK.rows(harness, "SELECT last_used_at FROM api_tokens").first?["last_used_at"] != .null)
    }

    @Test func uuidReasonForAShortSegment() async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, TK.minimalBody, path: "/v1/ingest/abc/\(TK.appID)")
        #expect(response.text == "Invalid URL: UUID parsing failed: invalid length: expected length 32 for simple format, found 3")
    }

    @Test(arguments: [
        "/v1/ingest/\(TK.appID)/\(TK.appID)", "/v1/ingest/\(TK.orgID)/\(TK.orgID)", "/v1/ingest/00000000-0000-0000-0000-000000000000/\(TK.appID)",
    ])
    func tokenMustMatchBothIds(path: String) async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, TK.minimalBody, path: path)
        #expect(response.status == 403)
        #expect(response.text == TK.errorBody("Forbidden", "Token does not match org_id/app_id"))
        #expect(try await TK.eventCount(harness) == 0)
    }

    // MARK: Strict parse and batch checks

    @Test(arguments: [
        ("{}", "Invalid JSON: missing field `events` at line 1 column 2"),
        ("", "Invalid JSON: EOF while parsing a value at line 1 column 0"),
    ])
    func parserMessagesFromTheSpec(body: String, message: String) async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, body)
        #expect(response.status == 400)
        #expect(response.text == TK.errorBody("Bad Request", message))
    }

    @Test(arguments: [
        "not json", #"{"events":{}}"#, #"{"events":[1]}"#, #"{"events":[]} x"#, "[]", "null", #"{"events":null}"#,
        TK.batch([TK.event(id: "nope")]),
        TK.batch([TK.event(timestamp: "2025-01-01")]),
        TK.batch([TK.event(timestamp: "2025-02-30T00:00:00Z")]),
        TK.batch([TK.event(timestamp: "2025-01-01T00:00:00")]),
        TK.batch([TK.event(environment: "{}")]),
        TK.batch([TK.event(environment: #"{"os":null}"#)]),
        TK.batch([TK.event(environment: #"{"os":"l","ci":"true"}"#)]),
        TK.batch([TK.event(service: #"{"name":"a","version":"b"}"#)]),
        TK.batch([TK.event(service: #"{"name":"a","name":"a","version":"b","language":"c"}"#)]),
        TK.batch([TK.event(event: #"{"type":"t"}"#)]),
        TK.batch([TK.event(event: #"{"data":{}}"#)]),
        TK.batch([TK.event(metadata: #"{"sdk_version":"s","transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":-1,"retry_count":0}"#)]),
        TK.batch([TK.event(metadata: #"{"sdk_version":"s","transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":1.0,"retry_count":0}"#)]),
        TK.batch([TK.event(metadata: #"{"sdk_version":"s","transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":1,"retry_count":4294967296}"#)]
        ),
        TK.batch([TK.event(metadata: #"{"sdk_version":"s","transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":1}"#)]),
        TK.batch([TK.event(metadata: #"{"sdk_version":"s","transmission_timestamp":"x","batch_size":1,"retry_count":0}"#)]),
        TK.batch([TK.event(event: #"{"type":"t","data":1e999}"#)]),
        TK.batch([TK.event(event: #"{"type":"t","data":"\ud800"}"#)]),
        TK.batch([TK.event(event: #"{"type":"t","data":[1,]}"#)]),
        TK.batch([TK.event(event: #"{"type":"t","data":01}"#)]),
        TK.batch([TK.event(event: #"{"type":"t","data":\#(String(repeating: "[", count: 200))}"#)]),
        TK.batch([TK.event(), #"{"schema_version":"1.0.0"}"#]),
    ])
    func malformedBodiesRejectTheWholeRequest(body: String) async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, body, extra: [("DNT", "1")])
        #expect(response.status == 400)
        let json = try JSONValue.parse(response.body)
        #expect(json["error"] == "Bad Request")
        #expect(json["message"]?.stringValue?.hasPrefix("Invalid JSON: ") == true, "\(response.text)")
        #expect(try await TK.eventCount(harness) == 0)
    }

    @Test func unknownFieldsAndNullOptionalsAreAccepted() async throws {
        let harness = try await TK.makeHarness()
        let event = TK.event(
            service: #"{"name":"a","version":"b","language":"c","language_version":null,"x":[{}]}"#,
            environment: #"{"os":"l","os_version":null,"arch":null,"ci":null,"shell":null}"#,
            event: #"{"type":"t","category":null,"data":null}"#
        )
        let body = #"{"extra":true,"events":[\#(event)],"more":{"a":[1,2]}}"#
        let response = await TK.ingest(harness, body)
        #expect(response.status == 200)
        #expect(try await TK.rows(harness, "SELECT event_data, ci FROM events").first?["event_data"] == "null")
    }

    @Test func emptyBatch() async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, #"{"events":[]}"#)
        #expect(response.text == TK.errorBody("Bad Request", "Batch must contain at least one event"))
        #expect(response.status == 400)
    }

    @Test func batchLimitIsOneThousand() async throws {
        let harness = try await TK.makeHarness()
        let tooMany = TK.batch((0..<1001).map { _ in TK.event() })
        let response = await TK.ingest(harness, tooMany)
        #expect(response.status == 400)
        #expect(response.text == TK.errorBody("Bad Request", "Batch size exceeds maximum of 1000 events"))
        let exactly = TK.batch((0..<1000).map { _ in TK.event() })
        let accepted = await TK.ingest(harness, exactly, extra: [("X-Batch-Size", "1000")])
        #expect(accepted.text == #"{"status":"success","accepted":1000,"rejected":0,"message":"All events ingested successfully"}"#)
        #expect(try await TK.eventCount(harness) == 1000)
    }

    @Test(arguments: ["2", "0", "+2", "18446744073709551615"])
    func batchSizeHeaderMismatch(value: String) async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, TK.minimalBody, extra: [("X-Batch-Size", value), ("DNT", "1")])
        #expect(response.status == 400)
        #expect(response.text == TK.errorBody("Bad Request", "X-Batch-Size header does not match actual batch size"))
    }

    @Test(arguments: ["abc", "-1", "2.0", "", " 2", "18446744073709551616", "+1", "01"])
    func unparseableOrMatchingBatchSizeHeaderIsIgnored(value: String) async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, TK.minimalBody, extra: [("X-Batch-Size", value)])
        #expect(response.status == 200)
    }

    // MARK: DNT

    @Test func dntOneIs204AndStoresNothing() async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, TK.minimalBody, extra: [("DNT", "1")])
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        #expect(response.headers["Content-Type"] == nil)
        #expect(response.headers["X-Clacks-Overhead"] == "GNU Terry Pratchett")
        #expect(try await TK.eventCount(harness) == 0)
    }

    @Test(arguments: ["0", "true", "1 1", " 1", "yes", ""])
    func otherDntValuesIngest(value: String) async throws {
        let harness = try await TK.makeHarness()
        let response = await TK.ingest(harness, TK.minimalBody, extra: [("DNT", value), ("DO_NOT_TRACK", "1")])
        #expect(response.status == 200)
        #expect(try await TK.eventCount(harness) == 1)
    }

    @Test func dntStillGetsBatchErrors() async throws {
        let harness = try await TK.makeHarness()
        let empty = await TK.ingest(harness, #"{"events":[]}"#, extra: [("DNT", "1")])
        #expect(empty.status == 400)
        let mismatch = await TK.ingest(harness, TK.minimalBody, path: "/v1/ingest/\(TK.appID)/\(TK.appID)", extra: [("DNT", "1")])
        #expect(mismatch.status == 403)
    }

    // MARK: Per-event rules

    @Test(arguments: [
        ("2.0.0", "unsupported_schema", "Unsupported schema version: 2.0.0"),
        ("0.9.0", "unsupported_schema", "Unsupported schema version: 0.9.0"),
        ("invalid", "unsupported_schema", "Unsupported schema version: invalid"),
        ("", "unsupported_schema", "Unsupported schema version: "),
    ])
    func unsupportedSchemas(version: String, code: String, message: String) async throws {
        let harness = try await TK.makeHarness()
        let id = "11111111-1111-4111-8111-111111111111"
        let response = await TK.ingest(harness, TK.batch([TK.event(id: id, schemaVersion: version)]))
        #expect(response.status == 400)
        let expected =
            #"{"error":"bad_request","errors":[{"error":"\#(code)","event_id":"\#(id)","message":"\#(message)"}],"message":"All events rejected"}"#
        #expect(response.text == expected)
    }

    @Test(arguments: ["1.0.0", "1.1.0", "1.99.99", "1.", "1.x"])
    func acceptedSchemas(version: String) async throws {
        let harness = try await TK.makeHarness()
        #expect(await TK.ingest(harness, TK.batch([TK.event(schemaVersion: version)])).status == 200)
    }

    @Test(arguments: Storage.allCases)
    func rulesInOrderWithPartialSuccess(storage: Storage) async throws {
        try await TK.withHarness(storage) { harness async throws in
            let ids = (0..<7).map { String(format: "%08x-0000-4000-8000-000000000000", $0) }
            let events = [
                TK.event(id: ids[0]),
                TK.event(id: ids[1], schemaVersion: "2.0", service: #"{"name":"","version":"","language":""}"#, userID: "x"),
                TK.event(id: ids[2], service: #"{"name":"","version":"","language":""}"#, userID: "x"),
                TK.event(id: ids[3], service: #"{"name":"n","version":"","language":""}"#, userID: "x"),
                TK.event(id: ids[4], userID: "anon_abc"),
                TK.event(id: ids[5].uppercased()),
                TK.event(id: ids[0].replacingOccurrences(of: "-", with: "")),
            ]
            let response = await TK.ingest(harness, TK.batch(events))
            #expect(response.status == 207)
            let expected =
                #"{"status":"partial","accepted":2,"rejected":5,"errors":["#
                + #"{"event_id":"\#(ids[1])","error":"unsupported_schema","message":"Unsupported schema version: 2.0"},"#
                + #"{"event_id":"\#(ids[2])","error":"invalid_schema","message":"Missing required field: service.name"},"#
                + #"{"event_id":"\#(ids[3])","error":"invalid_schema","message":"Missing required field: service.version"},"#
                + #"{"event_id":"\#(ids[4])","error":"invalid_schema","message":"User ID must start with 'client_'"},"#
                + #"{"event_id":"\#(ids[0])","error":"duplicate","message":"Event already ingested (duplicate event_id: \#(ids[0]))"}]}"#
            #expect(response.text == expected)
            let stored = try await TK.rows(harness, "SELECT event_id FROM events ORDER BY id").map { $0["event_id"] }
            #expect(stored == [.string(ids[0]), .string(ids[5])])
        }
    }

    @Test(arguments: Storage.allCases)
    func duplicatesAcrossRequestsInAnyForm(storage: Storage) async throws {
        try await TK.withHarness(storage) { harness async throws in
            let id = "0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b"
            #expect(await TK.ingest(harness, TK.minimalBody).status == 200)
            for form in [id, id.uppercased(), id.replacingOccurrences(of: "-", with: ""), "{\(id)}", "urn:uuid:\(id)"] {
                let response = await TK.ingest(harness, TK.batch([TK.event(id: form)]))
                #expect(response.status == 400)
                let expected =
                    #"{"error":"bad_request","errors":[{"error":"duplicate","event_id":"\#(id)","#
                    + #""message":"Event already ingested (duplicate event_id: \#(id))"}],"message":"All events rejected"}"#
                #expect(response.text == expected)
            }
            #expect(try await TK.eventCount(harness) == 1)
        }
    }

    @Test(arguments: Storage.allCases)
    func lengthOverflowUsesThePostgreSQLMessageOfTheFirstColumn(storage: Storage) async throws {
        try await TK.withHarness(storage) { harness async throws in
            let id = "22222222-2222-4222-8222-222222222222"
            // service_version (100) comes before user_id (255) and shell (50) in column order.
            let event = TK.event(
                id: id,
                service: #"{"name":"n","version":"\#(String(repeating: "v", count: 101))","language":"l"}"#,
                userID: "client_" + String(repeating: "u", count: 300),
                environment: #"{"os":"l","shell":"\#(String(repeating: "s", count: 51))"}"#
            )
            let response = await TK.ingest(harness, TK.batch([TK.event(), event]))
            #expect(response.status == 207)
            let expected =
                #"{"status":"partial","accepted":1,"rejected":1,"errors":[{"event_id":"\#(id)","error":"database_error","#
                + #""message":"Failed to insert event: error returned from database: value too long for type character varying(100)"}]}"#
            #expect(response.text == expected)
        }
    }

    @Test(
        arguments: Storage.allCases,
        [
            ("schema_version", 20), ("service.name", 255), ("service.version", 100), ("service.language", 50),
            ("service.language_version", 50), ("user_id", 255), ("session_id", 255), ("environment.os", 50),
            ("environment.os_version", 100), ("environment.arch", 50), ("environment.shell", 50), ("event.type", 100),
            ("event.category", 50), ("metadata.sdk_version", 50),
        ]
    )
    func eachLimitCountsCharacters(storage: Storage, column: (String, Int)) async throws {
        let (field, limit) = column
        try await TK.withHarness(storage) { harness async throws in
            func body(_ length: Int) -> String {
                let prefix = field == "user_id" ? "client_" : (field == "schema_version" ? "1." : "")
                let value = TK.quote(prefix + String(repeating: "é", count: length - prefix.count))
                let service =
                    #"{"name":\#(field == "service.name" ? value : #""n""#),"version":\#(field == "service.version" ? value : #""v""#),"#
                    + #""language":\#(field == "service.language" ? value : #""l""#),"language_version":\#(field == "service.language_version" ? value : "null")}"#
                let environment =
                    #"{"os":\#(field == "environment.os" ? value : #""l""#),"os_version":\#(field == "environment.os_version" ? value : "null"),"#
                    + #""arch":\#(field == "environment.arch" ? value : "null"),"shell":\#(field == "environment.shell" ? value : "null")}"#
                let event =
                    #"{"type":\#(field == "event.type" ? value : #""t""#),"category":\#(field == "event.category" ? value : "null"),"data":{}}"#
                let metadata =
                    #"{"sdk_version":\#(field == "metadata.sdk_version" ? value : #""s""#),"#
                    + #""transmission_timestamp":"2025-01-01T00:00:00Z","batch_size":1,"retry_count":0}"#
                var text = TK.event(
                    schemaVersion: field == "schema_version" ? "1." + String(repeating: "é", count: length - 2) : "1.0",
                    service: service,
                    userID: field == "user_id" ? "client_" + String(repeating: "é", count: length - 7) : "client_x",
                    environment: environment,
                    event: event,
                    metadata: metadata
                )
                if field == "session_id" {
                    text = text.replacingOccurrences(of: #""environment":"#, with: #""session_id":\#(value),"environment":"#)
                }
                return TK.batch([text])
            }
            #expect(await TK.ingest(harness, body(limit)).status == 200, "\(field) at \(limit)")
            let response = await TK.ingest(harness, body(limit + 1))
            #expect(response.status == 400, "\(field) at \(limit + 1)")
            #expect(response.text.contains("value too long for type character varying(\(limit))"), "\(response.text)")
        }
    }

    @Test(
        arguments: Storage.allCases,
        [
            (TK.event(userID: "client_\u{0}"), #"invalid byte sequence for encoding \"UTF8\": 0x00"#),
            (TK.event(event: #"{"type":"t","data":{"k":"a\u0000"}}"#), "unsupported Unicode escape sequence"),
            (TK.event(event: #"{"type":"t","data":{"k\u0000":1}}"#), "unsupported Unicode escape sequence"),
        ]
    )
    func nulCharactersAreDatabaseErrors(storage: Storage, item: (String, String)) async throws {
        let (event, message) = item
        try await TK.withHarness(storage) { harness async throws in
            let response = await TK.ingest(harness, TK.batch([event]))
            #expect(response.status == 400)
            let json = try JSONValue.parse(response.body)
            let item = json["errors"]?.arrayValue?.first
            #expect(item?["error"] == "database_error")
            #expect(
                item?["message"]?.stringValue
                    == "Failed to insert event: error returned from database: \(message.replacingOccurrences(of: "\\\"", with: "\""))"
            )
            #expect(try await TK.eventCount(harness) == 0)
        }
    }

    @Test func databaseErrorsArePerEvent() async throws {
        let harness = try await TK.makeHarness()
        try await TK.run(harness, "DROP TABLE events")
        let id = "0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b"
        let response = await TK.ingest(harness, TK.minimalBody)
        #expect(response.status == 400)
        let item = try JSONValue.parse(response.body)["errors"]?.arrayValue?.first
        #expect(item?["event_id"] == .string(id))
        #expect(item?["error"] == "database_error")
        #expect(item?["message"]?.stringValue?.hasPrefix("Database error: ") == true)
    }

    @Test func insertFailureKeepsEarlierEvents() async throws {
        let harness = try await TK.makeHarness()
        // A trigger that fails the second insert: the first stays stored (no batch transaction).
        try await TK.run(
            harness,
            "CREATE TRIGGER fail_second BEFORE INSERT ON events WHEN NEW.user_id = 'client_fail' BEGIN SELECT RAISE(ABORT, 'boom'); END"
        )
        let response = await TK.ingest(harness, TK.batch([TK.event(), TK.event(userID: "client_fail"), TK.event()]))
        #expect(response.status == 207)
        let json = try JSONValue.parse(response.body)
        #expect(json["accepted"] == .number(2))
        #expect(json["errors"]?.arrayValue?.first?["message"]?.stringValue?.hasPrefix("Failed to insert event: ") == true)
        #expect(try await TK.eventCount(harness) == 2)
    }
}
