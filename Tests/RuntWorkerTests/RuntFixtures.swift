import Flarelet
import Foundation
import RuntWorker

/// The contract cases of `fixtures/runt/`, generated here because the signatures are computed with the spec's
/// test key (seed 32 × 0x07). `ContractTests` checks that the committed files equal this output; set
/// `RUNT_REGENERATE_FIXTURES=1` when running that test to rewrite them.
///
/// Event timestamps are fixed (the signatures must be), so against a persistent server a second run adds no rows:
/// `INSERT OR IGNORE` keeps the 200/count answers the same, and the `rows` checks run in-process only.
enum RuntFixtures {
    static let seedFile = "000_7ded313d97317700.txt"
    static let pk = Runt.publicKey

    /// File name → case, in play order.
    static func all() throws -> [(file: String, case: JSONValue)] {
        var cases: [(String, JSONValue)] = []
        func add(_ file: String, _ name: String, _ source: String, setup: JSONValue? = nil, _ request: JSONValue, _ expect: JSONValue) {
            var object: JSONObject = ["name": .string(name), "source": .string(source)]
            object["setup"] = setup
            object["request"] = request
            object["expect"] = expect
            cases.append((file + ".json", .object(object)))
        }

        // MARK: Routing
        add(
            "01_options_preflight",
            "OPTIONS /telemetry is the CORS preflight: 200, three headers, no body",
            "runt.md §2.1",
            ["method": "OPTIONS", "path": "/telemetry"],
            ["status": 200, "headers": self.cors, "absentHeaders": ["Content-Type", "Access-Control-Max-Age"], "body": ""]
        )
        add(
            "02_options_any_path",
            "OPTIONS on any path answers the preflight",
            "runt.md §2.1",
            ["method": "OPTIONS", "path": "/some/other/path?x=1"],
            ["status": 200, "headers": self.cors, "absentHeaders": ["Content-Type"], "body": ""]
        )
        add("03_get_is_404", "GET /telemetry is 404 without CORS", "runt.md §2.2", ["method": "GET", "path": "/telemetry"], self.notFound)
        add(
            "04_put_is_404_not_405",
            "PUT /telemetry is 404 (there is no 405)",
            "runt.md §2.2",
            self.post(json: Runt.readmeBody, method: "PUT"),
            self.notFound
        )
        add("05_other_path_is_404", "POST to another path is 404", "runt.md §2.2", self.post(json: Runt.readmeBody, path: "/events"), self.notFound)
        add(
            "06_trailing_slash_is_404",
            "POST /telemetry/ (trailing slash) is 404",
            "runt.md §2.2",
            self.post(json: Runt.readmeBody, path: "/telemetry/"),
            self.notFound
        )

        // MARK: The README example and signatures
        add(
            "10_readme_example",
            "The README request, signed with the test key, is stored",
            "\(self.seedFile), API: POST /telemetry; runt.md §4 Test vector",
            self.post(json: Runt.readmeBody),
            self.ok(
                1,
                rows: [
                    self.rows(
                        "SELECT install_id, event_type, event_data, created_at FROM events WHERE install_id = ? AND created_at = ?",
                        [.string(pk), "2024-02-16T12:00:00Z"],
                        [
                            [
                                "install_id": .string(pk), "event_type": "auto_launch",
                                "event_data": #"{"runtime":"python","success":true,"prewarmed":true,"duration_ms":150}"#,
                                "created_at": "2024-02-16T12:00:00Z",
                            ]
                        ]
                    )
                ]
            )
        )
        add(
            "11_readme_example_resubmitted",
            "Resubmitting a signed batch answers the same count and adds no row",
            "runt.md §5 Idempotency",
            setup: ["requests": [["expectStatus": 200, "request": self.post(json: Runt.readmeBody)]]],
            self.post(json: Runt.readmeBody),
            self.ok(1, rows: [self.count(where: "install_id = ? AND event_type = 'auto_launch' AND created_at = '2024-02-16T12:00:00Z'", 1)])
        )
        let kernelStart: JSONValue = [
            ["event_type": "kernel_start", "data": ["runtime": "python", "trigger": "toolbar"], "timestamp": "2024-02-16T12:05:00Z"]
        ]
        add(
            "12_query_string_allowed",
            "A query string on /telemetry is allowed",
            "runt.md §2.2",
            self.post(json: try Runt.signed(kernelStart), path: "/telemetry?source=contract"),
            self.ok(1, rows: [self.count(where: "install_id = ? AND event_type = 'kernel_start' AND created_at = '2024-02-16T12:05:00Z'", 1)])
        )
        let tamperedData = Runt.readmeMessage.replacingFirst("\"duration_ms\":150", with: "\"duration_ms\":151")
        add(
            "13_tampered_data_rejected",
            "Changing the data after signing gives 401",
            "\(self.seedFile), Security Model: tampered payloads are rejected",
            self.post(body: self.rawBody(signature: Runt.readmeSignature, events: tamperedData)),
            self.error(401, "Invalid signature", rows: [self.count(where: "install_id = ? AND event_data LIKE '%151%'", 0)])
        )
        let tamperedTime = Runt.readmeMessage.replacingFirst("2024-02-16T12:00:00Z", with: "2024-02-16T12:00:01Z")
        add(
            "14_tampered_timestamp_rejected",
            "Changing the timestamp after signing gives 401",
            "runt.md §4",
            self.post(body: self.rawBody(signature: Runt.readmeSignature, events: tamperedTime)),
            self.error(401, "Invalid signature", rows: [self.count(where: "install_id = ? AND created_at = '2024-02-16T12:00:01Z'", 0)])
        )
        let appOpen: JSONValue = [
            ["event_type": "app_open", "data": ["notebook_type": "new", "runtime": "deno"], "timestamp": "2024-02-16T12:10:00Z"]
        ]
        add(
            "15_pretty_printed_body_accepted",
            "A pretty-printed body signed over the compact JSON.stringify form verifies",
            "runt.md §4 Message",
            self.post(body: try Runt.signed(appOpen).stringify(indent: 2)),
            self.ok(1, rows: [self.eventData(at: "2024-02-16T12:10:00Z", type: "app_open", #"{"notebook_type":"new","runtime":"deno"}"#)])
        )
        let floatRaw = #"[{"event_type":"contract_float","data":{"value":1.0},"timestamp":"2024-02-16T12:15:00Z"}]"#
        add(
            "16_raw_text_float_rejected",
            "A signature over the raw text with 1.0 fails: the server signs 1",
            "runt.md §4 Message; §7",
            self.post(body: self.rawBody(signature: try RuntSigner.signatureHex(seed: Runt.seed, message: floatRaw), events: floatRaw)),
            self.error(401, "Invalid signature", rows: [self.count(where: "install_id = ? AND event_type = 'contract_float'", 0)])
        )
        let keyOrderRaw = #"[{"event_type":"contract_key_order","data":{"b":1,"10":2},"timestamp":"2024-02-16T12:20:00Z"}]"#
        add(
            "17_raw_text_key_order_rejected",
            "A signature over the raw text with keys {\"b\",\"10\"} fails: JSON.stringify puts \"10\" first",
            "runt.md §4 Message",
            self.post(body: self.rawBody(signature: try RuntSigner.signatureHex(seed: Runt.seed, message: keyOrderRaw), events: keyOrderRaw)),
            self.error(401, "Invalid signature", rows: [self.count(where: "install_id = ? AND event_type = 'contract_key_order'", 0)])
        )
        let mixedRaw = #"[{"event_type":"contract_reserialised","data":{"value":1.0,"b":1,"10":2},"timestamp":"2024-02-16T12:25:00Z"}]"#
        let mixedStringified = #"[{"event_type":"contract_reserialised","data":{"10":2,"value":1,"b":1}"# + #","timestamp":"2024-02-16T12:25:00Z"}]"#
        add(
            "18_reserialised_form_accepted",
            "The same kind of raw text signed over its JSON.stringify form verifies and is stored re-serialised",
            "runt.md §4 Message",
            self.post(body: self.rawBody(signature: try RuntSigner.signatureHex(seed: Runt.seed, message: mixedStringified), events: mixedRaw)),
            self.ok(1, rows: [self.eventData(at: "2024-02-16T12:25:00Z", type: "contract_reserialised", #"{"10":2,"value":1,"b":1}"#)])
        )

        // MARK: Required fields and parsing
        add(
            "20_missing_public_key",
            "A body without public_key is 400",
            "runt.md §3.2",
            self.post(json: Runt.replacing("public_key", with: nil, in: Runt.readmeBody)),
            self.error(400, "Missing required fields")
        )
        add(
            "21_missing_signature",
            "A body without signature is 400",
            "runt.md §3.2",
            self.post(json: Runt.replacing("signature", with: nil, in: Runt.readmeBody)),
            self.error(400, "Missing required fields")
        )
        add(
            "22_missing_events",
            "A body without events is 400",
            "runt.md §3.2",
            self.post(json: Runt.replacing("events", with: nil, in: Runt.readmeBody)),
            self.error(400, "Missing required fields")
        )
        add(
            "23_empty_public_key",
            "An empty public_key is falsy: 400",
            "runt.md §3.2",
            self.post(json: Runt.replacing("public_key", with: "", in: Runt.readmeBody)),
            self.error(400, "Missing required fields")
        )
        add(
            "24_null_signature",
            "A null signature is falsy: 400",
            "runt.md §3.2",
            self.post(json: Runt.replacing("signature", with: .null, in: Runt.readmeBody)),
            self.error(400, "Missing required fields")
        )
        add(
            "25_zero_events",
            "events: 0 is falsy: 400",
            "runt.md §3.2",
            self.post(json: Runt.replacing("events", with: 0, in: Runt.readmeBody)),
            self.error(400, "Missing required fields")
        )
        add(
            "26_top_level_array",
            "A top-level array has no fields: 400",
            "runt.md §3.1",
            self.post(body: "[]"),
            self.error(400, "Missing required fields")
        )
        add(
            "27_invalid_json",
            "A body that is not JSON is 500",
            "runt.md §3.1",
            self.post(body: "{\"public_key\":"),
            self.error(500, "Internal error")
        )
        add("28_top_level_null", "A top-level null is 500", "runt.md §3.1", self.post(body: "null"), self.error(500, "Internal error"))
        add("29_empty_body", "An empty body is 500", "runt.md §3.1", self.post(body: ""), self.error(500, "Internal error"))

        // MARK: Public key and signature format
        add(
            "30_public_key_too_short",
            "A 62-character public key is 400",
            "runt.md §3.3",
            self.post(json: Runt.replacing("public_key", with: .string(String(pk.dropLast(2))), in: Runt.readmeBody)),
            self.error(400, "Invalid public key format")
        )
        add(
            "31_public_key_not_hex",
            "A 64-character public key with a non-hex character is 400",
            "runt.md §3.3",
            self.post(json: Runt.replacing("public_key", with: .string("g" + pk.dropFirst()), in: Runt.readmeBody)),
            self.error(400, "Invalid public key format")
        )
        add(
            "32_public_key_number",
            "A numeric public key is 400",
            "runt.md §3.3",
            self.post(json: Runt.replacing("public_key", with: 12345, in: Runt.readmeBody)),
            self.error(400, "Invalid public key format")
        )
        let upperKeyEvents: JSONValue = [["event_type": "app_open", "timestamp": "2024-02-16T12:30:00Z"]]
        let upperKeyBody = Runt.replacing("public_key", with: .string(pk.uppercased()), in: try Runt.signed(upperKeyEvents))
        add(
            "33_upper_case_public_key_verifies",
            "An upper-case public key verifies and is stored as sent (a different install_id)",
            "runt.md §3.3; §5",
            self.post(json: upperKeyBody),
            self.ok(
                1,
                rows: [
                    self.rows(
                        "SELECT install_id, event_data FROM events WHERE created_at = ?",
                        ["2024-02-16T12:30:00Z"],
                        [["install_id": .string(pk.uppercased()), "event_data": nil]]
                    )
                ]
            )
        )
        add(
            "34_upper_case_signature_verifies",
            "An upper-case signature verifies",
            "runt.md §4 Hex decoding",
            self.post(json: Runt.replacing("signature", with: .string(Runt.readmeSignature.uppercased()), in: Runt.readmeBody)),
            self.ok(1)
        )
        let minusOne = Runt.readmeSignature.replacingFirst("72ff8f", with: "72-18f")
        add(
            "35_signature_minus_one_for_ff",
            "parseInt('-1', 16) wraps to 255: replacing the signature's ff byte with -1 still verifies",
            "runt.md §4 Hex decoding",
            self.post(json: Runt.replacing("signature", with: .string(minusOne), in: Runt.readmeBody)),
            self.ok(1)
        )
        add(
            "36_bad_signature",
            "A signature with one byte changed is 401",
            "runt.md §4",
            self.post(json: Runt.replacing("signature", with: .string("bc" + Runt.readmeSignature.dropFirst(2)), in: Runt.readmeBody)),
            self.error(401, "Invalid signature")
        )
        add(
            "37_signature_wrong_length",
            "A 130-character signature is 401",
            "runt.md §4 Hex decoding",
            self.post(json: Runt.replacing("signature", with: .string(Runt.readmeSignature + "00"), in: Runt.readmeBody)),
            self.error(401, "Invalid signature")
        )
        add(
            "38_signature_number",
            "A numeric signature is 401",
            "runt.md §4 Hex decoding",
            self.post(json: Runt.replacing("signature", with: 12345, in: Runt.readmeBody)),
            self.error(401, "Invalid signature")
        )

        // MARK: The cap and the batch
        let hundredAndOne = Runt.events(101, type: "contract_batch_101")
        add(
            "40_101_events_unsigned",
            "101 events with a signature over other content are 401 (the cap comes after the signature)",
            "runt.md §3.5",
            self.post(json: Runt.replacing("events", with: hundredAndOne, in: Runt.readmeBody)),
            self.error(401, "Invalid signature", rows: [self.count(where: "install_id = ? AND event_type = 'contract_batch_101'", 0)])
        )
        add(
            "41_101_events_signed",
            "101 correctly signed events are 400",
            "runt.md §3.5",
            self.post(json: try Runt.signed(hundredAndOne)),
            self.error(400, "Too many events (max 100)", rows: [self.count(where: "install_id = ? AND event_type = 'contract_batch_101'", 0)])
        )
        add(
            "42_100_events_signed",
            "Exactly 100 signed events are stored",
            "runt.md §3.5",
            self.post(json: try Runt.signed(Runt.events(100, type: "contract_batch_100"))),
            self.ok(100, rows: [self.count(where: "install_id = ? AND event_type = 'contract_batch_100'", 100)])
        )
        add(
            "43_empty_events_signed",
            "events: [] signed over [] passes every check; D1 rejects the empty batch: 500",
            "runt.md §5",
            self.post(json: try Runt.signed([])),
            self.error(500, "Internal error")
        )
        add(
            "44_events_object_signed",
            "events: {} signed over {}: the per-event mapping fails: 500",
            "runt.md §5",
            self.post(json: try Runt.signed([:])),
            self.error(500, "Internal error")
        )
        let rollback: JSONValue = [
            ["event_type": "contract_rollback", "timestamp": "2024-02-16T12:35:00Z"],
            ["data": ["note": "no event_type"], "timestamp": "2024-02-16T12:35:01Z"],
        ]
        add(
            "45_missing_event_type_rolls_back",
            "An event without event_type fails the whole batch: 500, nothing stored",
            "runt.md §5",
            self.post(json: try Runt.signed(rollback)),
            self.error(500, "Internal error", rows: [self.count(where: "install_id = ? AND event_type = 'contract_rollback'", 0)])
        )
        let nullType: JSONValue = [["event_type": nil, "timestamp": "2024-02-16T12:40:00Z"]]
        add(
            "46_null_event_type_ignored",
            "event_type: null is counted, and OR IGNORE drops the NOT NULL violation",
            "runt.md §5",
            self.post(json: try Runt.signed(nullType)),
            self.ok(1, rows: [self.count(where: "install_id = ? AND created_at = '2024-02-16T12:40:00Z'", 0)])
        )
        let mapping: JSONValue = [
            ["event_type": "contract_string_data", "data": "str", "timestamp": "2024-02-16T12:45:00Z"],
            ["event_type": "contract_falsy_data", "data": 0, "timestamp": "2024-02-16T12:45:00Z"],
            ["event_type": "contract_numeric_timestamp", "timestamp": 5],
            ["event_type": "contract_server_time"],
        ]
        add(
            "47_data_and_timestamp_mapping",
            "Truthy data is stored as JSON text, falsy as NULL; a numeric timestamp is bound as REAL; a missing one is the server time",
            "runt.md §5 Insert",
            self.post(json: try Runt.signed(mapping)),
            self.ok(
                4,
                rows: [
                    self.rows(
                        "SELECT event_type, event_data, created_at FROM events WHERE install_id = ? AND event_type IN "
                            + "('contract_string_data', 'contract_falsy_data', 'contract_numeric_timestamp', 'contract_server_time') ORDER BY id",
                        [.string(pk)],
                        [
                            ["event_type": "contract_string_data", "event_data": #""str""#, "created_at": "2024-02-16T12:45:00Z"],
                            ["event_type": "contract_falsy_data", "event_data": nil, "created_at": "2024-02-16T12:45:00Z"],
                            ["event_type": "contract_numeric_timestamp", "event_data": nil, "created_at": "5.0"],
                            ["event_type": "contract_server_time", "event_data": nil, "created_at": "{{iso}}"],
                        ]
                    )
                ]
            )
        )
        let duplicates: JSONValue = [
            ["event_type": "contract_duplicate", "data": ["n": 1], "timestamp": "2024-02-16T12:50:00Z"],
            ["event_type": "contract_duplicate", "data": ["n": 2], "timestamp": "2024-02-16T12:50:00Z"],
        ]
        add(
            "48_duplicate_in_batch",
            "Two events with the same install, type and timestamp: count 2, one row (the first)",
            "runt.md §5",
            self.post(json: try Runt.signed(duplicates)),
            self.ok(
                2,
                rows: [
                    self.rows(
                        "SELECT event_data FROM events WHERE install_id = ? AND event_type = 'contract_duplicate'",
                        [.string(pk)],
                        [["event_data": #"{"n":1}"#]]
                    )
                ]
            )
        )

        // MARK: Issue 13: JavaScript strings, depth, paths and lenient signatures
        let canonical: JSONValue = [
            [
                "event_type": "contract_unicode_keys",
                "data": .object(JSONObject([(JSString("\u{E9}"), 1), (JSString("e\u{301}"), 2)])),
                "timestamp": "2024-03-01T00:00:00Z",
            ]
        ]
        add(
            "50_canonically_equivalent_keys_signed",
            "Keys \"é\" (U+00E9) and \"é\" (e + U+0301) are two keys: the signature over JSON.stringify verifies",
            "issue 13 cause 1; runt.md §4",
            self.post(json: try Runt.signed(canonical)),
            self.ok(1, rows: [self.eventData(at: "2024-03-01T00:00:00Z", type: "contract_unicode_keys", "{\"\u{E9}\":1,\"e\u{301}\":2}")])
        )
        let lone: JSONValue = [
            [
                "event_type": .string(JSString(codeUnits: Array("contract_lone_".utf16) + [0xD800])),
                "data": .object(JSONObject([(JSString("note"), .string(JSString(codeUnits: [0xDC00])))])),
                "timestamp": "2024-03-01T00:01:00Z",
            ]
        ]
        add(
            "51_lone_surrogates_signed",
            "Lone surrogates are signed as their \\uXXXX escapes and verify; D1 text gets U+FFFD",
            "issue 13 cause 2; runt.md §4",
            self.post(json: try Runt.signed(lone)),
            self.ok(1, rows: [self.eventData(at: "2024-03-01T00:01:00Z", type: "contract_lone_\u{FFFD}", #"{"note":"\udc00"}"#)])
        )
        var deep = JSONValue.array([])
        for _ in 1..<600 { deep = .array([deep]) }
        let deepEvents: JSONValue = [["event_type": "contract_deep", "data": ["deep": deep], "timestamp": "2024-03-01T00:02:00Z"]]
        let deepBody = Self.rawBody(
            signature: try RuntSigner.signatureHex(seed: Runt.seed, message: deepEvents.stringify()),
            events: #"[{"event_type":"contract_deep","data":{"deep":{{repeat: 600 "["}}{{repeat: 600 "]"}}},"timestamp":"2024-03-01T00:02:00Z"}]"#
        )
        add(
            "52_deep_data_600_levels_signed",
            "Event data nested 600 levels deep is signed, verified and stored",
            "issue 13 cause 3",
            self.post(body: deepBody),
            self.ok(1, rows: [self.eventData(at: "2024-03-01T00:02:00Z", type: "contract_deep", JSONValue.object(["deep": deep]).stringify())])
        )
        let pairs = stride(from: 0, to: 128, by: 2).map { offset -> JSONValue in
            let start = Runt.readmeSignature.index(Runt.readmeSignature.startIndex, offsetBy: offset)
            return .string(String(Runt.readmeSignature[start..<Runt.readmeSignature.index(start, offsetBy: 2)]))
        }
        let arraySignature = JSONValue.array(pairs.flatMap { [$0, "x"] })
        add(
            "53_signature_as_json_array_verifies",
            "A signature sent as a 128-element array decodes like upstream's hexToBytes (parseInt(String(slice), 16)) and verifies",
            "issue 13 cause 6; runt.md §4",
            self.post(json: Runt.replacing("signature", with: arraySignature, in: Runt.readmeBody)),
            self.ok(1)
        )
        add(
            "54_dot_segment_path",
            "POST /x/../telemetry has pathname /telemetry (WHATWG URL) and is handled",
            "issue 13 cause 5; runt.md §2.2",
            self.post(json: Runt.readmeBody, path: "/x/../telemetry"),
            self.ok(1)
        )
        add(
            "55_percent_encoded_dot_path",
            "POST /%2e/telemetry has pathname /telemetry and is handled",
            "issue 13 cause 5",
            self.post(json: Runt.readmeBody, path: "/%2e/telemetry"),
            self.ok(1)
        )
        return cases
    }

    // MARK: Building blocks

    static let cors: JSONValue = [
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
    ]

    static let jsonHeaders: JSONValue = [
        "Content-Type": "application/json",
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
    ]

    static let notFound: JSONValue = [
        "status": 404,
        "headers": ["Content-Type": "text/plain;charset=UTF-8"],
        "absentHeaders": ["Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"],
        "body": "Not Found",
    ]

    static func post(json: JSONValue, method: String = "POST", path: String = "/telemetry") -> JSONValue {
        ["method": .string(method), "path": .string(path), "headers": ["Content-Type": "application/json"], "json": json]
    }

    static func post(body: String) -> JSONValue {
        ["method": "POST", "path": "/telemetry", "headers": ["Content-Type": "application/json"], "body": .string(body)]
    }

    /// A body text with the test public key, `signature`, and the raw `events` text.
    static func rawBody(signature: String, events: String) -> String {
        #"{"public_key":"\#(pk)","signature":"\#(signature)","events":\#(events)}"#
    }

    static func ok(_ count: Int, rows: [JSONValue] = []) -> JSONValue {
        var expect: JSONObject = ["status": 200, "headers": self.jsonHeaders, "json": ["success": true, "count": .number(Double(count))]]
        if !rows.isEmpty { expect["rows"] = .array(rows) }
        return .object(expect)
    }

    static func error(_ status: Int, _ message: String, rows: [JSONValue] = []) -> JSONValue {
        var expect: JSONObject = ["status": .number(Double(status)), "headers": self.jsonHeaders, "json": ["error": .string(message)]]
        if !rows.isEmpty { expect["rows"] = .array(rows) }
        return .object(expect)
    }

    static func rows(_ sql: String, _ params: [JSONValue], _ equals: JSONValue) -> JSONValue {
        ["binding": "DB", "sql": .string(sql), "params": .array(params), "equals": equals]
    }

    /// `SELECT COUNT(*) AS n FROM events WHERE <condition>` with the test key as the first parameter.
    static func count(where condition: String, _ n: Int) -> JSONValue {
        self.rows("SELECT COUNT(*) AS n FROM events WHERE \(condition)", [.string(pk)], [["n": .number(Double(n))]])
    }

    static func eventData(at timestamp: String, type: String, _ data: String) -> JSONValue {
        self.rows(
            "SELECT event_data FROM events WHERE install_id = ? AND event_type = ? AND created_at = ?",
            [.string(pk), .string(type), .string(timestamp)],
            [["event_data": .string(data)]]
        )
    }
}

extension String {
    /// `self` with the first occurrence of `target` replaced (unchanged when absent).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = self.range(of: target) else { return self }
        return self.replacingCharacters(in: range, with: replacement)
    }
}
