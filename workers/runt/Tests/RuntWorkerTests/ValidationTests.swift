import Flarelet
import FlareletTesting
import RuntWorker
import Testing

/// Section 3 of the spec, steps 1 to 3: parsing, required fields, public key format.
struct ValidationTests {
    // MARK: 1. Parse

    @Test(arguments: ["", " ", "{", "not json", #"{"public_key":"#, "{} x", "[1,]", "{'a':1}", "null", " null\n", "NaN", "undefined"])
    func unparsableBodyOrTopLevelNullIsInternalError(body: String) async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(body), status: 500, internalError)
        }
    }

    @Test func leadingByteOrderMarkIsDroppedLikeRequestText() async throws {
        try await Runt.withHarness { harness async throws in
            let response = await harness.fetch(
                WorkerRequest(method: "POST", url: "http://localhost/telemetry", body: [0xEF, 0xBB, 0xBF] + Array(Runt.readmeBody.stringify().utf8))
            )
            expectJSON(response, status: 200, #"{"success":true,"count":1}"#)
        }
    }

    // MARK: 2. Required fields

    @Test(arguments: ["{}", "[]", #""text""#, "5", "true", "false", "0", #"{"publicKey":"x","sig":"y","event":[]}"#])
    func nonObjectsAndEmptyObjectsMissFields(body: String) async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(body), status: 400, missingFields)
        }
    }

    @Test(arguments: ["public_key", "signature", "events"], [nil, .null, false, 0, ""] as [JSONValue?])
    func missingOrFalsyFieldIsBadRequest(field: String, value: JSONValue?) async throws {
        try await Runt.withHarness { harness async throws in
            let body = Runt.replacing(field, with: value, in: Runt.readmeBody)
            expectJSON(await harness.postTelemetry(body), status: 400, missingFields)
            #expect(try await harness.eventCount() == 0)
        }
    }

    @Test func requiredFieldsComeBeforeTheKeyFormat() async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(#"{"public_key":"nope","events":[]}"#), status: 400, missingFields)
            // `events: []` and `events: {}` are truthy, so the next check runs.
            expectJSON(await harness.postTelemetry(#"{"public_key":"nope","signature":"x","events":[]}"#), status: 400, invalidPublicKey)
            expectJSON(await harness.postTelemetry(#"{"public_key":"nope","signature":"x","events":{}}"#), status: 400, invalidPublicKey)
        }
    }

    // MARK: 3. Public key format

    static let badKeys: [JSONValue] = [
        .string(String(Runt.publicKey.dropLast())),
        .string(Runt.publicKey + "0"),
        .string(String(repeating: "g", count: 64)),
        .string(String(Runt.publicKey.dropLast()) + " "),
        .string(String(Runt.publicKey.dropLast()) + "é"),
        .string("0x" + String(Runt.publicKey.dropFirst(2))),
        12345,
        true,
        [.string(Runt.publicKey)],
        ["length": 64],
    ]

    @Test(arguments: badKeys)
    func publicKeyMustBe64HexCharacters(key: JSONValue) async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(Runt.replacing("public_key", with: key, in: Runt.readmeBody)), status: 400, invalidPublicKey)
        }
    }

    @Test func publicKeyFormatComesBeforeTheSignature() async throws {
        try await Runt.withHarness { harness async throws in
            let body = Runt.replacing("signature", with: "bad", in: Runt.replacing("public_key", with: "abc", in: Runt.readmeBody))
            expectJSON(await harness.postTelemetry(body), status: 400, invalidPublicKey)
        }
    }

    @Test func missingDatabaseBindingIsInternalError() async throws {
        try await withWorker(RuntWorker()) { harness async throws in
            expectJSON(await harness.postTelemetry(Runt.readmeBody), status: 500, internalError)
        }
    }

    @Test func requestContentTypeIsNotChecked() async throws {
        try await Runt.withHarness { harness async throws in
            let response = await harness.fetch("POST", "/telemetry", headers: ["Content-Type": "text/plain"], body: Runt.readmeBody.stringify())
            expectJSON(response, status: 200, #"{"success":true,"count":1}"#)
        }
    }
}
