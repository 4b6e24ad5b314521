import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A server started as a child process of the benchmark (the same executable in a serving mode), so that the
/// server and the load generator never share a process.
final class ChildServer {
    let process: Process
    let name: String
    let startedAt: ContinuousClock.Instant
    private let output: FileHandle

    /// Starts `flarelet-bench <arguments>`; its output goes to a log file in `logDirectory`.
    init(name: String, arguments: [String], logDirectory: String) throws {
        self.name = name
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !FileManager.default.isExecutableFile(atPath: process.executableURL!.path) {
            process.executableURL = Bundle.main.executableURL
        }
        process.arguments = arguments
        // The child runs at this process's priority (Foundation's Process does not pass niceness on; the child sets
        // it itself before it starts any thread), so a benchmark started with `nice` treats server and load alike.
        var environment = ProcessInfo.processInfo.environment
        environment["FLARELET_BENCH_NICE"] = String(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid())))
        process.environment = environment
        let logPath = logDirectory + "/\(name).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        self.output = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = self.output
        process.standardError = self.output
        self.startedAt = ContinuousClock.now
        try process.run()
        self.process = process
    }

    var pid: Int32 { self.process.processIdentifier }

    /// Gives every thread of the child this process's niceness (threads started by libdispatch and NIO do not
    /// inherit it from the child's main thread). Called before each measurement.
    func matchPriority() {
        let niceness = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid()))
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(self.pid)/task") else { return }
        for thread in threads.compactMap({ id_t($0) }) {
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, niceness)
        }
    }

    /// Resident set size in KiB (`VmRSS` of `/proc/<pid>/status`).
    var rssKiB: Int { Proc.statusKiB(pid: self.pid) }

    /// Stops the server with SIGTERM (graceful), then SIGKILL after 10 s.
    func stop() {
        guard self.process.isRunning else { return }
        self.process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while self.process.isRunning, Date() < deadline { usleep(10_000) }
        if self.process.isRunning { kill(self.pid, SIGKILL) }
        self.process.waitUntilExit()
        try? self.output.close()
    }

    deinit { self.stop() }
}

enum Proc {
    /// A `/proc/<pid>/status` field in KiB.
    static func statusKiB(pid: Int32, field: String = "VmRSS") -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}

enum Ports {
    /// `count` consecutive ports that are free right now on 127.0.0.1 (from the kernel's ephemeral range).
    static func freeRun(_ count: Int) -> Int {
        for _ in 0..<200 {
            let base = self.ephemeral()
            if base + count < 65535, (0..<count).allSatisfy({ self.isFree(base + $0) }) { return base }
        }
        fatalError("no \(count) consecutive free ports found")
    }

    private static func ephemeral() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// A tiny blocking HTTP/1.1 client for readiness checks and set-up requests (not for load).
enum Probe {
    /// Sends one request on a new connection and returns the status code, or `nil` if nothing answered.
    static func status(port: Int, request: String) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return nil }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var received: [UInt8] = []
        while !received.contains(10) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            received += buffer[0..<count]
        }
        let line = String(decoding: received.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    /// Polls `request` every millisecond until it gets a status in 200–299; returns the time that took since
    /// `since`, or `nil` after `timeout` seconds.
    static func waitForSuccess(port: Int, request: String, since: ContinuousClock.Instant, timeout: Double = 60) -> Duration? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let status = self.status(port: port, request: request), (200..<300).contains(status) {
                return ContinuousClock.now - since
            }
            usleep(1000)
        }
        return nil
    }
}

extension Duration {
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}
