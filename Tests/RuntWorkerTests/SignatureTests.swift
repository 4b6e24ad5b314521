import Flarelet
import FlareletTesting
import Foundation
import RuntWorker
import Testing

/// Section 4 of the spec: what is signed, how the hex is decoded, when verification fails.
struct SignatureTests {
    // MARK: Test vector

    @Test func specTestVector() throws {
        #expect(try RuntSigner.publicKeyHex(seed: Runt.seed) == Runt.publicKey)
        #expect(Runt.readmeEvents.stringify() == Runt.readmeMessage)
        #expect(Runt.readmeMessage.utf8.count == 143)
        #expect(try RuntSigner.signatureHex(seed: Runt.seed, message: Runt.readmeMessage) == Runt.readmeSignature)
        let verified = Crypto.ed25519Verify(
            publicKey: try #require(Hex.decode(Runt.publicKey)),
            signature: try #require(Hex.decode(Runt.readmeSignature)),
            message: Array(Runt.readmeMessage.utf8)
        )
        #expect(verified)
    }

    @Test func readmeExampleIsAccepted() async throws {
        let harness = try await Runt.harness()
        expectJSON(await harness.postTelemetry(Runt.readmeBody), status: 200, #"{"success":true,"count":1}"#)
    }

    // MARK: The message is JSON.stringify(events), not the raw bytes

    @Test func prettyPrintedBodySignedOverTheCompactFormIsAccepted() async throws {
        let harness = try await Runt.harness()
        let pretty = Runt.readmeBody.stringify(indent: 2)
        #expect(pretty.contains("\n  \"events\": [\n"))
        expectJSON(await harness.postTelemetry(pretty), status: 200, #"{"success":true,"count":1}"#)
    }

    /// Raw `events` texts whose `JSON.stringify` differs, and that form.
    static let reserialised: [(raw: String, stringified: String)] = [
        (#"[{"event_type":"f","data":{"value":1.0},"timestamp":"t1"}]"#, #"[{"event_type":"f","data":{"value":1},"timestamp":"t1"}]"#),
        (#"[{"event_type":"k","data":{"b":1,"10":2},"timestamp":"t2"}]"#, #"[{"event_type":"k","data":{"10":2,"b":1},"timestamp":"t2"}]"#),
        (#"[{"event_type":"d","data":{"a":1,"b":2,"a":3},"timestamp":"t3"}]"#, #"[{"event_type":"d","data":{"a":3,"b":2},"timestamp":"t3"}]"#),
        (
            #"[{"event_type":"e","data":"a\/b \u00e9 \u001F","timestamp":"t4"}]"#,
            "[{\"event_type\":\"e\",\"data\":\"a/b é \\u001f\",\"timestamp\":\"t4\"}]"
        ),
        (
            #"[{"event_type":"n","data":{"x":1E2,"y":-0,"z":1e21},"timestamp":"t5"}]"#,
            #"[{"event_type":"n","data":{"x":100,"y":0,"z":1e+21},"timestamp":"t5"}]"#
        ),
        ("[ {\"event_type\" : \"w\",\n \"timestamp\":\"t6\"} ]", #"[{"event_type":"w","timestamp":"t6"}]"#),
    ]

    @Test(arguments: reserialised)
    func signatureOverTheRawTextIsRejected(raw: String, stringified: String) async throws {
        let harness = try await Runt.harness()
        #expect(try JSONValue.parse(raw).stringify() == stringified)
        let rawSignature = try RuntSigner.signatureHex(seed: Runt.seed, message: raw)
        let body = #"{"public_key":"\#(Runt.publicKey)","signature":"\#(rawSignature)","events":\#(raw)}"#
        expectJSON(await harness.postTelemetry(body), status: 401, invalidSignature)
        #expect(try await harness.eventCount() == 0)
    }

    @Test(arguments: reserialised)
    func signatureOverTheStringifiedFormIsAccepted(raw: String, stringified: String) async throws {
        let harness = try await Runt.harness()
        let signature = try RuntSigner.signatureHex(seed: Runt.seed, message: stringified)
        let body = #"{"public_key":"\#(Runt.publicKey)","signature":"\#(signature)","events":\#(raw)}"#
        expectJSON(await harness.postTelemetry(body), status: 200, #"{"success":true,"count":1}"#)
        // What is stored is the re-serialised data too.
        let stored = try await harness.rows("SELECT event_data FROM events")
        let data = try JSONValue.parse(stringified).arrayValue?.first?["data"]
        #expect(stored == [["event_data": data.map { .string($0.stringify()) } ?? .null]])
    }

    // MARK: Tampering

    @Test func changedDataIsRejected() async throws {
        let harness = try await Runt.harness()
        let tampered =
            #"[{"event_type":"auto_launch","data":{"runtime":"python","success":true,"prewarmed":true,"duration_ms":151},"#
            + #""timestamp":"2024-02-16T12:00:00Z"}]"#
        let body = #"{"public_key":"\#(Runt.publicKey)","signature":"\#(Runt.readmeSignature)","events":\#(tampered)}"#
        expectJSON(await harness.postTelemetry(body), status: 401, invalidSignature)
        #expect(try await harness.eventCount() == 0)
    }

    @Test func anotherInstallsKeyIsRejected() async throws {
        let harness = try await Runt.harness()
        let otherKey = try RuntSigner.publicKeyHex(seed: Runt.otherSeed)
        expectJSON(
            await harness.postTelemetry(Runt.replacing("public_key", with: .string(otherKey), in: Runt.readmeBody)),
            status: 401,
            invalidSignature
        )
    }

    @Test func flippedSignatureByteIsRejected() async throws {
        let harness = try await Runt.harness()
        let flipped = "bc" + Runt.readmeSignature.dropFirst(2)
        expectJSON(
            await harness.postTelemetry(Runt.replacing("signature", with: .string(flipped), in: Runt.readmeBody)),
            status: 401,
            invalidSignature
        )
    }

    // MARK: Case and hex leniency

    @Test func upperCasePublicKeyVerifiesAndIsStoredAsSent() async throws {
        let harness = try await Runt.harness()
        let upper = Runt.publicKey.uppercased()
        expectJSON(
            await harness.postTelemetry(Runt.replacing("public_key", with: .string(upper), in: Runt.readmeBody)),
            status: 200,
            #"{"success":true,"count":1}"#
        )
        // A second install id: the same events under the lower-case key are another row.
        expectJSON(await harness.postTelemetry(Runt.readmeBody), status: 200, #"{"success":true,"count":1}"#)
        #expect(
            try await harness.rows("SELECT install_id FROM events ORDER BY id") == [
                ["install_id": .string(upper)], ["install_id": .string(Runt.publicKey)],
            ]
        )
    }

    @Test func upperCaseSignatureVerifies() async throws {
        let harness = try await Runt.harness()
        let body = Runt.replacing("signature", with: .string(Runt.readmeSignature.uppercased()), in: Runt.readmeBody)
        expectJSON(await harness.postTelemetry(body), status: 200, #"{"success":true,"count":1}"#)
    }

    @Test(
        arguments: [
            ("ff", [255]), ("FF", [255]), ("Ab", [171]), ("-1", [255]), ("-f", [241]), ("+f", [15]), (" f", [15]),
            ("\u{A0}f", [15]), ("\u{3000}f", [15]), ("\nf", [15]), ("1z", [1]), ("f-", [15]), ("zz", [0]), ("z1", [0]),
            ("0x", [0]), ("0X", [0]), ("-0", [0]), ("--", [0]), ("+-", [0]), ("  ", [0]), ("é1", [0]), ("😀", [0]),
            ("", []), ("a", []), ("abc", [171]), ("0102ff", [1, 2, 255]),
        ] as [(String, [UInt8])]
    )
    func lenientHexDecodingFollowsParseInt(hex: String, bytes: [UInt8]) throws {
        #expect(try RuntWorker.hexToBytes(.string(hex)) == bytes)
    }

    /// Upstream's `hexToBytes` run by Node on strings and on signatures sent as JSON arrays
    /// (`scripts/generate-js-vectors.js`): `String(array.slice(i, i + 2))` then `parseInt(…, 16)`.
    @Test func hexToBytesMatchesNode() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../FlareletJavaScriptTests/Vectors/hex-to-bytes.json")
        guard case .array(let cases) = try JSONValue.parse(Array(try Data(contentsOf: url))) else {
            Issue.record("hex-to-bytes.json is not an array")
            return
        }
        #expect(cases.count >= 20)
        for item in cases {
            let text = try #require(item["value"]?.stringValue)
            let expected = try #require(item["bytes"]?.arrayValue).map { UInt8(try #require($0.doubleValue)) }
            #expect(try RuntWorker.hexToBytes(JSONValue.parse(text)) == expected, "hexToBytes(\(text))")
        }
    }

    /// Finds events (by a counter in `data`) whose signature has a byte equal to `byte`, and its hex position.
    private static func eventsWithSignatureByte(_ byte: UInt8) throws -> (events: JSONValue, signature: String, offset: Int) {
        for attempt in 0..<1000 {
            let events: JSONValue = [["event_type": "lenient", "data": ["attempt": .number(Double(attempt))], "timestamp": "2024-05-01T00:00:00Z"]]
            let signature = try RuntSigner.signatureHex(seed: Runt.seed, message: events.stringify())
            if let index = Hex.decode(signature)?.firstIndex(of: byte) {
                return (events, signature, index * 2)
            }
        }
        throw RuntSignerError("no signature with byte \(byte)")
    }

    @Test(arguments: [
        (UInt8(0xff), "-1"), (0x01, "1z"), (0x01, "+1"), (0x00, "zz"), (0x00, "0x"), (0x00, "-0"), (0x0f, " f"), (0xf1, "-f"),
    ])
    func lenientPairInAValidSignatureStillVerifies(byte: UInt8, pair: String) async throws {
        let harness = try await Runt.harness()
        let (events, signature, offset) = try Self.eventsWithSignatureByte(byte)
        let chars = Array(signature)
        let lenient = String(chars[..<offset]) + pair + String(chars[(offset + 2)...])
        #expect(lenient != signature)
        let body: JSONValue = ["public_key": .string(Runt.publicKey), "signature": .string(lenient), "events": events]
        expectJSON(await harness.postTelemetry(body), status: 200, #"{"success":true,"count":1}"#)
    }

    @Test func readmeSignatureWithMinusOneForItsFFByte() async throws {
        let harness = try await Runt.harness()
        #expect(Runt.readmeSignature.dropFirst(18).hasPrefix("ff"))
        let lenient = Runt.readmeSignature.prefix(18) + "-1" + Runt.readmeSignature.dropFirst(20)
        expectJSON(
            await harness.postTelemetry(Runt.replacing("signature", with: .string(String(lenient)), in: Runt.readmeBody)),
            status: 200,
            #"{"success":true,"count":1}"#
        )
    }

    /// `new Uint8Array(129 / 2)` has 64 bytes: the 129th character falls outside and is ignored.
    @Test func oddLengthSignatureDropsItsLastCharacter() async throws {
        let harness = try await Runt.harness()
        let body = Runt.replacing("signature", with: .string(Runt.readmeSignature + "7"), in: Runt.readmeBody)
        expectJSON(await harness.postTelemetry(body), status: 200, #"{"success":true,"count":1}"#)
    }

    /// A signature sent as a JSON array: upstream's `hexToBytes` reads `parseInt(String(array.slice(i, i + 2)), 16)`,
    /// so 128 elements whose even positions hold the hex pairs verify (upstream answers 200).
    @Test func signatureSentAsAnArrayVerifiesLikeUpstream() async throws {
        let harness = try await Runt.harness()
        let pairs = Array(Runt.readmeSignature).chunked2()
        let elements = JSONValue.array(pairs.flatMap { [JSONValue.string($0), "junk"] })
        expectJSON(
            await harness.postTelemetry(Runt.replacing("signature", with: elements, in: Runt.readmeBody)),
            status: 200,
            #"{"success":true,"count":1}"#
        )
        // Numbers join as decimal text: [171, …] is parseInt("171,…", 16) = 0x171 → byte 0x71, so it fails.
        let numbers = JSONValue.array(pairs.flatMap { [JSONValue.number(Double(Int($0, radix: 16)!)), 0] })
        expectJSON(await harness.postTelemetry(Runt.replacing("signature", with: numbers, in: Runt.readmeBody)), status: 401, invalidSignature)
    }

    // MARK: Failures that WebCrypto throws on: 401 and a log line

    static let unusableSignatures: [JSONValue] = [
        "ac",
        .string(String(Runt.readmeSignature.dropLast(2))),
        .string(Runt.readmeSignature + "00"),
        .string(String(Runt.readmeSignature.dropLast())),
        12345,
        true,
        ["ac", "43"],
        ["length": 128],
    ]

    @Test(arguments: unusableSignatures)
    func unusableSignatureIsUnauthorizedAndLogged(signature: JSONValue) async throws {
        let logs = LogCapture()
        let harness = try await Runt.harness(logs: logs)
        expectJSON(await harness.postTelemetry(Runt.replacing("signature", with: signature, in: Runt.readmeBody)), status: 401, invalidSignature)
        #expect(logs.messages.count == 1)
        #expect(logs.messages.first?.hasPrefix("Signature verification failed: ") == true)
        #expect(try await harness.eventCount() == 0)
    }

    @Test func wellFormedWrongSignatureIsUnauthorizedWithoutLog() async throws {
        let logs = LogCapture()
        let harness = try await Runt.harness(logs: logs)
        let zeros = String(repeating: "00", count: 64)
        expectJSON(await harness.postTelemetry(Runt.replacing("signature", with: .string(zeros), in: Runt.readmeBody)), status: 401, invalidSignature)
        // 128 array elements decode to 64 bytes (`parseInt("a,a", 16)` is 10): wrong, no exception.
        let elements = JSONValue.array(Array(repeating: "a", count: 128))
        expectJSON(await harness.postTelemetry(Runt.replacing("signature", with: elements, in: Runt.readmeBody)), status: 401, invalidSignature)
        // 128 non-hex characters decode to 64 zero bytes: just as wrong, and no exception either.
        let junk = String(repeating: "zz", count: 64)
        expectJSON(await harness.postTelemetry(Runt.replacing("signature", with: .string(junk), in: Runt.readmeBody)), status: 401, invalidSignature)
        #expect(logs.messages.isEmpty)
    }
}

extension Array where Element == Character {
    /// Consecutive pairs of characters as strings (`"abcd"` → `["ab", "cd"]`).
    fileprivate func chunked2() -> [String] {
        stride(from: 0, to: self.count - 1, by: 2).map { String(self[$0...$0 + 1]) }
    }
}

/// Node signs `JSON.stringify(JSON.parse(events))` with the test key (`scripts/generate-js-vectors.js`): the port's
/// re-serialisation is byte-identical and its signatures are Node's, for canonically equivalent keys, lone
/// surrogates, integer-like keys, `1e400`, `-0` and 600 levels of nesting; the worker verifies every one.
struct NodeSignatureTests {
    @Test func signaturesMatchNode() async throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../FlareletJavaScriptTests/Vectors/runt-signatures.json")
        let vectors = try JSONValue.parse(Array(try Data(contentsOf: url)))
        #expect(vectors["publicKey"]?.stringValue == Runt.publicKey)
        let cases = try #require(vectors["cases"]?.arrayValue)
        #expect(cases.count >= 5)
        let harness = try await Runt.harness()
        for item in cases {
            let events = try JSONValue.parse(try #require(item["events"]?.stringValue))
            let message = try #require(item["message"]?.stringValue)
            let signature = try #require(item["signature"]?.stringValue)
            #expect(events.stringify() == message)
            #expect(try RuntSigner.signatureHex(seed: Runt.seed, message: events.stringify()) == signature)
            let body: JSONValue = ["public_key": .string(Runt.publicKey), "signature": .string(signature), "events": events]
            let response = await harness.postTelemetry(body)
            #expect(response.status == 200, "\(message.prefix(80)): \(response.text)")
        }
    }
}
