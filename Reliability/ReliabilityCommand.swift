import ArgumentParser
import Foundation

/// `flarelet-reliability`: fuzz, crash and disk-full runs against a live `flarelet dev`.
struct ReliabilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flarelet-reliability",
        abstract: "Reliability suite: hostile requests, kill -9 under load, a full disk (see RELIABILITY.md).",
        subcommands: [FuzzCommand.self, CrashCommand.self, DiskFullCommand.self]
    )
}

/// Options every subcommand takes.
struct SuiteOptions: ParsableArguments {
    @Option(help: "The flarelet binary (default: the one next to this executable).")
    var flarelet: String?

    @Option(help: "The repository root holding the worker configurations (default: the working directory).")
    var repo: String?

    @Option(help: "Seed of the pseudo-random generator (default: chosen from the clock and printed).")
    var seed: UInt64?

    @Flag(help: "Keep the state directory after the run.")
    var keep = false

    func environment() throws -> Environment {
        ServerRegistry.installSignalCleanup()
        return try Environment.resolve(flarelet: self.flarelet, repo: self.repo)
    }

    var resolvedSeed: UInt64 {
        self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000) % 1_000_000
    }
}

/// Prints a line at once (the suite's progress goes to standard output).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Formats an integer with thousands separators: `100,000`.
func grouped(_ value: Int) -> String {
    let digits = String(abs(value))
    var out = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
        out.append(character)
    }
    return value < 0 ? "-" + out : out
}

/// `2026-12-03T07:20:04.123Z` for `date`.
func isoTimestamp(_ date: Date = Date()) -> String {
    let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    var seconds = time_t(milliseconds / 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(
        format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
        Int(parts.tm_year) + 1900,
        Int(parts.tm_mon) + 1,
        Int(parts.tm_mday),
        Int(parts.tm_hour),
        Int(parts.tm_min),
        Int(parts.tm_sec),
        Int(milliseconds % 1000)
    )
}
