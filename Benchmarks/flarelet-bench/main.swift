// flarelet-bench: throughput, startup and memory of `flarelet dev`, each figure printed with its ratio to a floor
// measured in the same run on the same machine (this machine is shared and noisy: compare ratios, not figures).
//
//   swift run -c release flarelet-bench                 # every scenario
//   swift run -c release flarelet-bench hello health voicemode --duration 10
//
// Scenarios: hello (a bare Hummingbird route: the ceiling), health (Drift GET /v1/health), voicemode, runt, drift,
// telemetry-kit, minigem (storing requests), floor (raw SQLite and libsodium), startup (exec → first 2xx and idle
// RSS for all five workers). Servers run as child processes of this executable (`serve-hello`, `serve-flarelet`),
// load comes from this process over loopback (closed loop, keep-alive connections). Run it from the repository
// root (or pass --root), with a release build.
import FlareletCLI
import Foundation
import Hummingbird
import NIOCore
import NIOPosix

// MARK: - Serving modes (child processes)

let arguments = Array(CommandLine.arguments.dropFirst())
if let niceness = ProcessInfo.processInfo.environment["FLARELET_BENCH_NICE"].flatMap({ Int32($0) }) {
    setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
}
if arguments.first == "serve-hello" {
    let port = arguments.count > 2 && arguments[1] == "--port" ? Int(arguments[2]) ?? 8080 : 8080
    let router = Router()
    router.get("/health") { _, _ in "ok" }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
    try await app.runService()
    exit(0)
}
if arguments.first == "serve-flarelet" {
    await FlareletMain.run(arguments: Array(arguments.dropFirst()))
    exit(0)
}

// MARK: - Options

struct Options {
    var scenarios: [String] = []
    var duration = 4.0
    var warmup = 1.0
    var connections = 32
    var clientThreads = 1
    var requests = 2_000_000
    var root = FileManager.default.currentDirectoryPath
    var startupRounds = 5
    var rounds = 3
}

let allScenarios = ["floor", "hello", "health", "voicemode", "runt", "drift", "telemetry-kit", "minigem", "startup"]
/// Scenarios run only when named.
let extraScenarios = ["voicemode-direct"]
var options = Options()
var index = 0
@MainActor func value(_ name: String) -> String {
    index += 1
    guard index < arguments.count else {
        FileHandle.standardError.write(Data("flarelet-bench: \(name) needs a value\n".utf8))
        exit(1)
    }
    return arguments[index]
}
while index < arguments.count {
    let argument = arguments[index]
    switch argument {
    case "--duration": options.duration = Double(value(argument)) ?? options.duration
    case "--warmup": options.warmup = Double(value(argument)) ?? options.warmup
    case "--connections": options.connections = Int(value(argument)) ?? options.connections
    case "--client-threads": options.clientThreads = Int(value(argument)) ?? options.clientThreads
    case "--requests": options.requests = Int(value(argument)) ?? options.requests
    case "--root": options.root = value(argument)
    case "--startup-rounds": options.startupRounds = Int(value(argument)) ?? options.startupRounds
    case "--rounds": options.rounds = max(1, Int(value(argument)) ?? options.rounds)
    case "-h", "--help":
        print(
            """
            usage: flarelet-bench [SCENARIO...] [--duration S] [--warmup S] [--connections N] [--client-threads N]
                                  [--requests N] [--rounds N] [--startup-rounds N] [--root DIR]
            scenarios: \(allScenarios.joined(separator: " ")) (default: all)
                       \(extraScenarios.joined(separator: " ")) (only when named: VoiceMode in-process, no HTTP)
            """
        )
        exit(0)
    default:
        guard allScenarios.contains(argument) || extraScenarios.contains(argument) else {
            FileHandle.standardError.write(Data("flarelet-bench: unknown scenario or option \(argument) (try --help)\n".utf8))
            exit(1)
        }
        options.scenarios.append(argument)
    }
    index += 1
}
if options.scenarios.isEmpty { options.scenarios = allScenarios }
guard FileManager.default.fileExists(atPath: options.root + "/workers/drift/wrangler.toml") else {
    FileHandle.standardError.write(Data("flarelet-bench: run it from the repository root, or pass --root DIR\n".utf8))
    exit(1)
}

try await Bench(options: options).run()
