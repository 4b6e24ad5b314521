import ArgumentParser
import FlareletConfig
import FlareletDashboard
import FlareletJSON
import FlareletServer
import Foundation
import Logging

/// `flarelet tail`: `wrangler tail` against a running `flarelet dev` (platform-next.md 9).
struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a log tailing session for a worker served by a running `flarelet dev`",
        discussion: """
            Connects to the dashboard port of `flarelet dev` (default 8786; see `flarelet dev --dashboard-port`) and \
            prints one event per request the worker handled and per cron run, in wrangler tail's JSON shape: \
            outcome, scriptName, exceptions, logs (the worker's log lines of that invocation), eventTimestamp and \
            event (request url, method, headers and cf, and response status; or cron and scheduledTime). Secret \
            headers and id-like parts of URLs are REDACTED as workerd does. Filters combine with AND; repeated \
            values of one filter with OR.

            Examples:
              flarelet tail -c wrangler.toml
              flarelet tail -c workers/minigem/wrangler.toml --format pretty --status error
              flarelet tail --method POST --search rate
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json
        case pretty
    }

    enum Status: String, ExpressibleByArgument, CaseIterable {
        case ok
        case error
        case canceled
    }

    @Argument(help: "The worker to tail (default: the name in wrangler.toml)")
    var worker: String?

    @Option(name: [.short, .customLong("config")], help: "Path to wrangler.toml (default: searched upward from the working directory).")
    var config: String?

    @Option(name: [.short, .customLong("env")], help: "Environment to use ([env.NAME]): tails the worker named for it.")
    var env: String?

    @Option(help: "json (one JSON object per event) or pretty; default pretty on a terminal, else json.")
    var format: Format?

    @Option(help: "Only events with this outcome: ok, error or canceled (repeatable).")
    var status: [Status] = []

    @Option(help: "Only requests with this method (repeatable).")
    var method: [String] = []

    @Option(help: "Only requests with this header: NAME or NAME:VALUE.")
    var header: String?

    @Option(help: "Only events whose log messages contain this text.")
    var search: String?

    @Option(help: "Only requests from this client address (repeatable; `self` = this machine).")
    var ip: [String] = []

    @Option(name: .customLong("sampling-rate"), help: "Keep each event with this probability (between 0 and 1).")
    var samplingRate: Double?

    @Option(name: .customLong("dashboard-port"), help: "The dashboard port of the running `flarelet dev`.")
    var dashboardPort: Int = 8786

    @Option(help: "The host `flarelet dev` listens on.")
    var host: String = "127.0.0.1"

    func validate() throws {
        if let rate = self.samplingRate, !(rate > 0 && rate < 1) {
            throw ValidationError(
                "A sampling rate must be between 0 and 1 in order to have any effect.\n"
                    + "For example, a sampling rate of 0.25 means 25% of events will be logged."
            )
        }
        if !(1...65535).contains(self.dashboardPort) {
            throw ValidationError("--dashboard-port must be between 1 and 65535 (got \(self.dashboardPort))")
        }
    }

    func run() async throws {
        try await self.reportingErrors {
            var name = self.worker
            if name == nil {
                let path = try self.config ?? WranglerConfig.find(startingAt: FileManager.default.currentDirectoryPath)
                let config = try WranglerConfig.load(path: path, env: self.env, cliVars: [])
                name = config.name
            }
            var filter = TailFilter()
            if !self.status.isEmpty { filter.outcomes = TailFilter.outcomes(forStatuses: self.status.map(\.rawValue)) }
            if !self.method.isEmpty { filter.methods = self.method }
            if let search = self.search { filter.query = search }
            if !self.ip.isEmpty { filter.clientIPs = self.ip }
            if let header = self.header {
                let parts = header.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                filter.header = (parts[0], parts.count > 1 ? parts[1] : nil)
            }
            let format = self.format ?? (isatty(STDOUT_FILENO) == 1 ? .pretty : .json)
            let rate = self.samplingRate
            var logger = Logger(label: "flarelet.tail")
            logger.logLevel = .critical
            try await TailClient.run(
                host: self.host,
                port: self.dashboardPort,
                worker: name,
                filter: filter,
                logger: logger,
                onConnected: { workers in
                    let line = "Connected to \(workers.joined(separator: ", ")), waiting for logs..."
                    // JSON output stays pure JSON: the status line goes to standard error.
                    if format == .pretty { Console.out(line) } else { Output.log(line) }
                },
                onEvent: { event in
                    if let rate, Double.random(in: 0..<1) >= rate { return }
                    switch format {
                    case .json:
                        Console.out(event.stringify(indent: 2))
                    case .pretty:
                        Self.printPretty(event)
                    }
                }
            )
        }
    }

    /// wrangler's pretty form: a header line, the log lines, exceptions as errors (v3 layout).
    static func printPretty(_ event: JSONValue) {
        let outcomeText =
            switch event["outcome"]?.stringValue {
            case "ok": "Ok"
            case "canceled": "Canceled"
            case "exceededCpu": "Exceeded CPU Limit"
            case "exceededMemory": "Exceeded Memory Limit"
            case "exception": "Exception Thrown"
            default: "Unknown"
            }
        let timestamp = Int64(event["eventTimestamp"]?.doubleValue ?? 0)
        if let cron = event["event"]?["cron"]?.stringValue {
            let scheduled = Int64(event["event"]?["scheduledTime"]?.doubleValue ?? 0)
            Console.out("\"\(cron)\" @ \(LocalTime.string(scheduled)) - \(outcomeText)")
        } else if let request = event["event"]?["request"] {
            let method = request["method"]?.stringValue ?? ""
            let url = request["url"]?.stringValue ?? ""
            Console.out("\(method) \(url) - \(outcomeText) @ \(LocalTime.string(timestamp))")
        } else {
            Console.out("[missing request] - \(outcomeText) @ \(LocalTime.string(timestamp))")
        }
        for log in event["logs"]?.arrayValue ?? JSONArray([]) {
            let parts = (log["message"]?.arrayValue ?? JSONArray([])).map { $0.stringValue ?? $0.stringify() }
            Console.out("  (\(log["level"]?.stringValue ?? "log")) " + parts.joined(separator: " "))
        }
        for exception in event["exceptions"]?.arrayValue ?? JSONArray([]) {
            Console.error("  \(exception["name"]?.stringValue ?? "Error"): \(exception["message"]?.stringValue ?? "")")
        }
    }
}

/// JavaScript's en-US `toLocaleString()` in the local time zone: `8/22/2026, 6:55:46 PM`.
enum LocalTime {
    static func string(_ milliseconds: Int64) -> String {
        let calendar = Calendar(identifier: .gregorian)
        let parts = calendar.dateComponents(
            in: .current,
            from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        )
        let hour24 = parts.hour ?? 0
        let hour = hour24 % 12 == 0 ? 12 : hour24 % 12
        let minute = String(format: "%02d", parts.minute ?? 0)
        let second = String(format: "%02d", parts.second ?? 0)
        return "\(parts.month ?? 0)/\(parts.day ?? 0)/\(parts.year ?? 0), \(hour):\(minute):\(second) \(hour24 < 12 ? "AM" : "PM")"
    }
}
