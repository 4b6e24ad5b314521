import ArgumentParser
import Flarelet
import FlareletHost
import Foundation
import RuntWorker

struct RuntCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runt",
        abstract: "Helpers for the Runt telemetry worker.",
        subcommands: [Sign.self]
    )

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an events array with an Ed25519 seed and print the request body for POST /telemetry.",
            discussion: """
                The signature covers JSON.stringify(events), exactly what the worker re-serialises. Example:
                  flarelet runt sign --seed 0707070707070707070707070707070707070707070707070707070707070707 --events events.json \\
                    | curl -X POST http://localhost:8788/telemetry -H "Content-Type: application/json" -d @-
                """
        )

        @Option(help: "The 32-byte Ed25519 seed: 64 hex characters, or a file holding the raw 32 bytes (Runt's telemetry-key) or hex.")
        var seed: String

        @Option(help: "File with the events JSON array, or - for standard input.")
        var events: String

        @Flag(help: "Pretty-print the body (the signature still covers the compact form).")
        var pretty = false

        func run() async throws {
            try await self.reportingErrors {
                let seedBytes = try RuntSigner.readSeed(self.seed)
                let data: Data
                if self.events == "-" {
                    data = FileHandle.standardInput.readDataToEndOfFile()
                } else {
                    guard let contents = FileManager.default.contents(atPath: self.events) else {
                        throw CLIFailure("--events \(self.events): cannot read the file")
                    }
                    data = contents
                }
                let events: JSONValue
                do {
                    events = try JSONValue.parse(Array(data))
                } catch {
                    throw CLIFailure("--events \(self.events): not valid JSON: \(error)")
                }
                let body = try RuntSigner.signedBody(seed: seedBytes, events: events)
                print(self.pretty ? body.stringify(indent: 2) : body.stringify())
            }
        }
    }
}
