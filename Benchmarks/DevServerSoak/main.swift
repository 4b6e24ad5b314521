// Soak benchmark for `flarelet dev` (platform.md 7.10): serves the counter example (D1 + KV + waitUntil) in this
// process on a real socket, sends N requests over keep-alive connections from 4 client threads, and compares the
// process's resident memory after the first 1,000 requests with the value at the end.
//
//   swift run -c release DevServerSoak [requests=100000]
import FlareletCore
import FlareletServer
import FlareletWorkers
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A `/proc/self/status` field in KiB (`VmRSS`, `RssAnon`, `RssFile`).
func statusKiB(_ field: String = "VmRSS") -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// A minimal blocking HTTP/1.1 keep-alive client (the benchmark must not measure a client library's caches).
final class Connection {
    let fd: Int32
    var buffer = [UInt8](repeating: 0, count: 65536)

    init(port: Int) {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(result == 0, "connect failed")
    }

    /// Sends one GET and reads the whole response; returns the status code.
    func get(_ path: String) -> Int {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(self.fd, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        while true {
            let count = recv(self.fd, &self.buffer, self.buffer.count, 0)
            if count <= 0 { return -1 }
            received += self.buffer[0..<count]
            guard let headerEnd = Self.find(received, Array("\r\n\r\n".utf8)) else { continue }
            let head = String(decoding: received[0..<headerEnd], as: UTF8.self)
            let length =
                head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            if received.count >= headerEnd + 4 + length {
                return Int(head.split(separator: " ")[1]) ?? -1
            }
        }
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index..<index + needle.count].elementsEqual(needle) {
            return index
        }
        return nil
    }

    deinit { close(self.fd) }
}

/// `SOAK_PATH=/__counts` requests one fixed path instead of 64 counters (for isolating where memory goes).
let fixedPath = ProcessInfo.processInfo.environment["SOAK_PATH"]
let total = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 100_000 : 100_000
let state = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-soak-\(UUID().uuidString)").path
defer { try? FileManager.default.removeItem(atPath: state) }
let configDirectory = state + "/project"
try FileManager.default.createDirectory(atPath: configDirectory, withIntermediateDirectories: true)
try """
name = "soak"
main = "counter"

[[d1_databases]]
binding = "DB"
database_name = "soak"
database_id = "x"

[[kv_namespaces]]
binding = "KV"
id = "x"
""".write(toFile: configDirectory + "/wrangler.toml", atomically: true, encoding: .utf8)

var logger = Logger(label: "soak")
logger.logLevel = .error
let session = try DevSession.prepare(
    options: DevOptions(configPaths: [configDirectory + "/wrangler.toml"], port: 0, persistTo: state + "/state", crons: false),
    registry: SeedWorkers.registry,
    logger: logger
)
let ready = DispatchSemaphore(value: 0)
let portBox = LockedValue(0)
Task.detached {
    try await session.run { _, url in
        portBox.withLock { $0 = Int(url.split(separator: ":").last ?? "0") ?? 0 }
        ready.signal()
    }
}
ready.wait()
let port = portBox.withLock { $0 }

func run(_ count: Int, threads: Int) -> (seconds: Double, failures: Int) {
    let failures = LockedValue(0)
    let group = DispatchGroup()
    let started = Date()
    for thread in 0..<threads {
        group.enter()
        Thread {
            let connection = Connection(port: port)
            for index in 0..<(count / threads) {
                // 64 distinct paths: the table stays small, so growth would come from per-request state.
                let path = fixedPath ?? "/p\((index + thread) % 64)"
                if connection.get(path) != 200 { failures.withLock { $0 += 1 } }
            }
            group.leave()
        }.start()
    }
    group.wait()
    return (Date().timeIntervalSince(started), failures.withLock { $0 })
}

let warmup = run(1000, threads: 4)
let rssAfterWarmup = statusKiB()
let anonAfterWarmup = statusKiB("RssAnon")
let fileAfterWarmup = statusKiB("RssFile")
let main = run(total - 1000, threads: 4)
Thread.sleep(forTimeInterval: 1)  // let waitUntil work settle
let rssAtEnd = statusKiB()
let anonAtEnd = statusKiB("RssAnon")
let fileAtEnd = statusKiB("RssFile")
print("DevServerSoak: counter worker (D1 + KV + waitUntil) on a real socket, 4 keep-alive clients")
print("  requests: \(total), failures: \(warmup.failures + main.failures)")
print("  throughput: \(Int(Double(total - 1000) / main.seconds)) requests/s after warm-up")
print("  RSS after 1,000 requests: \(rssAfterWarmup) KiB; after \(total): \(rssAtEnd) KiB")
print(
    "  of which anonymous (heap): \(anonAfterWarmup) -> \(anonAtEnd) KiB; file-backed (LMDB map, libraries): \(fileAfterWarmup) -> \(fileAtEnd) KiB"
)
print("  ratio end / after-1,000: \(String(format: "%.3f", Double(rssAtEnd) / Double(max(1, rssAfterWarmup))))  (7.10 asks for <= 1.10)")
exit(0)
