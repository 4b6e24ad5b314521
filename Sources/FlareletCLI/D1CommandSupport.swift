import ArgumentParser
import FlareletConfig
import FlareletCore
import FlareletJSON
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The options every `d1` and `kv` command shares: which configuration, environment and state, and the target
/// flags wrangler has (`--local` is accepted and changes nothing; `--remote` is refused).
struct StateOptions: ParsableArguments {
    @Option(name: [.short, .customLong("config")], help: "Path to wrangler.toml (default: searched upward from the working directory).")
    var config: String?

    @Option(name: [.short, .customLong("env")], help: "Environment to use ([env.NAME] in wrangler.toml).")
    var env: String?

    @Option(
        name: .customLong("persist-to"),
        help: "Directory for local state (default: .flarelet/state beside wrangler.toml); works without --local."
    )
    var persistTo: String?

    @Flag(name: .customLong("local"), help: "Accepted for wrangler compatibility; Flarelet always uses local state.")
    var local = false

    @Flag(name: .customLong("remote"), help: "Not supported: Flarelet works on local state only.")
    var remote = false

    /// Fails at once when `--remote` was given.
    func refuseRemote() throws {
        if self.remote { throw CLIFailure(remoteRefusal) }
    }

    /// Finds and loads the configuration.
    /// - Parameters:
    ///   - toDefine: The end of the "No configuration file found" sentence.
    ///   - quiet: Leave out configuration warnings (JSON output).
    func load(toDefine: String, quiet: Bool = false) throws -> ResolvedConfig {
        let path = try self.config ?? WranglerConfig.find(startingAt: FileManager.default.currentDirectoryPath, toDefine: toDefine)
        let config = try WranglerConfig.load(path: path, env: self.env, cliVars: [], persistTo: self.persistTo)
        if !quiet {
            for warning in config.warnings { Console.warn(warning) }
        }
        return config
    }
}

/// The one-line refusal of `--remote`.
let remoteRefusal =
    "--remote is not supported: Flarelet works on local state only (.flarelet/state beside wrangler.toml, or --persist-to). "
    + "Remove --remote."

/// Line writers for the `d1` and `kv` commands.
enum Output {
    /// Writes `text` and a newline to standard output.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes `text` and a newline to standard error.
    static func log(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Writes raw bytes to standard output.
    static func raw(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// Whether standard output is a terminal.
    static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// The environment part of the state banner.
    static func environment(_ config: ResolvedConfig) -> String {
        config.envName.map { "environment \($0)" } ?? "environment top level"
    }
}

/// Yes/no questions the way wrangler asks them: on a terminal (and outside CI) the user answers, default yes;
/// otherwise the question is printed with wrangler's fallback line and answered yes.
enum Prompt {
    static func confirm(_ question: String, assumeYes: Bool) -> Bool {
        if assumeYes { return true }
        let ci = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "false" && $0 != "0" } ?? false
        guard isatty(0) == 1, !ci else {
            Output.line("? \(question)")
            Output.line("🤖 Using fallback value in non-interactive context: yes")
            return true
        }
        FileHandle.standardOutput.write(Data("? \(question) › (Y/n) ".utf8))
        guard let answer = readLine() else { return true }
        let trimmed = answer.trimmingCharacters(in: .whitespaces).lowercased()
        return trimmed.isEmpty || trimmed.hasPrefix("y")
    }
}

/// Tables drawn like wrangler's (cli-table3 defaults, no colours): a border, the header, and a rule between rows.
enum TextTable {
    static func render(headers: [String], rows: [[String]]) -> String {
        let columnCount = headers.count
        guard columnCount > 0 else { return "" }
        let split: ([String]) -> [[String]] = { cells in
            (0..<columnCount).map { index in
                let cell = index < cells.count ? cells[index] : ""
                return cell.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            }
        }
        let allRows = [split(headers)] + rows.map(split)
        var widths = [Int](repeating: 0, count: columnCount)
        for row in allRows {
            for (index, lines) in row.enumerated() {
                for line in lines { widths[index] = max(widths[index], self.displayWidth(line)) }
            }
        }
        func rule(_ left: String, _ middle: String, _ right: String) -> String {
            left + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: middle) + right
        }
        var out: [String] = [rule("┌", "┬", "┐")]
        for (rowIndex, row) in allRows.enumerated() {
            if rowIndex > 0 { out.append(rule("├", "┼", "┤")) }
            let height = row.map(\.count).max() ?? 1
            for lineIndex in 0..<height {
                var line = "│"
                for (index, lines) in row.enumerated() {
                    let text = lineIndex < lines.count ? lines[lineIndex] : ""
                    line += " " + text + String(repeating: " ", count: widths[index] - self.displayWidth(text)) + " │"
                }
                out.append(line)
            }
        }
        out.append(rule("└", "┴", "┘"))
        return out.joined(separator: "\n")
    }

    /// Terminal columns `text` takes: wide East Asian characters and emoji count two, combining marks, variation
    /// selectors and joiners none (an approximation of the `string-width` package cli-table3 uses).
    static func displayWidth(_ text: String) -> Int {
        var width = 0
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x20 || (0x7f..<0xa0).contains(value) { continue }
            if value == 0x200d || (0xfe00...0xfe0f).contains(value) || (0x300...0x36f).contains(value) { continue }
            if scalar.properties.isEmojiPresentation || Self.isWide(value) {
                width += 2
            } else {
                width += 1
            }
        }
        return width
    }

    private static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115f, 0x2e80...0x303e, 0x3041...0x33ff, 0x3400...0x4dbf, 0x4e00...0x9fff, 0xa000...0xa4cf,
            0xac00...0xd7a3, 0xf900...0xfaff, 0xfe30...0xfe4f, 0xff00...0xff60, 0xffe0...0xffe6, 0x20000...0x3fffd:
            true
        default:
            false
        }
    }
}

extension D1Value {
    /// The value as `d1 execute` prints it: BLOBs become the string `[1, 2, 3]` (the bytes joined by `", "`),
    /// NULL stays `null`, numbers stay numbers.
    var executeJSON: JSONValue {
        switch self {
        case .blob(let bytes): .string("[" + bytes.map { String($0) }.joined(separator: ", ") + "]")
        default: self.json
        }
    }

    /// The value converted to a string for a table cell (JavaScript `String(value)`; NULL prints `null`).
    var cellText: String {
        switch self.executeJSON {
        case .string(let text): text.string
        case .null: "null"
        case let other: other.stringify()
        }
    }
}
