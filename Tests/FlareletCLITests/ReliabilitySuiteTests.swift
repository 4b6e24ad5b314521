import Foundation
import Testing

/// The short CI version of the reliability suite (RELIABILITY.md): the `flarelet-reliability` executable built next
/// to `flarelet`, run with small counts. Each run is bounded; the full runs are documented in RELIABILITY.md.
@Suite(.serialized)
struct ReliabilitySuiteTests {
    /// Runs `flarelet-reliability arguments… --repo <root>` and returns its status and output.
    static func reliability(_ arguments: [String], timeout: Double) throws -> (status: Int32, output: String) {
        let binary = try flareletBinary().deletingLastPathComponent().appendingPathComponent("flarelet-reliability")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw LiveError("flarelet-reliability not found at \(binary.path); run `swift build --build-tests` first")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments + ["--repo", repoRoot.path]
        process.currentDirectoryURL = repoRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = LockedOutput()
        let reader = Thread {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            output.set(String(decoding: data, as: UTF8.self))
        }
        reader.start()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning {
            process.terminate()
            throw LiveError("flarelet-reliability \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        while reader.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
        return (process.terminationStatus, output.get())
    }

    @Test func fuzzAFewThousandCases() throws {
        let result = try Self.reliability(["fuzz", "--cases", "3000", "--seed", "14", "--stall-every", "500"], timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("PASS fuzz: 3,000 cases"))
    }

    @Test func crashTwoRounds() throws {
        let result = try Self.reliability(["crash", "--rounds", "2", "--seed", "14", "--max-uptime", "1.5"], timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("PASS crash: 2 rounds"))
    }

    @Test func diskFullOrASkipWithItsReason() throws {
        let result = try Self.reliability(["diskfull", "--seed", "14"], timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("PASS diskfull") || result.output.contains("SKIP diskfull: "))
    }
}

/// Output collected on a reader thread.
final class LockedOutput: @unchecked Sendable {
    private var text = ""
    private let lock = NSLock()
    func set(_ value: String) {
        self.lock.lock()
        self.text = value
        self.lock.unlock()
    }
    func get() -> String {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.text
    }
}
