import Flarelet
import FlareletTesting
import Foundation
import RuntWorker
import Testing

/// Sections 3 (steps 5 to 7) and 5 of the spec: the cap, the batch, what is stored.
struct StorageTests {
    static let ok1 = #"{"success":true,"count":1}"#

    // MARK: Rows

    @Test func readmeExampleIsStoredExactly() async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(Runt.readmeBody), status: 200, Self.ok1)
            let rows = try await harness.jsonRows("SELECT id, install_id, event_type, event_data, created_at FROM events")
            #expect(
                rows == [
                    [
                        "id": .integer(1),
                        "install_id": .string(Runt.publicKey),
                        "event_type": "auto_launch",
                        "event_data": #"{"runtime":"python","success":true,"prewarmed":true,"duration_ms":150}"#,
                        "created_at": "2024-02-16T12:00:00Z",
                    ]
                ]
            )
        }
    }

    @Test func resubmissionIsIdempotent() async throws {
        try await Runt.withHarness { harness async throws in
            let body = try Runt.signed(Runt.events(3, type: "app_open"))
            for _ in 0..<3 {
                expectJSON(await harness.postTelemetry(body), status: 200, #"{"success":true,"count":3}"#)
            }
            #expect(try await harness.eventCount() == 3)
        }
    }

    /// `event_data` is not part of the UNIQUE key: the first row wins, and `count` still counts both.
    @Test func sameInstallTypeAndTimestampKeepsTheFirstRow() async throws {
        try await Runt.withHarness { harness async throws in
            let events: JSONValue = [
                ["event_type": "kernel_start", "data": ["trigger": "toolbar"], "timestamp": "2024-02-16T12:00:00Z"],
                ["event_type": "kernel_start", "data": ["trigger": "cell_execute"], "timestamp": "2024-02-16T12:00:00Z"],
            ]
            expectJSON(await harness.postTelemetry(try Runt.signed(events)), status: 200, #"{"success":true,"count":2}"#)
            #expect(try await harness.jsonRows("SELECT event_data FROM events") == [["event_data": #"{"trigger":"toolbar"}"#]])
        }
    }

    @Test(
        arguments: [
            (nil, .null), (.null, .null), (false, .null), (0, .null), ("", .null),
            ("str", #""str""#), (5, "5"), (1.5, "1.5"), (true, "true"), ([], "[]"), (["a": 1, "b": [1, 2]], #"{"a":1,"b":[1,2]}"#),
            (["runtime": "deno", "1": 2], #"{"1":2,"runtime":"deno"}"#),
        ] as [(JSONValue?, JSONValue)]
    )
    func eventDataIsCompactJSONWhenTruthyElseNull(data: JSONValue?, stored: JSONValue) async throws {
        try await Runt.withHarness { harness async throws in
            var event: JSONObject = ["event_type": "app_close", "timestamp": "2024-02-16T12:00:00Z"]
            event["data"] = data
            expectJSON(await harness.postTelemetry(try Runt.signed([.object(event)])), status: 200, Self.ok1)
            #expect(try await harness.jsonRows("SELECT event_data FROM events") == [["event_data": stored]])
        }
    }

    /// A truthy timestamp is bound as its JavaScript value (numbers as REAL, so `5` is stored as `5.0`); a
    /// falsy or missing one takes the server time, `toISOString()` of the env clock.
    @Test(
        arguments: [
            (nil, "2026-01-01T00:00:00.000Z"), (.null, "2026-01-01T00:00:00.000Z"), (false, "2026-01-01T00:00:00.000Z"),
            (0, "2026-01-01T00:00:00.000Z"), ("", "2026-01-01T00:00:00.000Z"),
            ("2026-02-16T21:37:31.123456789+00:00", "2026-02-16T21:37:31.123456789+00:00"), ("yesterday", "yesterday"),
            (5, "5.0"), (1.5, "1.5"), (true, "1"),
        ] as [(JSONValue?, String)]
    )
    func createdAtIsTheClientTimestampOrServerTime(timestamp: JSONValue?, stored: String) async throws {
        try await Runt.withHarness { harness async throws in
            var event: JSONObject = ["event_type": "app_open"]
            event["timestamp"] = timestamp
            expectJSON(await harness.postTelemetry(try Runt.signed([.object(event)])), status: 200, Self.ok1)
            #expect(try await harness.jsonRows("SELECT created_at FROM events") == [["created_at": .string(stored)]])
        }
    }

    @Test func serverTimeFollowsTheEnvClock() async throws {
        let clock = TestClock(Date(epochMilliseconds: 1_771_277_851_123))
        try await Runt.withHarness(clock: clock) { harness async throws in
            expectJSON(await harness.postTelemetry(try Runt.signed([["event_type": "app_open"]])), status: 200, Self.ok1)
            clock.advance(by: 0.001)
            expectJSON(await harness.postTelemetry(try Runt.signed([["event_type": "app_open"]])), status: 200, Self.ok1)
            #expect(
                try await harness.jsonRows("SELECT created_at FROM events ORDER BY id") == [
                    ["created_at": "2026-02-16T21:37:31.123Z"], ["created_at": "2026-02-16T21:37:31.124Z"],
                ]
            )
        }
    }

    @Test func nullEventTypeIsCountedButIgnored() async throws {
        try await Runt.withHarness { harness async throws in
            let events: JSONValue = [
                ["event_type": nil, "timestamp": "2024-02-16T12:00:00Z"], ["event_type": "app_open", "timestamp": "2024-02-16T12:00:00Z"],
            ]
            expectJSON(await harness.postTelemetry(try Runt.signed(events)), status: 200, #"{"success":true,"count":2}"#)
            #expect(try await harness.jsonRows("SELECT event_type FROM events") == [["event_type": "app_open"]])
        }
    }

    @Test func numericEventTypeIsStoredAsReal() async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(try Runt.signed([["event_type": 7, "timestamp": "t"]])), status: 200, Self.ok1)
            #expect(try await harness.jsonRows("SELECT event_type FROM events") == [["event_type": "7.0"]])
        }
    }

    // MARK: Failures roll the whole batch back

    static let failingEvents: [JSONValue] = [
        ["timestamp": "2024-02-16T12:00:03Z"],
        ["event_type": ["kind": "x"], "timestamp": "2024-02-16T12:00:03Z"],
        ["event_type": [1, 300], "timestamp": "2024-02-16T12:00:03Z"],
        ["event_type": "app_open", "timestamp": ["at": 1]],
        ["event_type": "app_open", "timestamp": ["a"]],
        nil,
        5,
        "app_open",
        [],
    ]

    @Test(arguments: failingEvents)
    func bindingErrorFailsTheWholeBatch(bad: JSONValue) async throws {
        try await Runt.withHarness { harness async throws in
            var events = Runt.events(2, type: "app_open").arrayValue ?? []
            events.append(bad)
            expectJSON(await harness.postTelemetry(try Runt.signed(.array(events))), status: 500, internalError)
            #expect(try await harness.eventCount() == 0)
        }
    }

    @Test func databaseErrorFailsTheWholeBatch() async throws {
        try await Runt.withHarness { harness async throws in
            _ = try await harness.d1().prepare(
                "CREATE TRIGGER no_app_close BEFORE INSERT ON events WHEN NEW.event_type = 'app_close' BEGIN SELECT RAISE(ABORT, 'no'); END"
            ).run()
            let events: JSONValue = [
                ["event_type": "app_open", "timestamp": "2024-02-16T12:00:00Z"], ["event_type": "app_close", "timestamp": "2024-02-16T12:00:01Z"],
            ]
            expectJSON(await harness.postTelemetry(try Runt.signed(events)), status: 500, internalError)
            #expect(try await harness.eventCount() == 0)
        }
    }

    @Test func missingTableIsInternalError() async throws {
        try await Runt.withHarness { harness async throws in
            _ = try await harness.d1().prepare("DROP TABLE events").run()
            expectJSON(await harness.postTelemetry(Runt.readmeBody), status: 500, internalError)
        }
    }

    // MARK: events that are not a list of objects

    /// `events: []` passes every check (the signature is over `[]`); D1 then rejects the empty batch.
    @Test func signedEmptyEventsIsInternalError() async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(try Runt.signed([])), status: 500, internalError)
        }
    }

    @Test(arguments: [[:], ["event_type": "app_open"], "app_open", 42, true, ["length": 3]] as [JSONValue])
    func signedNonArrayEventsIsInternalError(events: JSONValue) async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(try Runt.signed(events)), status: 500, internalError)
            #expect(try await harness.eventCount() == 0)
        }
    }

    /// Upstream checks `events.length > 100` before it maps, so a non-array with a large `length` (a long string,
    /// an object with a `length` property) is turned away as too many events.
    @Test(
        arguments: [
            .string(String(repeating: "x", count: 101)), ["length": 101], ["length": "200"], ["length": [500]], ["length": "0x65"],
        ] as [JSONValue]
    )
    func nonArrayWithLengthOver100IsTooMany(events: JSONValue) async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(try Runt.signed(events)), status: 400, tooManyEvents)
        }
    }

    @Test(arguments: [.string(String(repeating: "x", count: 100)), ["length": 100], ["length": "abc"], ["length": ["a": 1]]] as [JSONValue])
    func nonArrayWithLengthUpTo100IsInternalError(events: JSONValue) async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(try Runt.signed(events)), status: 500, internalError)
        }
    }

    // MARK: The 100-event cap, after the signature

    @Test func hundredSignedEventsAreStored() async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(
                await harness.postTelemetry(try Runt.signed(Runt.events(100, type: "cell_execute"))),
                status: 200,
                #"{"success":true,"count":100}"#
            )
            #expect(try await harness.eventCount() == 100)
        }
    }

    @Test func hundredAndOneSignedEventsAreTooMany() async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(try Runt.signed(Runt.events(101, type: "cell_execute"))), status: 400, tooManyEvents)
            #expect(try await harness.eventCount() == 0)
        }
    }

    @Test(arguments: [100, 101])
    func badlySignedBatchIsUnauthorizedWhateverItsSize(count: Int) async throws {
        try await Runt.withHarness { harness async throws in
            // Signed over other events, and not signed at all (zero bytes).
            let signedElsewhere = Runt.replacing("events", with: Runt.events(count, type: "cell_execute"), in: Runt.readmeBody)
            expectJSON(await harness.postTelemetry(signedElsewhere), status: 401, invalidSignature)
            let unsigned = Runt.replacing("signature", with: .string(String(repeating: "0", count: 128)), in: signedElsewhere)
            expectJSON(await harness.postTelemetry(unsigned), status: 401, invalidSignature)
            #expect(try await harness.eventCount() == 0)
        }
    }
}
