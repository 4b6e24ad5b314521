import FlareletCore
import FlareletD1
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The repository root, found from this file's location.
let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `flarelet` binary built next to the test bundle.
func flareletBinary() throws -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("flarelet")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    let fallback = repoRoot.appendingPathComponent(".build/debug/flarelet")
    guard FileManager.default.isExecutableFile(atPath: fallback.path) else {
        throw LiveError("flarelet binary not found; run `swift build --build-tests` first")
    }
    return fallback
}

struct LiveError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary directory removed when the value is deinitialised.
final class TemporaryDirectory: @unchecked Sendable {
    let url: URL
    init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }
    var path: String { self.url.path }
    deinit { try? FileManager.default.removeItem(at: self.url) }
}

/// The result of running `flarelet` to completion.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `flarelet args…` (or another `executable`) and waits for it (at most `timeout` seconds).
func runFlarelet(
    _ arguments: [String],
    executable: URL? = nil,
    directory: URL? = nil,
    stdin: String? = nil,
    timeout: Double = 60,
    environment: [String: String] = [:]
) throws -> CommandResult {
    let process = Process()
    process.executableURL = try executable ?? flareletBinary()
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    let outData = LockedValue(Data())
    let errData = LockedValue(Data())
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        let data = out.fileHandleForReading.readDataToEndOfFile()
        outData.withLock { $0 = data }
        group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
        let data = err.fileHandleForReading.readDataToEndOfFile()
        errData.withLock { $0 = data }
        group.leave()
    }
    if group.wait(timeout: .now() + timeout) == .timedOut {
        kill(process.processIdentifier, SIGKILL)
        throw LiveError(
            "\(process.executableURL?.lastPathComponent ?? "flarelet") \(arguments.joined(separator: " ")) did not finish within \(timeout) s"
        )
    }
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData.withLock { $0 }, as: UTF8.self),
        stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self)
    )
}

/// A running `flarelet dev` process.
final class LiveServer: @unchecked Sendable {
    let process: Process
    let urls: [String]
    private let output: LockedValue<String>
    private let errors: LockedValue<String>

    /// Starts `flarelet dev` (or `executable dev`) with `arguments` and waits for `readyCount` `Ready on` lines (and
    /// the `Dashboard on` line). Unless the arguments say otherwise, the dashboard listens on a free port (never the
    /// default 8786).
    init(
        _ arguments: [String],
        executable: URL? = nil,
        directory: URL? = nil,
        readyCount: Int = 1,
        timeout: Double = 30,
        environment: [String: String] = [:]
    ) throws {
        let process = Process()
        process.executableURL = try executable ?? flareletBinary()
        if let directory { process.currentDirectoryURL = directory }
        let dashboardChosen = arguments.contains("--no-dashboard") || arguments.contains("--dashboard-port")
        process.arguments = ["dev"] + arguments + (dashboardChosen ? [] : ["--dashboard-port", "0"])
        let expectDashboard = !arguments.contains("--no-dashboard")
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let output = LockedValue("")
        let errors = LockedValue("")
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            errors.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        self.process = process
        self.output = output
        self.errors = errors
        let deadline = Date().addingTimeInterval(timeout)
        var urls: [String] = []
        while Date() < deadline {
            let text = output.withLock { $0 }
            urls = text.split(separator: "\n").compactMap { line in
                line.hasPrefix("Ready on ") ? line.dropFirst("Ready on ".count).split(separator: " ").first.map(String.init) : nil
            }
            let dashboardReady = !expectDashboard || text.contains("Dashboard on ")
            if (urls.count >= readyCount && dashboardReady) || !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard urls.count >= readyCount else {
            process.terminate()
            throw LiveError("flarelet dev did not become ready: stdout \(output.withLock { $0 }) stderr \(errors.withLock { $0 })")
        }
        self.urls = urls.map { $0.replacingOccurrences(of: "//localhost:", with: "//127.0.0.1:") }
    }

    var url: String { self.urls[0] }

    /// The dashboard's URL from the `Dashboard on` line (127.0.0.1 for localhost).
    var dashboardURL: String? {
        for line in self.stdout.split(separator: "\n") where line.hasPrefix("Dashboard on ") {
            return String(line.dropFirst("Dashboard on ".count)).replacingOccurrences(of: "//localhost:", with: "//127.0.0.1:")
        }
        return nil
    }

    /// The dashboard's port.
    var dashboardPort: Int? {
        self.dashboardURL.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } }
    }
    var stdout: String { self.output.withLock { $0 } }
    var stderr: String { self.errors.withLock { $0 } }

    /// Sends SIGTERM (or SIGINT) and waits for exit; returns the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Double = 15) -> Int32 {
        if self.process.isRunning { kill(self.process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while self.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if self.process.isRunning {
            // Still running: the caller sees a failed status instead of a crash (terminationStatus traps while the
            // process runs).
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
            return -1
        }
        return self.process.terminationStatus
    }

    deinit {
        if self.process.isRunning { self.process.terminate() }
    }
}

/// One HTTP request with URLSession.
func httpRequest(
    _ method: String,
    _ url: String,
    headers: [String: String] = [:],
    body: String? = nil
) async throws -> (
    status: Int, headers: [String: String], body: String
) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    if let body { request.httpBody = Data(body.utf8) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    var fields: [String: String] = [:]
    for (name, value) in http.allHeaderFields { fields["\(name)".lowercased()] = "\(value)" }
    return (http.statusCode, fields, String(decoding: data, as: UTF8.self))
}

/// Applies a schema file to the database file that `flarelet dev` will open.
func applySchema(_ schemaPath: String, toDatabaseAt path: String) async throws {
    let database = try SQLiteD1Database(path: path)
    defer { database.close() }
    let text = try String(contentsOfFile: schemaPath, encoding: .utf8)
    _ = try await database.batch(queries: SQLSplitter.split(text).map { D1Query(sql: $0) })
}
