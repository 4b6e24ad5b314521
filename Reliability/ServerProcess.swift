import FlareletTesting
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the suite finds the `flarelet` binary and the repository's worker configurations.
struct Environment {
    /// The `flarelet` executable.
    var flarelet: String
    /// The repository root (holds `wrangler.toml`, `schema.sql` and `workers/`).
    var repo: String

    /// `flarelet` next to this executable unless `flarelet` is given; the repository is `repo` or the working
    /// directory.
    static func resolve(flarelet: String?, repo: String?) throws -> Environment {
        let binary: String
        if let flarelet {
            binary = flarelet
        } else {
            let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            binary = own.deletingLastPathComponent().appendingPathComponent("flarelet").path
        }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw SuiteError("flarelet binary not found at \(binary): build it (swift build) or pass --flarelet PATH")
        }
        let root = URL(fileURLWithPath: repo ?? FileManager.default.currentDirectoryPath).standardizedFileURL.path
        for required in ["wrangler.toml", "schema.sql", "workers/drift/wrangler.toml"]
        where !FileManager.default.fileExists(atPath: root + "/" + required) {
            throw SuiteError("\(root) is not the Flarelet repository (no \(required)): run from the repository root or pass --repo DIR")
        }
        return Environment(flarelet: binary, repo: root)
    }

    func path(_ relative: String) -> String { self.repo + "/" + relative }

    /// Runs `flarelet args…` to completion (at most `timeout` seconds) and returns status and output.
    @discardableResult
    func run(_ arguments: [String], timeout: Double = 120) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.flarelet)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: self.repo)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let collected = Locked(Data())
        let reader = Thread {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            collected.withLock { $0 = data }
        }
        reader.start()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw SuiteError("flarelet \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        while reader.isExecuting { usleep(1000) }
        return (process.terminationStatus, String(decoding: collected.withLock { $0 }, as: UTF8.self))
    }

    /// Applies a worker's schema to its database under `persistTo`.
    func applySchema(database: String, schema: String, config: String, persistTo: String) throws {
        let result = try self.run(["d1", "execute", database, "--file=\(self.path(schema))", "-c", self.path(config), "--persist-to", persistTo])
        guard result.status == 0 else {
            throw SuiteError("applying \(schema) failed (exit \(result.status)): \(result.output)")
        }
    }
}

/// A failure of the suite itself or of an invariant, printed as one line.
struct SuiteError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A value behind a lock, shareable between threads.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        self.lock.lock()
        defer { self.lock.unlock() }
        return try body(&self.value)
    }
}

/// A running `flarelet dev` (its state only changes in `init`, so threads may share it).
final class DevProcess: @unchecked Sendable {
    let process: Process
    /// Worker name → port, from the `Ready on` lines.
    private(set) var ports: [String: Int] = [:]
    private let output = Locked("")
    private let errors = Locked("")

    /// Starts `flarelet dev` with `arguments` and waits (at most `timeout` seconds) for one `Ready on` line per
    /// name in `workers`.
    init(environment: Environment, arguments: [String], workers: [String], timeout: Double = 60) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: environment.flarelet)
        process.arguments = ["dev"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: environment.repo)
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let output = self.output
        let errors = self.errors
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { output.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { errors.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        self.process = process
        try process.run()
        ServerRegistry.started(process.processIdentifier)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            self.ports = Self.readyPorts(in: output.withLock { $0 }, single: workers.count == 1 ? workers[0] : nil)
            if workers.allSatisfy({ self.ports[$0] != nil }) { return }
            if !process.isRunning { break }
            usleep(20_000)
        }
        let exited = !process.isRunning
        self.kill()
        let what =
            exited
            ? "flarelet dev exited with status \(process.terminationStatus) before it was ready"
            : "flarelet dev did not become ready within \(Int(timeout)) s"
        throw SuiteError("\(what): stdout \(self.stdout.debugDescription) stderr \(self.stderr.debugDescription)")
    }

    /// `Ready on http://HOST:PORT (name)` lines; a single worker's line has no name.
    static func readyPorts(in text: String, single: String?) -> [String: Int] {
        var ports: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("Ready on ") {
            let rest = line.dropFirst("Ready on ".count)
            let url = rest.split(separator: " ").first.map(String.init) ?? ""
            guard let port = url.split(separator: ":").last.flatMap({ Int($0) }) else { continue }
            if let open = rest.firstIndex(of: "("), let close = rest.lastIndex(of: ")") {
                ports[String(rest[rest.index(after: open)..<close])] = port
            } else if let single {
                ports[single] = port
            }
        }
        return ports
    }

    var stdout: String { self.output.withLock { $0 } }
    var stderr: String { self.errors.withLock { $0 } }
    var isRunning: Bool { self.process.isRunning }
    var pid: Int32 { self.process.processIdentifier }

    func port(_ worker: String) -> Int { self.ports[worker]! }

    /// `kill -9`, then waits for the process to be gone.
    func kill() {
        if self.process.isRunning { Glibc.kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
        ServerRegistry.ended(self.process.processIdentifier)
    }

    /// SIGTERM and waits (at most `timeout` seconds); returns the exit status, or `nil` if it had to be killed.
    func stop(timeout: Double = 20) -> Int32? {
        if self.process.isRunning { Glibc.kill(self.process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while self.process.isRunning && Date() < deadline { usleep(20_000) }
        if self.process.isRunning {
            self.kill()
            return nil
        }
        ServerRegistry.ended(self.process.processIdentifier)
        return self.process.terminationStatus
    }

    /// Resident memory of the server in KiB (`VmRSS`), 0 if unknown.
    var residentKiB: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(self.pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    deinit {
        if self.process.isRunning { Glibc.kill(self.process.processIdentifier, SIGKILL) }
    }
}

/// A fresh temporary directory, removed on `remove()` unless kept.
struct ScratchDirectory {
    let path: String

    init(prefix: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

/// Seconds since `start`, formatted with one decimal.
func elapsed(since start: Date) -> String {
    String(format: "%.1f s", Date().timeIntervalSince(start))
}

/// The `flarelet dev` processes this run started: on SIGINT or SIGTERM they are killed before the suite exits, so
/// an interrupted run leaves no server behind.
enum ServerRegistry {
    private static let pids = Locked(Set<Int32>())
    private static let sources = Locked([any DispatchSourceSignal]())

    static func started(_ pid: Int32) { self.pids.withLock { _ = $0.insert(pid) } }
    static func ended(_ pid: Int32) { self.pids.withLock { _ = $0.remove(pid) } }

    /// Installs the SIGINT/SIGTERM handlers (once).
    static func installSignalCleanup() {
        self.sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    for pid in ServerRegistry.pids.withLock({ $0 }) { Glibc.kill(pid, SIGKILL) }
                    exit(128 + number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
