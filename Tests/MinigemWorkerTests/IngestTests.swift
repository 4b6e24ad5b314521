import Flarelet
import FlareletTesting
import Foundation
import Testing

@testable import MinigemWorker

struct IngestTests {
    static let anon = "0123456789abcdef0123456789abcdef"
    static let columns =
        "t, t_ms, anon, evt, os, ext, vscode, country, region, duration_ms, wait_ms_total, exit_code, session_id, out_bytes_bucket, "
        + "scanner_usage, truncated_output, error_phase, exception_hash, m"

    @Test func validEventIsStoredWithDefaults() async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.ingest(event())
            #expect(response.status == 200)
            #expect(response.text == okBody(1, 0))
            #expect(response.headers["content-type"] == jsonType)
            let rows = try await minigem.rows("SELECT id, \(Self.columns) FROM telemetry_events")
            let expected: JSONObject = [
                "id": .integer(1), "t": "2026-01-01T00:00:00.000Z", "t_ms": .integer(startMilliseconds), "anon": .string(Self.anon),
                "evt": "test.ping", "os": "unknown", "ext": "0.0.0", "vscode": "0.0.0", "country": nil, "region": nil, "duration_ms": nil,
                "wait_ms_total": nil, "exit_code": nil, "session_id": nil, "out_bytes_bucket": nil, "scanner_usage": nil,
                "truncated_output": nil, "error_phase": nil, "exception_hash": nil, "m": nil,
            ]
            #expect(rows == [expected])
        }
    }

    /// `t` as sent → stored milliseconds (nil: skipped).
    @Test(arguments: [
        (JSONValue.number(1_767_225_600_000), Int64?.some(1_767_225_600_000)),
        (.number(1_767_225_600), 1_767_225_600_000),
        (.number(1e9), 1_000_000_000_000),
        (.number(999_999_999), 999_999_999_000_000),
        (.number(5), 5_000_000),
        (.number(0), 0),
        (.number(-1), -1_000_000),
        (.number(1_767_225_600_000.9), 1_767_225_600_000),
        (.number(-0.000_000_5), 0),
        (.number(8.64e15), 8_640_000_000_000_000),
        (.number(8.64e15 + 2), nil),
        (.number(-8.64e9), -8_640_000_000_000_000),
        (.number(-8.65e9), nil),
        (.string(" 1767225600000 "), 1_767_225_600_000),
        (.string(""), 0),
        (.string("  "), 0),
        (.string("0x10"), 16_000_000),
        (.string("0b11"), 3_000_000),
        (.string("1e3"), 1_000_000_000),
        (.string(".5"), 500_000),
        (.string("+7."), 7_000_000),
        (.string("2024-08-15T00:00:00Z"), nil),
        (.string("12abc"), nil),
        (.string("Infinity"), nil),
        (.string("-0x10"), nil),
        (.string("1e"), nil),
        (.bool(true), nil),
        (.null, nil),
        (.object(JSONObject()), nil),
        (.array([1]), nil),
    ])
    func timestampRules(t: JSONValue, stored: Int64?) async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.ingest(event(t: t))
            #expect(response.text == (stored == nil ? okBody(0, 1) : okBody(1, 0)))
            let rows = try await minigem.rows("SELECT t, t_ms FROM telemetry_events")
            if let stored {
                #expect(rows == [["t": .string(ISOTime.string(milliseconds: stored)), "t_ms": .integer(stored)]])
            } else {
                #expect(rows.isEmpty)
            }
        }
    }

    @Test func missingTIsSkipped() async throws {
        try await withMinigem { minigem async throws in
            #expect(await minigem.ingest(event([("t", nil)])).text == okBody(0, 1))
        }
    }

    @Test func expandedYearsAndNegativeDatesPrintLikeJavaScript() {
        #expect(ISOTime.string(milliseconds: 8_640_000_000_000_000) == "+275760-09-13T00:00:00.000Z")
        #expect(ISOTime.string(milliseconds: -8_640_000_000_000_000) == "-271821-04-20T00:00:00.000Z")
        #expect(ISOTime.string(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(ISOTime.string(milliseconds: 253_402_300_800_000) == "+010000-01-01T00:00:00.000Z")
        #expect(ISOTime.string(milliseconds: -62_167_219_200_001) == "-000001-12-31T23:59:59.999Z")
    }

    @Test(arguments: [
        ("anon", JSONValue.string("0123456789ABCDEF0123456789abcdef")),
        ("anon", .string("0123456789abcdef0123456789abcde")),
        ("anon", .string("0123456789abcdef0123456789abcdef0")),
        ("anon", .string("0123456789abcdef0123456789abcdef\n")),
        ("anon", .string("0123456789abcdeg0123456789abcdef")),
        ("anon", .number(1)),
        ("anon", .null),
        ("evt", .string("app.started")),
        ("evt", .string("Test.Ping")),
        ("evt", .string("test.ping ")),
        ("evt", .number(1)),
        ("ext", .string(String(repeating: "x", count: 31))),
        ("vscode", .string(String(repeating: "é", count: 31))),
        ("os", .string(String(repeating: "😀", count: 16))),
        ("os", .string("a\u{0}b")),
    ])
    func invalidFieldIsSkipped(field: String, value: JSONValue) async throws {
        try await withMinigem { minigem async throws in
            #expect(await minigem.ingest(event([(field, value)])).text == okBody(0, 1))
            #expect(try await minigem.rows("SELECT id FROM telemetry_events").isEmpty)
        }
    }

    @Test func fieldsAtTheirLimitsAndDefaultsForNonStrings() async throws {
        try await withMinigem { minigem async throws in
            let payload = event([
                ("ext", .string(String(repeating: "x", count: 30))), ("vscode", .number(1)), ("os", .string(String(repeating: "😀", count: 15))),
            ])
            #expect(await minigem.ingest(payload).text == okBody(1, 0))
            let rows = try await minigem.rows("SELECT os, ext, vscode FROM telemetry_events")
            #expect(
                rows == [["os": .string(String(repeating: "😀", count: 15)), "ext": .string(String(repeating: "x", count: 30)), "vscode": "0.0.0"]]
            )
        }
    }

    @Test func allSixteenEventNamesAreAccepted() async throws {
        try await withMinigem { minigem async throws in
            let batch = TelemetryEvent.eventNames.sorted().map { name -> JSONValue in
                ["anon": .string(Self.anon), "evt": .string(name), "t": .number(Double(startMilliseconds))]
            }
            #expect(TelemetryEvent.eventNames.count == 16)
            #expect(await minigem.ingest(["schema": "jwc.v1", "batch": .array(batch)]).text == okBody(16, 0))
        }
    }

    @Test func metricColumnsFollowTheValueRules() async throws {
        try await withMinigem { minigem async throws in
            let m: JSONValue = [
                "durationMs": 1234, "waitMsTotal": " -56 ", "exit": 130.0, "sessionId": "from-m", "cumulativeBytesBucket": ["a", 1, nil, ["b\"c"]],
                "scannerUsage": false, "truncatedOutput": "true", "phase": 1e21, "exceptionHash": ["k": true],
            ]
            let payload = event([("sessionId", "top"), ("m", m), ("os", ""), ("ext", "")])
            let headers: Headers = ["Content-Type": "application/json", "X-Geo-Country": "", "X-Country-Code": "us", "CF-Region-Code": "ca"]
            #expect(await minigem.ingest(payload, headers: headers).text == okBody(1, 0))
            let rows = try await minigem.rows("SELECT \(Self.columns) FROM telemetry_events")
            let expected: JSONObject = [
                "t": "2026-01-01T00:00:00.000Z", "t_ms": .integer(startMilliseconds), "anon": .string(Self.anon), "evt": "test.ping",
                "os": nil, "ext": nil, "vscode": "0.0.0", "country": "US", "region": "CA", "duration_ms": .integer(1234),
                "wait_ms_total": .integer(-56), "exit_code": .integer(130), "session_id": "top",
                "out_bytes_bucket": #"{"a","1",NULL,{"b\"c"}}"#, "scanner_usage": .integer(0), "truncated_output": nil,
                "error_phase": "1e+21", "exception_hash": #"{"k":true}"#, "m": .string(m.stringify()),
            ]
            #expect(rows == [expected])
        }
    }

    @Test func sessionIdFallsBackToMAndEmptyValuesAreKept() async throws {
        try await withMinigem { minigem async throws in
            let payloads: [JSONValue] = [
                event([("sessionId", nil), ("m", ["sessionId": "m1", "exit": 0, "durationMs": "0"])]),
                event([("sessionId", .null), ("m", ["sessionId": "m2"])]),
                event([("sessionId", ""), ("m", ["sessionId": "m3", "phase": "", "scannerUsage": true])]),
            ]
            for payload in payloads { #expect(await minigem.ingest(payload).text == okBody(1, 0)) }
            let rows = try await minigem.rows(
                "SELECT session_id, exit_code, duration_ms, error_phase, scanner_usage FROM telemetry_events ORDER BY id"
            )
            #expect(rows.map { $0["session_id"] } == [.string("m1"), .string("m2"), .string("")])
            #expect(rows[0]["exit_code"] == .integer(0))
            #expect(rows[0]["duration_ms"] == .integer(0))
            #expect(rows[2]["error_phase"] == .string(""))
            #expect(rows[2]["scanner_usage"] == .integer(1))
        }
    }

    /// Values of `m` that make the insert fail (the event is skipped).
    @Test(arguments: [
        ("durationMs", JSONValue.number(12.5)),
        ("durationMs", .number(1e21)),
        ("durationMs", .number(1e19)),
        ("durationMs", .string("abc")),
        ("durationMs", .string("0x10")),
        ("durationMs", .string("12.0")),
        ("durationMs", .string("9223372036854775808")),
        ("durationMs", .bool(true)),
        ("durationMs", .object(JSONObject())),
        ("waitMsTotal", .array([])),
        ("exit", .number(2_147_483_648)),
        ("exit", .string("-2147483649")),
        ("sessionId", .string("a\u{0}b")),
        ("phase", .array([.string("\u{0}")])),
        ("custom", .string("x\u{0}")),
    ])
    func invalidMetricSkipsTheEvent(key: String, value: JSONValue) async throws {
        try await withMinigem { minigem async throws in
            #expect(await minigem.ingest(event([("m", .object([key: value]))])).text == okBody(0, 1))
        }
    }

    @Test func integerBoundariesAreAccepted() async throws {
        try await withMinigem { minigem async throws in
            let m: JSONValue = ["durationMs": "9223372036854775807", "waitMsTotal": "-9223372036854775808", "exit": -2_147_483_648]
            #expect(await minigem.ingest(event([("m", m)])).text == okBody(1, 0))
            let rows = try await minigem.rows("SELECT duration_ms, wait_ms_total, exit_code FROM telemetry_events")
            #expect(rows == [["duration_ms": .integer(.max), "wait_ms_total": .integer(.min), "exit_code": .integer(-2_147_483_648)]])
        }
    }

    @Test(arguments: [
        (JSONValue.string("ab"), JSONValue.string(#""ab""#)),
        (.array([1]), .string("[1]")),
        (.number(5), .null),
        (.bool(true), .null),
        (.array([]), .null),
        (.string(""), .null),
        (.object(JSONObject()), .null),
        (.null, .null),
    ])
    func mColumn(m: JSONValue, stored: JSONValue) async throws {
        try await withMinigem { minigem async throws in
            #expect(await minigem.ingest(event([("m", m)])).text == okBody(1, 0))
            #expect(try await minigem.rows("SELECT m FROM telemetry_events") == [["m": stored]])
        }
    }

    @Test func batchCountsInOrderAndIgnoresTheEnvelope() async throws {
        try await withMinigem { minigem async throws in
            let valid: JSONValue = ["anon": .string(Self.anon), "evt": "java.run.started", "t": 1_767_225_601]
            let payload: JSONValue = [
                "schema": " Jwc.V1\n", "anon": "bad", "evt": "test.ping", "t": 1,
                "batch": [valid, nil, false, 0, "", "text", ["anon": .string(Self.anon), "evt": "nope", "t": 1], valid, ["m": ["durationMs": 1.5]]],
            ]
            #expect(await minigem.ingest(payload).text == okBody(2, 7))
            let rows = try await minigem.rows("SELECT t_ms, evt FROM telemetry_events ORDER BY id")
            #expect(rows == Array(repeating: ["t_ms": .integer(1_767_225_601_000), "evt": "java.run.started"], count: 2))
        }
    }

    @Test func batchThatIsNotAnArrayMeansASingleEvent() async throws {
        try await withMinigem { minigem async throws in
            #expect(await minigem.ingest(event([("batch", ["x": 1])])).text == okBody(1, 0))
            #expect(await minigem.ingest(["schema": "jwc.v1", "batch": []]).text == okBody(0, 0))
        }
    }

    @Test(arguments: [
        (#"{"anon":"x"}"#, "application/json"),
        (#"{"schema":"jwc.v2"}"#, "application/json"),
        (#"{"schema":["jwc.v1"]}"#, "application/json"),
        (#"[{"schema":"jwc.v1"}]"#, "application/json"),
        ("null", "application/json"),
        ("\"jwc.v1\"", "application/json"),
        (#"{"schema":"jwc.v1"}"#, "text/plain; charset=utf-8"),
        ("", "text/plain"),
    ])
    func schemaUnsupported(body: String, contentType: String) async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.request("POST", "/t", headers: ["Content-Type": contentType], body: body)
            #expect(response.status == 400)
            #expect(response.text == #"{"error":"schema_unsupported","expected":"jwc.v1"}"#)
            #expect(response.headers["content-type"] == jsonType)
        }
    }

    @Test func noBodyAndNoContentTypeIsSchemaUnsupported() async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.request("POST", "/t")
            #expect(response.status == 400)
            #expect(response.text == #"{"error":"schema_unsupported","expected":"jwc.v1"}"#)
        }
    }

    @Test func withoutDatabaseIngestionIs503BeforeTheSchemaCheck() async throws {
        try await withMinigem(database: false) { minigem async throws in
            for body in ["{}", #"{"schema":"jwc.v1"}"#] {
                let response = await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: body)
                #expect(response.status == 503)
                #expect(response.text == #"{"error":"db_disabled","message":"Database not configured. Ingestion requires DB-only mode."}"#)
            }
            // Body parsing comes first.
            #expect(await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: "{").status == 400)
        }
    }

    @Test func providerHeadersAndClientIP() {
        #expect(Geo.lookup(["CF-IPCountry": "xx", "CF-Region-Code": "t1"]) == ("XX", "T1"))
        #expect(Geo.lookup(["X-Region": "ca"]) == ("", ""))
        #expect(Geo.lookup(["X-AppEngine-Country": "fr", "X-Geo-Region": ""]) == ("FR", ""))
        #expect(Geo.lookup(["Fastly-Country-Code": "jp", "X-AppEngine-Region": "13", "X-Region": "zz"]) == ("JP", "13"))
        #expect(Geo.clientIP(["CF-Connecting-IP": "10.0.0.1", "X-Forwarded-For": "192.168.1.1, , 203.0.113.5"]) == "203.0.113.5")
        #expect(Geo.clientIP(["CF-Connecting-IP": "127.0.0.1", "X-Real-IP": "172.20.0.1"]) == "127.0.0.1")
        #expect(Geo.clientIP(["X-Client-IP": "172.32.0.1", "CF-Connecting-IP": "fd00::1"]) == "172.32.0.1")
        #expect(Geo.isPrivate("172.31.255.1") && Geo.isPrivate("::1") && Geo.isPrivate("fe80::1") && !Geo.isPrivate("FE80::1"))
        #expect(Geo.requestIP(["X-Forwarded-For": "  1.2.3.4 , 5.6.7.8", "CF-Connecting-IP": "9.9.9.9"]) == "1.2.3.4")
        #expect(Geo.requestIP(["CF-Connecting-IP": "9.9.9.9"]) == "9.9.9.9")
    }

    @Test func javaScriptNumberConversion() {
        #expect(JavaScript.stringToNumber("\u{FEFF}\u{2028} 42 \t") == 42)
        #expect(JavaScript.stringToNumber("0XfF") == 255)
        #expect(JavaScript.stringToNumber("0o17") == 15)
        #expect(JavaScript.stringToNumber("-Infinity") == -.infinity)
        #expect(JavaScript.stringToNumber("1_000").isNaN)
        #expect(JavaScript.stringToNumber(".").isNaN)
        #expect(JavaScript.stringToNumber("0x").isNaN)
        #expect(JavaScript.stringToNumber("1.5e-3") == 0.0015)
    }
}
