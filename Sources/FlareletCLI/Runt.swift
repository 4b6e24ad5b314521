import ArgumentParser
import Foundation

struct RuntCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runt",
        abstract: "Helpers for the Runt telemetry worker.",
        subcommands: []
    )
}
