import Flarelet
import Foundation
import RuntWorker
import Testing

/// `RuntSigner`: the library half of `flarelet runt sign`.
struct SignerTests {
    @Test func signedBodyOfTheReadmeExample() throws {
        let body = try RuntSigner.signedBody(seed: Runt.seed, events: Runt.readmeEvents)
        #expect(
            body.stringify()
                == #"{"public_key":"\#(Runt.publicKey)","signature":"\#(Runt.readmeSignature)","events":\#(Runt.readmeMessage)}"#
        )
    }

    /// The signature is over `JSON.stringify(events)`, so events parsed from pretty or non-canonical text sign the
    /// same as their compact form.
    @Test func signsTheStringifiedFormOfParsedEvents() throws {
        let parsed = try JSONValue.parse("[ {\"event_type\" : \"f\", \"data\": {\"b\":1, \"10\":2.0} } ]")
        let body = try RuntSigner.signedBody(seed: Runt.seed, events: parsed)
        #expect(
            body["signature"]?.stringValue == (try RuntSigner.signatureHex(seed: Runt.seed, message: #"[{"event_type":"f","data":{"10":2,"b":1}}]"#))
        )
    }

    @Test func signedBodyIsAccepted() async throws {
        try await Runt.withHarness { harness async throws in
            let events = Runt.events(5, type: "kernel_start")
            expectJSON(
                await harness.postTelemetry(try RuntSigner.signedBody(seed: Runt.otherSeed, events: events)),
                status: 200,
                #"{"success":true,"count":5}"#
            )
            let installs = try await harness.jsonRows("SELECT DISTINCT install_id FROM events")
            #expect(installs == [["install_id": .string(try RuntSigner.publicKeyHex(seed: Runt.otherSeed))]])
        }
    }

    @Test(arguments: [0, 31, 33, 64])
    func seedMustBe32Bytes(count: Int) {
        #expect(throws: RuntSignerError("an Ed25519 seed must be 32 bytes; got \(count)")) {
            try RuntSigner.signedBody(seed: [UInt8](repeating: 1, count: count), events: [])
        }
    }

    // MARK: Reading a seed

    @Test(arguments: [String(repeating: "07", count: 32), String(repeating: "07", count: 32).uppercased()])
    func hexSeedArgument(argument: String) throws {
        #expect(try RuntSigner.readSeed(argument) == Runt.seed)
    }

    @Test func seedFiles() throws {
        try withTemporaryDirectory { directory in
            let raw = directory.appendingPathComponent("telemetry-key")
            try Data(Runt.seed).write(to: raw)
            #expect(try RuntSigner.readSeed(raw.path) == Runt.seed)

            let hex = directory.appendingPathComponent("seed.hex")
            try Data((String(repeating: "07", count: 32) + "\n").utf8).write(to: hex)
            #expect(try RuntSigner.readSeed(hex.path) == Runt.seed)

            let short = directory.appendingPathComponent("short")
            try Data(repeating: 7, count: 31).write(to: short)
            #expect(
                throws: RuntSignerError(
                    "seed file '\(short.path)' holds 31 bytes: expected a raw 32-byte Ed25519 seed or 64 hex characters"
                )
            ) {
                try RuntSigner.readSeed(short.path)
            }

            #expect(throws: RuntSignerError("seed file '\(directory.path)' is a directory")) {
                try RuntSigner.readSeed(directory.path)
            }

            let missing = directory.appendingPathComponent("missing").path
            #expect(throws: RuntSignerError("seed '\(missing)' is neither 64 hex characters nor an existing file")) {
                try RuntSigner.readSeed(missing)
            }
        }
    }

    @Test func shortHexSeedArgument() {
        #expect(throws: RuntSignerError("a hex seed must be 64 hex characters (32 bytes); got 62")) {
            try RuntSigner.readSeed(String(repeating: "07", count: 31))
        }
    }

    @Test func seedFileContents() throws {
        #expect(try RuntSigner.seed(fileContents: Runt.seed, path: "k") == Runt.seed)
        #expect(try RuntSigner.seed(fileContents: Array(("  " + String(repeating: "07", count: 32) + "\r\n").utf8), path: "k") == Runt.seed)
        #expect(throws: RuntSignerError("seed file 'k' holds 64 bytes: expected a raw 32-byte Ed25519 seed or 64 hex characters")) {
            try RuntSigner.seed(fileContents: [UInt8](repeating: 0x67, count: 64), path: "k")
        }
    }
}

/// Runs `body` with a fresh temporary directory and removes it afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runt-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
