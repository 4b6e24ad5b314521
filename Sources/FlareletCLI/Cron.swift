import ArgumentParser
import FlareletConfig
import FlareletCore
import FlareletCron
import FlareletServer
import FlareletWorkers
import Foundation
import Logging

struct CronCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Run a worker's scheduled handler now, or show when its crons fire next.",
        subcommands: [Trigger.self, Next.self]
    )

    struct Trigger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the scheduled handler once against local state, without a server.",
            discussion: "Exit status 0 when the outcome is ok, 1 otherwise. Example: flarelet cron trigger -c wrangler.toml"
        )

        @OptionGroup var options: ConfigOptions

        @Option(help: "The cron string passed to the handler (default: the first configured cron).")
        var cron: String?

        @Option(help: "Scheduled time as ISO 8601 (e.g. 2026-11-24T02:00:00Z) or milliseconds since the epoch (default: now).")
        var time: String?

        func run() async throws {
            try await self.reportingErrors {
                let config = try loadConfig(self.options)
                let hosted = try HostedWorker(
                    config: config,
                    registry: SeedWorkers.registry,
                    clock: SystemClock(),
                    logger: Logger(label: "flarelet")
                )
                defer { hosted.close() }
                let scheduledTime: Int64
                if let time = self.time {
                    guard let parsed = parseTime(time) else {
                        throw CLIFailure("--time \(time): expected ISO 8601 (2026-11-24T02:00:00Z) or milliseconds since the epoch")
                    }
                    scheduledTime = parsed
                } else {
                    scheduledTime = Date().epochMilliseconds
                }
                let cron = self.cron ?? config.crons.first?.expression ?? ""
                let outcome = try await hosted.withServicesRunning {
                    await hosted.runScheduled(cron: cron, scheduledTime: scheduledTime)
                }
                print(#"{"outcome":"\#(outcome.outcome)","noRetry":\#(outcome.noRetry)}"#)
                if !outcome.isOK { throw ExitCode(1) }
            }
        }
    }

    struct Next: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the next fire times (UTC) of each configured cron.")

        @OptionGroup var options: ConfigOptions

        @Option(help: "How many fire times to print per cron.")
        var count: Int = 5

        func run() async throws {
            try await self.reportingErrors {
                let config = try loadConfig(self.options)
                if config.crons.isEmpty {
                    print("No crons configured in \(config.configPath) ([triggers] crons).")
                    return
                }
                for entry in config.crons {
                    let cron: CronExpression
                    do {
                        cron = try CronExpression(parsing: entry.expression)
                    } catch {
                        throw CLIFailure("\(entry.file):\(entry.line): \(error)")
                    }
                    print("\"\(entry.expression)\"")
                    var after = Date()
                    for _ in 0..<max(1, self.count) {
                        guard let next = cron.nextFireTime(after: after) else {
                            print("  (never fires)")
                            break
                        }
                        print("  \(next.isoString)")
                        after = next
                    }
                }
            }
        }
    }
}

func loadConfig(_ options: ConfigOptions) throws -> ResolvedConfig {
    let path = try options.config ?? WranglerConfig.find(startingAt: FileManager.default.currentDirectoryPath)
    let config = try WranglerConfig.load(path: path, env: options.env, cliVars: [], persistTo: options.persistTo)
    for warning in config.warnings { Console.warn(warning) }
    return config
}

/// ISO 8601 (with or without fractional seconds) or epoch milliseconds.
func parseTime(_ text: String) -> Int64? {
    if let ms = Int64(text) { return ms }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return date.epochMilliseconds }
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)?.epochMilliseconds
}
