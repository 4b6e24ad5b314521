import Flarelet
import FlareletTesting
import Foundation
import Testing

@testable import TelemetryKitWorker

/// Section 5: the authentication steps, their order, the HMAC and the timestamp window.
struct AuthenticationTests {
    static let body = TK.minimalBody

    static func send(_ harness: WorkerHarness, _ fields: [(String, String)], body: String = Self.body) async -> WorkerResponse {
        await harness.fetch("POST", TK.ingestPath, headers: Headers(fields), body: body)
    }

    static func expectError(
        _ response: WorkerResponse,
        _ status: Int,
        _ reason: String,
        _ message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.text == TK.errorBody(reason, message), sourceLocation: sourceLocation)
        #expect(response.headers["Content-Type"] == "application/json", sourceLocation: sourceLocation)
        #expect(response.headers["X-Clacks-Overhead"] == "GNU Terry Pratchett", sourceLocation: sourceLocation)
    }

    static func lastUsed(_ harness: WorkerHarness) async throws -> JSONValue? {
        try await harness.rows("SELECT last_used_at FROM api_tokens WHERE token = ?", .text(TK.token)).first?["last_used_at"]
    }

    @Test(arguments: [
        ("test_secret", "1234567890:body", "32440d72a938a1961216473ef0311f982e2bbca9512d67600491a3ec34f9f810"),
        ("test_secret", #"1234567890:{"events":[]}"#, "f3f8c6ca6f976e2b4e2ce12b581823dcda4d5d3889c29fbc34026af3afea1387"),
        (TK.secret, #"1700000000:{"events":[]}"#, "b121f0c4cd32e58cc60195f1b808f477584d4bf12739123d49487b37d6a83c67"),
    ])
    func hmacVectors(secret: String, message: String, expected: String) {
        let parts = message.split(separator: ":", maxSplits: 1)
        let signature = TelemetryKitWorker.signature(timestamp: String(parts[0]), body: Array(parts[1].utf8), secret: secret)
        #expect(signature == expected)
        #expect(TK.sign(String(parts[0]), String(parts[1]), secret: secret) == expected)
    }

    @Test func stepsRunInOrder() async throws {
        try await TK.withHarness { harness async throws in
            let good = TK.signedHeaders(Self.body)
            let all = good.fields.map { ($0.name, $0.value) }
            func without(_ names: String...) -> [(String, String)] { all.filter { !names.contains($0.0) } }

            Self.expectError(await Self.send(harness, []), 401, "Unauthorized", "Missing X-Signature header")
            Self.expectError(await Self.send(harness, without("X-Signature")), 401, "Unauthorized", "Missing X-Signature header")
            Self.expectError(await Self.send(harness, without("X-Timestamp")), 401, "Unauthorized", "Missing X-Timestamp header")
            Self.expectError(
                await Self.send(harness, without("X-Timestamp", "Authorization")),
                401,
                "Unauthorized",
                "Missing X-Timestamp header"
            )
            Self.expectError(
                await Self.send(harness, without("Authorization")),
                401,
                "Unauthorized",
                "Missing or invalid Authorization header"
            )
            // Step 3 before step 4: a non-UTF-8 body answers 400 even without Authorization.
            let invalidUTF8 = WorkerRequest(
                method: "POST",
                url: "http://localhost" + TK.ingestPath,
                headers: Headers(without("Authorization")),
                body: [0x7B, 0xFF, 0x7D]
            )
            Self.expectError(await harness.fetch(invalidUTF8), 400, "Bad Request", "Invalid UTF-8 in body")
            #expect(try await Self.lastUsed(harness) == .null)
        }
    }

    @Test(arguments: ["bearer \(TK.token)", "Bearer  \(TK.token)x", "Token \(TK.token)", "Bearer", "BEARER \(TK.token)", TK.token])
    func authorizationNeedsTheExactBearerPrefix(value: String) async throws {
        try await TK.withHarness { harness async throws in
            var headers = TK.signedHeaders(Self.body)
            headers["Authorization"] = value
            let response = await harness.fetch("POST", TK.ingestPath, headers: headers, body: Self.body)
            let expected = value.hasPrefix("Bearer ") ? "Invalid token" : "Missing or invalid Authorization header"
            Self.expectError(response, 401, "Unauthorized", expected)
        }
    }

    @Test func emptyTokenAfterThePrefixIsLookedUp() async throws {
        try await TK.withHarness { harness async throws in
            var headers = TK.signedHeaders(Self.body)
            headers["Authorization"] = "Bearer "
            Self.expectError(await harness.fetch("POST", TK.ingestPath, headers: headers, body: Self.body), 401, "Unauthorized", "Invalid token")
            // A token row whose token is the empty string matches it.
            try await harness.execute("DELETE FROM api_tokens")
            try await harness.execute(
                "INSERT INTO api_tokens (id, org_id, app_id, token, secret) VALUES ('t', ?1, ?2, '', 's')",
                .text(TK.orgID),
                .text(TK.appID)
            )
            let signed = TK.signedHeaders(Self.body, token: "", secret: "s")
            let response = await harness.fetch("POST", TK.ingestPath, headers: signed, body: Self.body)
            #expect(response.status == 200)
        }
    }

    @Test func headerValuesOutsideVisibleASCIICountAsMissing() async throws {
        try await TK.withHarness { harness async throws in
            for (name, message) in [
                ("X-Signature", "Missing X-Signature header"), ("X-Timestamp", "Missing X-Timestamp header"),
                ("Authorization", "Missing or invalid Authorization header"),
            ] {
                var headers = TK.signedHeaders(Self.body)
                headers[name] = (headers[name] ?? "") + "é"
                Self.expectError(await harness.fetch("POST", TK.ingestPath, headers: headers, body: Self.body), 401, "Unauthorized", message)
            }
        }
    }

    @Test func inactiveAndUnknownTokensAreInvalid() async throws {
        try await TK.withHarness { harness async throws in
            var headers = TK.signedHeaders(Self.body, token: TK.token + "x")
            Self.expectError(await harness.fetch("POST", TK.ingestPath, headers: headers, body: Self.body), 401, "Unauthorized", "Invalid token")
            try await harness.execute("UPDATE api_tokens SET is_active = 0")
            headers = TK.signedHeaders(Self.body)
            Self.expectError(await harness.fetch("POST", TK.ingestPath, headers: headers, body: Self.body), 401, "Unauthorized", "Invalid token")
            #expect(try await Self.lastUsed(harness) == .null)
        }
    }

    @Test func databaseFailureDuringLookupIs500() async throws {
        try await TK.withHarness { harness async throws in
            try await harness.execute("ALTER TABLE api_tokens RENAME TO old_tokens")
            let response = await TK.ingest(harness, Self.body)
            Self.expectError(response, 500, "Internal Server Error", "Database error")
        }
    }

    @Test(arguments: ["uppercase", "sha256=", "trailing space", "leading space", "short", "empty", "last digit changed"])
    func signatureMustBeTheExactLowercaseHex(variant: String) async throws {
        try await TK.withHarness { harness async throws in
            var headers = TK.signedHeaders(Self.body)
            let signature = headers["X-Signature"] ?? ""
            headers["X-Signature"] =
                switch variant {
                case "uppercase": signature.uppercased()
                case "sha256=": "sha256=" + signature
                case "trailing space": signature + " "
                case "leading space": " " + signature
                case "short": String(signature.dropLast())
                case "empty": ""
                default: String(signature.dropLast()) + (signature.hasSuffix("0") ? "1" : "0")
                }
            Self.expectError(
                await harness.fetch("POST", TK.ingestPath, headers: headers, body: Self.body),
                401,
                "Unauthorized",
                "Invalid HMAC signature"
            )
            #expect(try await Self.lastUsed(harness) == .null)
        }
    }

    @Test func signatureCoversTheRawBodyBytes() async throws {
        try await TK.withHarness { harness async throws in
            // The same JSON with different whitespace: signed over the compact text, sent pretty.
            let compact = TK.minimalBody
            let spaced = compact.replacingOccurrences(of: #"{"events":["#, with: "{ \"events\": [\n")
            #expect(spaced != compact)
            let headers = TK.signedHeaders(compact)
            let response = await harness.fetch("POST", TK.ingestPath, headers: headers, body: spaced)
            Self.expectError(response, 401, "Unauthorized", "Invalid HMAC signature")
            // Signed over the spaced text itself, it is accepted: the worker hashes what it received.
            let accepted = await harness.fetch("POST", TK.ingestPath, headers: TK.signedHeaders(spaced), body: spaced)
            #expect(accepted.status == 200)
            #expect(try await TK.eventCount(harness) == 1)
        }
    }

    @Test func signatureCoversTheRawTimestampText() async throws {
        try await TK.withHarness { harness async throws in
            // "+1767225600" parses to the same number but is a different string.
            var headers = TK.signedHeaders(Self.body)
            headers["X-Timestamp"] = "+\(TK.nowSeconds)"
            Self.expectError(
                await harness.fetch("POST", TK.ingestPath, headers: headers, body: Self.body),
                401,
                "Unauthorized",
                "Invalid HMAC signature"
            )
            headers = TK.signedHeaders(Self.body, timestamp: "+\(TK.nowSeconds)")
            #expect(await harness.fetch("POST", TK.ingestPath, headers: headers, body: Self.body).status == 200)
        }
    }

    @Test(arguments: ["abc", "", "1.5", "1e9", " 1767225600", "1767225600 ", "17672 25600", "9223372036854775808", "+", "-", "0x10", "1_000"])
    func garbageTimestampIs400OnlyWithAMatchingSignature(timestamp: String) async throws {
        try await TK.withHarness { harness async throws in
            let signed = TK.signedHeaders(Self.body, timestamp: timestamp)
            Self.expectError(
                await harness.fetch("POST", TK.ingestPath, headers: signed, body: Self.body),
                400,
                "Bad Request",
                "Invalid timestamp format"
            )
            var unsigned = signed
            unsigned["X-Signature"] = String(repeating: "0", count: 64)
            Self.expectError(
                await harness.fetch("POST", TK.ingestPath, headers: unsigned, body: Self.body),
                401,
                "Unauthorized",
                "Invalid HMAC signature"
            )
            #expect(try await Self.lastUsed(harness) == .null)
        }
    }

    @Test(arguments: [
        (0, 200), (600, 200), (-600, 200), (601, 403), (-601, 403), (3600, 403), (-86400, 403),
    ])
    func timestampWindowEdges(offset: Int64, status: Int) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: Double(TK.nowSeconds) + 0.75))
        try await TK.withHarness(clock: clock) { harness async throws in
            let timestamp = String(TK.nowSeconds + offset)
            let response = await harness.fetch("POST", TK.ingestPath, headers: TK.signedHeaders(Self.body, timestamp: timestamp), body: Self.body)
            #expect(response.status == status)
            if status == 403 {
                Self.expectError(response, 403, "Forbidden", "Timestamp outside acceptable window")
                #expect(try await Self.lastUsed(harness) == .null)
            } else {
                #expect(try await Self.lastUsed(harness) == .string("2026-01-01T00:00:00.750000Z"))
            }
        }
    }

    @Test(arguments: ["1767225600000", "-9223372036854775808", "9223372036854775807", "0", "1700000000"])
    func farTimestampsAre403(timestamp: String) async throws {
        try await TK.withHarness { harness async throws in
            let response = await harness.fetch("POST", TK.ingestPath, headers: TK.signedHeaders(Self.body, timestamp: timestamp), body: Self.body)
            Self.expectError(response, 403, "Forbidden", "Timestamp outside acceptable window")
        }
    }

    @Test func lastUsedIsSetEvenWhenTheHandlerRejects() async throws {
        let clock = TestClock()
        try await TK.withHarness(clock: clock) { harness async throws in
            let rejected = await TK.ingest(harness, "{}")
            #expect(rejected.status == 400)
            #expect(try await Self.lastUsed(harness) == .string("2026-01-01T00:00:00.000000Z"))
            clock.advance(by: 5.123_456)
            var headers = TK.signedHeaders(Self.body, timestamp: String(TK.nowSeconds + 5))
            headers["DNT"] = "1"
            let dnt = await harness.fetch("POST", TK.ingestPath, headers: headers, body: Self.body)
            #expect(dnt.status == 204)
            #expect(try await Self.lastUsed(harness) == .string("2026-01-01T00:00:05.123456Z"))
        }
    }

    @Test func unauthenticatedRequestToNonUUIDPathGetsTheAuthError() async throws {
        try await TK.withHarness { harness async throws in
            let response = await harness.fetch("POST", "/v1/ingest/org/app", headers: ["X-Signature": "x", "X-Timestamp": "1"], body: "{}")
            Self.expectError(response, 401, "Unauthorized", "Missing or invalid Authorization header")
        }
    }

    @Test func headersTheServerNeverReads() async throws {
        try await TK.withHarness { harness async throws in
            let response = await TK.ingest(
                harness,
                Self.body,
                extra: [("Content-Type", "text/plain"), ("X-Nonce", "n"), ("X-SDK-Version", "x"), ("X-Schema-Version", "9.9.9")]
            )
            #expect(response.status == 200)
        }
    }

    @Test(
        arguments: [("+5", 5), ("-5", -5), ("007", 7), ("-9223372036854775808", Int64.min), ("9223372036854775807", Int64.max)] as [(String, Int64)]
    )
    func int64Parsing(text: String, value: Int64) {
        #expect(TelemetryKitWorker.parseInt64(text) == value)
    }
}
