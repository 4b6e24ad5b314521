import Testing

@testable import TelemetryKitWorker

/// UUID forms, timestamp storage format and the serde-style parser in isolation.
struct ValueTests {
    @Test(arguments: [
        "0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b", "0B3F5A8E-2C1D-4E6F-9A7B-1C2D3E4F5A6B", "0b3f5a8e2c1d4e6f9a7b1c2d3e4f5a6b",
        "{0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b}", "urn:uuid:0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b",
    ])
    func acceptedUUIDForms(text: String) {
        #expect(UUIDText.canonical(text) == "0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b")
    }

    @Test(arguments: [
        ("abc", "invalid length: expected length 32 for simple format, found 3"),
        ("0b3f5a8e-2c1d-4e6f-9a7b", "invalid group count: expected 5, found 4"),
        ("0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6", "invalid group length in group 4: expected 12, found 11"),
        ("{0b3f5a8e2c1d4e6f9a7b1c2d3e4f5a6b}", "invalid length: expected length 32 for simple format, found 32"),
        ("", "invalid length: expected length 32 for simple format, found 0"),
    ])
    func rejectedUUIDs(text: String, reason: String) {
        #expect(throws: UUIDParseError(reason: reason)) { try UUIDText.parse(text) }
    }

    @Test(arguments: [
        ("2025-01-01T00:00:00Z", "2025-01-01T00:00:00.000000Z"),
        ("2025-01-01T00:00:00.1Z", "2025-01-01T00:00:00.100000Z"),
        ("2025-01-01T00:00:00.123456789Z", "2025-01-01T00:00:00.123456Z"),
        ("2025-01-01T01:00:00+01:00", "2025-01-01T00:00:00.000000Z"),
        ("2024-12-31T20:00:00-0400", "2025-01-01T00:00:00.000000Z"),
        ("2024-02-29 23:59:59z", "2024-02-29T23:59:59.000000Z"),
        ("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500000Z"),
    ])
    func rfc3339ToStorage(input: String, stored: String) throws {
        let micros = try #require(Timestamp.parseRFC3339(input))
        #expect(Timestamp.format(microseconds: micros) == stored)
    }

    @Test(arguments: [
        "2025-01-01", "2025-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01T00:00:00.Z", "2025-01-01T00:00:00Zx", "",
    ])
    func rejectedTimestamps(input: String) {
        #expect(Timestamp.parseRFC3339(input) == nil)
    }

    @Test(arguments: [
        ("{}", "missing field `events` at line 1 column 2"),
        ("", "EOF while parsing a value at line 1 column 0"),
        ("{\n}", "missing field `events` at line 2 column 1"),
        (#"{"events":5}"#, "invalid type: integer `5`, expected a sequence at line 1 column 11"),
        (#"{"events":[]} x"#, "trailing characters at line 1 column 15"),
        (#"{"events":[],"events":[]}"#, "duplicate field `events` at line 1 column 25"),
    ])
    func serdeMessages(body: String, message: String) {
        do {
            _ = try IngestBatch.decode(Array(body.utf8))
            Issue.record("decoded \(body)")
        } catch {
            #expect(error.message == message)
        }
    }
}
