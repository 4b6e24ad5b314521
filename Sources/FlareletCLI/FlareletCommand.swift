public import ArgumentParser
import Foundation

/// `flarelet`: a local runtime and test harness for Cloudflare-style workers written in Swift.
public struct FlareletCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "flarelet",
        abstract: "Run Cloudflare-style Swift workers locally: D1 on SQLite, KV on LMDB, real cron schedules.",
        discussion: """
            Local state lives in .flarelet/state next to wrangler.toml (or --persist-to DIR); the dev server and \
            the d1/kv commands share it safely.
            """,
        subcommands: [
            Dev.self, Tail.self, Contract.self, CronCommand.self, Workers.self, RuntCommand.self,
            D1Command.self, KVCommand.self, KVColonKeyCommand.self, KVColonNamespaceCommand.self,
        ]
    )

    public init() {}
}

/// Options shared by commands that read one wrangler.toml.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.short, .customLong("config")], help: "Path to wrangler.toml (default: searched upward from the working directory).")
    var config: String?

    @Option(name: [.short, .customLong("env")], help: "Environment to use ([env.NAME] in wrangler.toml).")
    var env: String?

    @Option(name: .customLong("persist-to"), help: "Directory for local state (default: .flarelet/state beside wrangler.toml).")
    var persistTo: String?
}

/// Prints one error line to standard error and exits with status 1.
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("✘ [ERROR] \(message)\n".utf8))
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("▲ [WARNING] \(message)\n".utf8))
    }

    static func out(_ message: String) {
        FileHandle.standardOutput.write(Data((message + "\n").utf8))
    }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning any error into one `✘ [ERROR]` line and exit status 1 (never a stack trace).
    func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as CleanExit {
            throw error
        } catch {
            Console.error("\(error)")
            throw ExitCode(1)
        }
    }
}

/// Entry point for the `flarelet` executable.
public enum FlareletMain {
    /// Parses and runs the command line. Usage errors print ArgumentParser's message (with its "Did you mean"
    /// suggestion) and exit with status 1, like every other Flarelet failure.
    ///
    /// - Parameter arguments: the arguments after the program name; `nil` reads the process's command line.
    public static func run(arguments: [String]? = nil) async {
        do {
            var command = try FlareletCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = FlareletCommand.exitCode(for: error)
            let message = FlareletCommand.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty {
                FileHandle.standardError.write(Data((message + "\n").utf8))
            }
            Foundation.exit(code == .validationFailure ? 1 : code.rawValue)
        }
    }
}
