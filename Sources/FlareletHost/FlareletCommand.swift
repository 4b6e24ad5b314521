public import ArgumentParser
public import FlareletCore
import Foundation

/// `flarelet`: a local runtime and test harness for Cloudflare-style workers written in Swift.
///
/// The subcommands are the built-in ones followed by the commands the executable passed to
/// ``FlareletMain/run(workers:commands:arguments:)``.
struct FlareletCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "flarelet",
            abstract: "Run Cloudflare-style Swift workers locally: D1 on SQLite, KV on LMDB, real cron schedules.",
            discussion: """
                Local state lives in .flarelet/state next to wrangler.toml (or --persist-to DIR); the dev server and \
                the d1/kv commands share it safely.
                """,
            subcommands: [
                Dev.self, Tail.self, Init.self, Contract.self, CronCommand.self, Workers.self,
                D1Command.self, KVCommand.self, KVColonKeyCommand.self, KVColonNamespaceCommand.self,
            ] + Host.commands
        )
    }

    init() {}
}

/// What the executable started the host with: the workers it can serve and its own extra commands.
enum Host {
    private static let state = LockedValue((registry: WorkerRegistry(), commands: [any ParsableCommand.Type]()))

    /// The workers `dev`, `cron trigger` and `workers` know, by their wrangler `main` value.
    static var registry: WorkerRegistry { self.state.withLock { $0.registry } }

    /// Commands added by the executable (e.g. `runt sign` in this repository's `flarelet`).
    static var commands: [any ParsableCommand.Type] { self.state.withLock { $0.commands } }

    static func start(registry: WorkerRegistry, commands: [any ParsableCommand.Type]) {
        self.state.withLock { $0 = (registry, commands) }
    }
}

/// A command failure: ``reportingErrors(_:)`` prints it as one `✘ [ERROR]` line and exits with status 1.
public struct CLIFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
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
    public func reportingErrors(_ body: () async throws -> Void) async throws {
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

/// The whole `flarelet` command line (`dev`, `d1`, `kv`, `cron`, `contract`, `workers`, `init`) as a library: an
/// executable's `main.swift` calls ``run(workers:commands:arguments:)`` with the workers it hosts.
///
/// ```swift
/// import FlareletHost
/// import HelloWorker
///
/// await FlareletMain.run(workers: ["hello": { HelloWorker() }])
/// ```
public enum FlareletMain {
    /// Parses and runs the command line. Usage errors print ArgumentParser's message (with its "Did you mean"
    /// suggestion) and exit with status 1, like every other Flarelet failure.
    ///
    /// - Parameters:
    ///   - workers: the workers this executable can host, by their wrangler `main` value.
    ///   - commands: extra subcommands of the executable's own (listed after the built-in ones).
    ///   - arguments: the arguments after the program name; `nil` reads the process's command line.
    public static func run(
        workers: WorkerRegistry,
        commands: [any ParsableCommand.Type] = [],
        arguments: [String]? = nil
    ) async {
        Host.start(registry: workers, commands: commands)
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
