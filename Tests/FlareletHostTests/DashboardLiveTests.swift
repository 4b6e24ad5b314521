import FlareletCore
import FlareletJSON
import Foundation
import HummingbirdWSClient
import Logging
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs any program to completion (at most `timeout` seconds; then it is killed and this throws).
func runProgram(_ path: String, _ arguments: [String], stdin: String? = nil, timeout: Double = 60) throws -> CommandResult {
    try runFlarelet(arguments, executable: URL(fileURLWithPath: path), stdin: stdin, timeout: timeout)
}

/// A process whose output is collected while it runs.
final class BackgroundProcess: @unchecked Sendable {
    let process = Process()
    private let output = LockedValue("")
    private let errors = LockedValue("")

    init(_ executable: URL, _ arguments: [String]) throws {
        self.process.executableURL = executable
        self.process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        self.process.standardOutput = out
        self.process.standardError = err
        let output = self.output
        let errors = self.errors
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            errors.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try self.process.run()
    }

    var stdout: String { self.output.withLock { $0 } }
    var stderr: String { self.errors.withLock { $0 } }

    /// Polls `condition` every 50 ms for at most `timeout` seconds.
    func wait(timeout: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }

    func stop() {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
    }

    deinit { self.stop() }
}

/// Polls `condition` every 50 ms for at most `seconds`.
func poll(seconds: Double, until condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return condition()
}

/// A socket listening on 127.0.0.1 (`port` 0: any free port) until this is released.
final class ListeningSocket: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init?(port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            return nil
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(self.fd) }
}

/// A TCP port nothing listens on right now.
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Minigem events with every outcome the dashboard draws: six students, runs ending with exit 0, 130, 1 and 143.
func minigemBatch(now: Int64) -> String {
    var events: [JSONValue] = []
    let exits: [Int64] = [0, 0, 0, 130, 1, 143, 0, 130]
    for index in 0..<24 {
        let anon = String(repeating: "0", count: 26) + String(format: "%06x", 0xa0_0000 + index % 6)
        let t = now - Int64(index) * 3_600_000 * 5
        let session = JSONValue.string("s\(index)")
        let exit = exits[index % exits.count]
        var started = JSONObject()
        started["anon"] = .string(anon)
        started["evt"] = .string("java.run.started")
        started["t"] = .integer(t)
        started["os"] = .string(index % 3 == 0 ? "Linux" : "Windows_NT")
        started["ext"] = .string(index % 2 == 0 ? "1.3.0" : "1.2.0")
        started["vscode"] = .string("1.91.1")
        started["sessionId"] = session
        events.append(.object(started))
        var metrics = JSONObject()
        metrics["durationMs"] = .integer(Int64(1000 + index * 2500))
        metrics["exit"] = .integer(exit)
        metrics["scannerUsage"] = .bool(index % 3 != 1)
        metrics["cumulativeBytesBucket"] = .string(index % 2 == 0 ? "0-1KB" : "1-10KB")
        metrics["waitMsTotal"] = .integer(Int64(index * 10))
        var completed = JSONObject()
        completed["anon"] = .string(anon)
        completed["evt"] = .string("java.run.completed")
        completed["t"] = .integer(t + 4000)
        completed["os"] = .string("Linux")
        completed["ext"] = .string("1.3.0")
        completed["vscode"] = .string("1.91.1")
        completed["sessionId"] = session
        completed["m"] = .object(metrics)
        events.append(.object(completed))
        if exit == 1 {
            var error = JSONObject()
            error["anon"] = .string(anon)
            error["evt"] = .string("java.run.error")
            error["t"] = .integer(t + 3000)
            error["sessionId"] = session
            error["m"] = .object(["phase": .string(index % 2 == 0 ? "compile" : "runtime"), "exceptionHash": .string("NPE@Main")] as JSONObject)
            events.append(.object(error))
        }
    }
    return JSONValue.object(["schema": .string("jwc.v1"), "batch": .array(events)] as JSONObject).stringify()
}

/// The installed Chromium, if any.
enum Chromium {
    static var path: String? {
        for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// The DOM after the page's scripts ran (virtual time lets its timers and fetches finish).
    static func dumpDOM(_ url: String, profile: String) throws -> String {
        let result = try runProgram(
            try #require(self.path),
            self.flags(profile: profile) + ["--virtual-time-budget=8000", "--dump-dom", url],
            timeout: 90
        )
        guard result.status == 0, result.stdout.contains("</html>") else {
            throw LiveError("chromium --dump-dom \(url) failed (\(result.status)): \(result.stderr.suffix(2000))")
        }
        return result.stdout
    }

    static func screenshot(_ url: String, to file: String, profile: String, height: Int) throws {
        let result = try runProgram(
            try #require(self.path),
            self.flags(profile: profile) + ["--virtual-time-budget=8000", "--window-size=1280,\(height)", "--screenshot=\(file)", url],
            timeout: 90
        )
        guard FileManager.default.fileExists(atPath: file) else {
            throw LiveError("chromium --screenshot \(url) wrote nothing (\(result.status)): \(result.stderr.suffix(2000))")
        }
    }

    /// Opens `url` in a headless Chromium that stays open, and hands `body` a function evaluating JavaScript in the
    /// page over the DevTools protocol (its websocket), returning the value.
    static func withOpenPage(
        _ url: String,
        profile: String,
        _ body: @escaping @Sendable (_ evaluate: (String) async throws -> JSONValue) async throws -> Void
    ) async throws {
        let browser = try BackgroundProcess(
            URL(fileURLWithPath: try #require(self.path)),
            self.flags(profile: profile) + ["--remote-debugging-port=0", "--remote-allow-origins=*", url]
        )
        defer { browser.stop() }
        // Chromium writes its DevTools port and browser path there once it listens.
        let portFile = profile + "/DevToolsActivePort"
        func devToolsPort() -> String? {
            guard let text = try? String(contentsOfFile: portFile, encoding: .utf8), text.contains("\n") else { return nil }
            return text.split(separator: "\n").first.map(String.init)
        }
        guard browser.wait(timeout: 60, until: { devToolsPort() != nil }), let port = devToolsPort() else {
            throw LiveError("chromium did not open its DevTools port: \(browser.stderr.suffix(2000))")
        }
        var pageSocket: String?
        let deadline = Date().addingTimeInterval(30)
        while pageSocket == nil && Date() < deadline {
            // (FoundationNetworking cannot read DevTools' HTTP answers; curl can.)
            let list = try runProgram("/usr/bin/curl", ["-s", "--max-time", "10", "http://127.0.0.1:\(port)/json/list"], timeout: 20)
            let targets = (try? JSONValue.parse(list.stdout)) ?? .array([])
            pageSocket =
                (targets.arrayValue ?? JSONArray([])).first { $0["type"] == "page" && $0["url"] == .string(url) }?[
                    "webSocketDebuggerUrl"
                ]?.stringValue
            if pageSocket == nil { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        let socket = try #require(pageSocket, "chromium has no page for \(url)")
        try await WebSocketClient.connect(url: socket, configuration: .init(maxFrameSize: 16 << 20), logger: Logger(label: "cdp")) {
            inbound,
            outbound,
            _ in
            var messages = inbound.messages(maxSize: 16 << 20).makeAsyncIterator()
            var next = 0
            func evaluate(_ expression: String) async throws -> JSONValue {
                next += 1
                let id = next
                let call: JSONValue = [
                    "id": .number(Double(id)), "method": "Runtime.evaluate",
                    "params": .object(["expression": .string(expression), "returnByValue": true] as JSONObject),
                ]
                try await outbound.write(.text(call.stringify()))
                while let message = try await messages.next() {
                    guard case .text(let text) = message, let reply = try? JSONValue.parse(text), reply["id"] == .number(Double(id)) else {
                        continue
                    }
                    return reply["result"]?["result"]?["value"] ?? .null
                }
                throw LiveError("the DevTools connection closed")
            }
            try await body(evaluate)
        }
    }

    static func flags(profile: String) -> [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(profile)"]
    }
}

/// The value of `data-value` on the element with `data-<attribute>="<field>"` in a dumped DOM.
func dataValue(_ dom: String, field: String, attribute: String = "field", scope: String? = nil) -> String? {
    var text = Substring(dom)
    if let scope, let start = dom.range(of: scope) { text = dom[start.lowerBound...] }
    guard let range = text.range(of: "data-\(attribute)=\"\(field)\" data-value=\"") else { return nil }
    let rest = text[range.upperBound...]
    return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
}

/// The text of the element with `data-field="<field>"`.
func fieldText(_ dom: String, _ field: String) -> String? {
    guard let range = dom.range(of: "data-field=\"\(field)\"") else { return nil }
    let rest = dom[range.upperBound...]
    guard let open = rest.firstIndex(of: ">"), let close = rest[open...].firstIndex(of: "<") else { return nil }
    return String(rest[rest.index(after: open)..<close])
}

@Suite(.serialized)
struct DashboardLiveTests {
    static let voicemode = repoRoot.appendingPathComponent("wrangler.toml").path
    static let minigem = repoRoot.appendingPathComponent("workers/minigem/wrangler.toml").path

    @Test func metricsParseWithPrometheusTextParser() async throws {
        let state = try TemporaryDirectory()
        try await applySchema(repoRoot.appendingPathComponent("schema.sql").path, toDatabaseAt: state.path + "/d1/voicemode-telemetry.sqlite")
        let server = try LiveServer(["-c", Self.voicemode, "--port", "0", "--persist-to", state.path, "--no-crons"])
        defer { server.stop() }
        #expect(server.stdout.contains("Dashboard on http://localhost:"))
        let dashboard = try #require(server.dashboardURL)
        let timestamp = Date().addingTimeInterval(-60).isoString
        let body = """
            {"event_id":"\(UUID().uuidString)","telemetry_id":"\(UUID().uuidString.lowercased())","timestamp":"\(timestamp)",\
            "environment":{"os":"Linux","version":"1.0"},"usage":{"total_sessions":1}}
            """
        #expect(try await httpRequest("POST", server.url + "/telemetry", body: body).status == 200)
        #expect(try await httpRequest("OPTIONS", server.url + "/telemetry").status == 204)
        #expect(try await httpRequest("GET", server.url + "/nowhere").status == 404)
        let metrics = try await httpRequest("GET", dashboard + "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let lines = Set(metrics.body.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"flarelet_requests_total{worker="voicemode-telemetry",method="POST",status="200"} 1"#))
        #expect(lines.contains(#"flarelet_requests_total{worker="voicemode-telemetry",method="OPTIONS",status="204"} 1"#))
        #expect(lines.contains(#"flarelet_requests_total{worker="voicemode-telemetry",method="GET",status="404"} 1"#))
        #expect(lines.contains(#"flarelet_request_duration_seconds_count{worker="voicemode-telemetry"} 3"#))
        #expect(lines.contains(#"flarelet_request_duration_seconds_bucket{worker="voicemode-telemetry",le="+Inf"} 3"#))
        // An accepted event: a SELECT for the duplicate check and one INSERT; four KV reads and two writes.
        #expect(lines.contains(#"flarelet_d1_queries_total{worker="voicemode-telemetry",binding="DB"} 2"#))
        #expect(lines.contains(#"flarelet_kv_operations_total{worker="voicemode-telemetry",binding="KV",op="put"} 2"#))
        #expect(lines.contains(#"flarelet_kv_operations_total{worker="voicemode-telemetry",binding="KV",op="delete"} 0"#))
        let trigger = try await httpRequest("GET", server.url + "/cdn-cgi/handler/scheduled?cron=0+2+*+*+*")
        #expect(trigger.status == 200)
        let after = try await httpRequest("GET", dashboard + "/metrics")
        #expect(after.body.contains(#"flarelet_cron_runs_total{worker="voicemode-telemetry",cron="0 2 * * *",outcome="ok"} 1"#))

        // The reference parser: the Prometheus project's Python client (Debian's python3-prometheus-client).
        let python = "/usr/bin/python3"
        let check = try runProgram(python, ["-c", "import prometheus_client.parser"], timeout: 30)
        guard check.status == 0 else {
            print("skipped: the Prometheus text-format check needs python3-prometheus-client (apt-get install python3-prometheus-client)")
            return
        }
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(sys.stdin.read()):
                for sample in family.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                    print(f"{family.type} {sample.name} {labels} {sample.value}")
            """
        let parsed = try runProgram(python, ["-c", script], stdin: after.body, timeout: 30)
        #expect(parsed.status == 0, "parser failed: \(parsed.stderr)")
        let samples = Set(parsed.stdout.split(separator: "\n").map(String.init))
        #expect(samples.contains("counter flarelet_requests_total method=POST,status=200,worker=voicemode-telemetry 1.0"))
        #expect(samples.contains("counter flarelet_cron_runs_total cron=0 2 * * *,outcome=ok,worker=voicemode-telemetry 1.0"))
        #expect(samples.contains("histogram flarelet_request_duration_seconds_count worker=voicemode-telemetry 4.0"))
        #expect(samples.contains("counter flarelet_kv_operations_total binding=KV,op=put,worker=voicemode-telemetry 2.0"))
        #expect(samples.contains("counter flarelet_d1_queries_total binding=DB,worker=voicemode-telemetry 3.0"))
    }

    @Test func tailPrintsAJSONEventForACurlToVoiceMode() async throws {
        let state = try TemporaryDirectory()
        let server = try LiveServer(["-c", Self.voicemode, "--port", "0", "--persist-to", state.path, "--no-crons"])
        defer { server.stop() }
        let port = try #require(server.dashboardPort)
        let tail = try BackgroundProcess(
            try flareletBinary(),
            ["tail", "-c", Self.voicemode, "--dashboard-port", String(port), "--format", "json"]
        )
        defer { tail.stop() }
        #expect(tail.wait(timeout: 20) { tail.stderr.contains("Connected to voicemode-telemetry, waiting for logs...") }, "\(tail.stderr)")
        let curl = try runProgram(
            "/usr/bin/curl",
            [
                "-s", "-X", "POST", server.url + "/telemetry", "-H", "Content-Type: application/json",
                "-H", "X-API-Key: hunter2", "-d", "{}",
            ]
        )
        #expect(curl.stdout == #"{"error":"Invalid or missing event_id"}"#)
        #expect(tail.wait(timeout: 20) { tail.stdout.hasSuffix("}\n") }, "no event: \(tail.stdout) \(tail.stderr)")
        let event = try JSONValue.parse(tail.stdout)
        #expect(event.objectValue?.keys.map(\.string) == ["outcome", "scriptName", "exceptions", "logs", "eventTimestamp", "event"])
        #expect(event["outcome"] == "ok")
        #expect(event["scriptName"] == "voicemode-telemetry")
        #expect(event["exceptions"] == .array([]))
        let request = try #require(event["event"]?["request"])
        #expect(request["method"] == "POST")
        #expect(request["url"] == .string(server.url + "/telemetry"))
        #expect(request["headers"]?["x-api-key"] == "REDACTED")
        #expect(request["headers"]?["content-type"] == "application/json")
        #expect(request["cf"]?["colo"] == "DFW")
        #expect(event["event"]?["response"] == .object(["status": .number(400)] as JSONObject))
        let timestamp = try #require(event["eventTimestamp"]?.doubleValue)
        #expect(abs(timestamp - Double(Date().epochMilliseconds)) < 60_000)
        // wrangler's v3 JSON: two-space indentation.
        #expect(tail.stdout.hasPrefix("{\n  \"outcome\": \"ok\",\n  \"scriptName\": \"voicemode-telemetry\",\n"))
    }

    @Test func tailFiltersAndErrors() async throws {
        let state = try TemporaryDirectory()
        let port = freePort()
        let none = try runFlarelet(["tail", "-c", Self.voicemode, "--dashboard-port", String(port)], timeout: 30)
        #expect(none.status == 1)
        #expect(none.stdout == "")
        #expect(none.stderr.hasPrefix("✘ [ERROR] Could not connect to flarelet dev on 127.0.0.1:\(port)"))
        #expect(none.stderr.split(separator: "\n").count == 1)
        let rate = try runFlarelet(["tail", "-c", Self.voicemode, "--sampling-rate", "1.5"])
        #expect(rate.status == 1)
        #expect(rate.stderr.contains("A sampling rate must be between 0 and 1 in order to have any effect."))

        let server = try LiveServer(["-c", Self.voicemode, "--port", "0", "--persist-to", state.path, "--no-crons"])
        defer { server.stop() }
        let dashboardPort = try #require(server.dashboardPort)
        let unknown = try runFlarelet(["tail", "other-worker", "--dashboard-port", String(dashboardPort)], timeout: 30)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "✘ [ERROR] flarelet dev does not serve a worker named \"other-worker\" (it serves voicemode-telemetry)\n")
        let tail = try BackgroundProcess(
            try flareletBinary(),
            ["tail", "voicemode-telemetry", "--dashboard-port", String(dashboardPort), "--format", "pretty", "--method", "options"]
        )
        defer { tail.stop() }
        #expect(tail.wait(timeout: 20) { tail.stdout.contains("Connected to voicemode-telemetry, waiting for logs...\n") })
        _ = try await httpRequest("GET", server.url + "/filtered-out")
        _ = try await httpRequest("OPTIONS", server.url + "/telemetry")
        #expect(tail.wait(timeout: 20) { tail.stdout.contains(" - Ok @ ") })
        let lines = tail.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.last?.hasPrefix("OPTIONS http://127.0.0.1:") == true)
        #expect(lines.last?.contains("/telemetry - Ok @ ") == true)
    }

    @Test func snapshotAndLiveSocketShowTrafficStorageCronsAndErrors() async throws {
        let state = try TemporaryDirectory()
        try await applySchema(repoRoot.appendingPathComponent("schema.sql").path, toDatabaseAt: state.path + "/d1/voicemode-telemetry.sqlite")
        let server = try LiveServer(["-c", Self.voicemode, "--port", "0", "--persist-to", state.path])
        defer { server.stop() }
        let dashboard = try #require(server.dashboardURL)
        let page = try await httpRequest("GET", dashboard + "/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(!page.body.contains("https://"), "the page loads nothing from elsewhere")

        // The live socket sends a snapshot at once and a fresh one every second.
        let live = LockedValue<[JSONValue]>([])
        let socket = Task {
            try await WebSocketClient.connect(
                url: dashboard.replacingOccurrences(of: "http://", with: "ws://") + "/api/live",
                logger: Logger(label: "test")
            ) {
                inbound,
                _,
                _ in
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    if case .text(let text) = message, let value = try? JSONValue.parse(text) {
                        live.withLock { $0.append(value) }
                    }
                }
            }
        }
        defer { socket.cancel() }
        func liveRequests() -> Double? { live.withLock { $0.last?["workers"]?.arrayValue?.first?["totalRequests"]?.doubleValue } }
        #expect(await poll(seconds: 20) { liveRequests() == 0 }, "no snapshot on /api/live")

        let body = """
            {"event_id":"\(UUID().uuidString)","telemetry_id":"\(UUID().uuidString.lowercased())",\
            "timestamp":"\(Date().addingTimeInterval(-60).isoString)","environment":{"os":"Linux","version":"1.0"},"usage":{"total_sessions":1}}
            """
        #expect(try await httpRequest("POST", server.url + "/telemetry", body: body).status == 200)
        #expect(try await httpRequest("POST", server.url + "/telemetry", body: "{}").status == 400)
        #expect(try await httpRequest("POST", server.url + "/telemetry", body: "not json").status == 500)
        #expect(await poll(seconds: 20) { liveRequests() == 3 }, "the live socket did not show the requests: \(String(describing: liveRequests()))")
        #expect(try await httpRequest("GET", server.url + "/cdn-cgi/handler/scheduled?cron=0+2+*+*+*").status == 200)

        // Storage figures are read again at most every 3 seconds: wait for the fresh ones.
        var snapshot = JSONValue.null
        let deadline = Date().addingTimeInterval(20)
        repeat {
            snapshot = try JSONValue.parse(try await httpRequest("GET", dashboard + "/api/snapshot").body)
            let worker = snapshot["workers"]?.arrayValue?.first
            if worker?["kv"]?.arrayValue?.first?["keys"] == .number(2) && worker?["d1"]?.arrayValue?.first?["tables"] != nil,
                worker?["d1"]?.arrayValue?.first?["tables"]?.arrayValue?.first?["rows"] == .number(1)
            {
                break
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        } while Date() < deadline
        let worker = try #require(snapshot["workers"]?.arrayValue?.first)
        #expect(worker["name"] == "voicemode-telemetry")
        #expect(worker["url"] == .string(server.url.replacingOccurrences(of: "127.0.0.1", with: "localhost")))
        #expect(worker["totalRequests"] == .number(4))
        #expect(worker["statusCounts"] == .object(["200": .number(2), "400": .number(1), "500": .number(1)] as JSONObject))
        #expect(worker["requestsPerSecond"]?.arrayValue?.count == 300)
        #expect(worker["requestsPerSecond"]?.arrayValue?.compactMap { $0.doubleValue }.reduce(0, +) == 4)
        #expect((worker["p50Ms"]?.doubleValue ?? 0) > 0)
        #expect((worker["p99Ms"]?.doubleValue ?? 0) >= (worker["p50Ms"]?.doubleValue ?? 0))
        // The 500 with the worker's log line of that request.
        let errors = try #require(worker["errors"]?.arrayValue)
        #expect(errors.count == 1)
        #expect(errors.first?["event"]?["response"]?["status"] == .number(500))
        let logs = errors.first?["logs"]?.arrayValue ?? JSONArray([])
        #expect(logs.count == 1)
        #expect(logs.first?["level"] == "error")
        #expect(logs.first?["message"]?.arrayValue?.first?.stringValue?.hasPrefix("Error processing telemetry: ") == true)
        // Storage: one stored event; two rate-limit counters (rate:id:… and rate:ip:…).
        let d1 = try #require(worker["d1"]?.arrayValue?.first)
        #expect(d1["binding"] == "DB")
        #expect(d1["database"] == "voicemode-telemetry")
        #expect(d1["tables"] == .array([.object(["name": "events", "rows": .number(1)] as JSONObject)]))
        let size = try #require(d1["sizeBytes"]?.doubleValue)
        let onDisk = try FileManager.default.attributesOfItem(atPath: state.path + "/d1/voicemode-telemetry.sqlite")[.size] as? Int
        #expect(size >= Double(onDisk ?? 0) && size > 0)
        #expect(worker["kv"]?.arrayValue?.first?["binding"] == "KV")
        #expect(worker["kv"]?.arrayValue?.first?["keys"] == .number(2))
        // The cron: its run just now, and the next 02:00 UTC.
        let cron = try #require(worker["crons"]?.arrayValue?.first)
        #expect(cron["cron"] == "0 2 * * *")
        #expect(cron["outcome"] == "ok")
        #expect(cron["runs"] == .number(1))
        let lastRun = try #require(cron["lastRun"]?.doubleValue)
        #expect(abs(lastRun - Double(Date().epochMilliseconds)) < 60_000)
        let nextRun = try #require(cron["nextRun"]?.doubleValue)
        let day = 86_400_000.0
        let generated = try #require(snapshot["generatedAt"]?.doubleValue)
        #expect(nextRun.truncatingRemainder(dividingBy: day) == 2 * 3_600_000 && nextRun > generated && nextRun <= generated + day)
    }

    @Test func dashboardPortFlags() async throws {
        let state = try TemporaryDirectory()
        let base = ["dev", "-c", Self.voicemode, "--port", "0", "--persist-to", state.path, "--no-crons"]
        let both = try runFlarelet(base + ["--dashboard-port", "0", "--no-dashboard"], timeout: 30)
        #expect(both.status != 0)
        #expect(both.stderr.contains("--dashboard-port and --no-dashboard cannot be used together"), "\(both.stderr)")

        // An explicit port that is busy is a one-line error naming it.
        let holder = try #require(ListeningSocket(port: 0))
        let busy = try runFlarelet(base + ["--dashboard-port", String(holder.port)], timeout: 30)
        #expect(busy.status == 1)
        #expect(busy.stdout.contains("Dashboard on") == false)
        #expect(
            busy.stderr.hasSuffix(
                "cannot listen on 127.0.0.1:\(holder.port) for the dashboard: address already in use (choose another with --dashboard-port, or use --no-dashboard)\n"
            ),
            "\(busy.stderr)"
        )

        withExtendedLifetime(holder) {}

        let none = try LiveServer(Array(base.dropFirst()) + ["--no-dashboard"])
        defer { none.stop() }
        #expect(!none.stdout.contains("Dashboard on"))

        // By default 8786; when it is taken, any free port with a warning. Checked only when this test holds 8786
        // itself (on a shared machine someone else may be using it, and may stop at any moment).
        if let default8786 = ListeningSocket(port: 8786) {
            let server = try BackgroundProcess(try flareletBinary(), base)
            defer { server.stop() }
            #expect(server.wait(timeout: 30) { server.stdout.contains("Dashboard on http://localhost:") }, "\(server.stderr)")
            #expect(!server.stdout.contains("Dashboard on http://localhost:8786\n"))
            #expect(server.stderr.contains("Port 8786 is in use: the dashboard listens on another port"))
            withExtendedLifetime(default8786) {}
        } else {
            print("skipped the default-port check: 8786 is in use by another process")
        }
    }

    @Test func minigemDashboardIsServedFromItsAssets() async throws {
        let state = try TemporaryDirectory()
        let server = try LiveServer(["-c", Self.minigem, "--port", "0", "--persist-to", state.path, "--no-crons"])
        defer { server.stop() }
        let redirect = try runProgram("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", server.url + "/dashboard"])
        #expect(redirect.stdout == "307 \(server.url)/dashboard/")
        let page = try await httpRequest("GET", server.url + "/dashboard/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.headers["cf-cache-status"] == "HIT")
        #expect(page.body.contains("<title>Student Java Learning Analytics Dashboard</title>"))
        #expect(!page.body.contains("https://"), "the page loads nothing from elsewhere")
        let etag = try #require(page.headers["etag"])
        let cached = try runProgram(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: \(etag)", server.url + "/dashboard/"]
        )
        #expect(cached.stdout == "304")
        let script = try await httpRequest("GET", server.url + "/dashboard/charts.js")
        #expect(script.headers["content-type"] == "text/javascript; charset=utf-8")
        // Everything else still reaches the worker.
        let stats = try await httpRequest("GET", server.url + "/stats")
        #expect(stats.status == 200)
        #expect(stats.headers["content-type"] == "application/json; charset=utf-8")
    }

    @Test func dashboardsRenderInChromium() async throws {
        guard Chromium.path != nil else {
            print("skipped: chromium is not installed (apt-get install chromium; .ci/run and scripts/install-deps --test install it)")
            return
        }
        let state = try TemporaryDirectory()
        let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-screenshots-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        let profile = state.path + "/chromium-profile"
        let server = try LiveServer(["-c", Self.minigem, "--port", "0", "--persist-to", state.path, "--no-crons"])
        defer { server.stop() }
        let dashboard = try #require(server.dashboardURL)
        let stored = try await httpRequest(
            "POST",
            server.url + "/t",
            headers: ["Content-Type": "application/json"],
            body: minigemBatch(now: Date().epochMilliseconds)
        )
        #expect(stored.body.hasPrefix(#"{"ok":true,"accepted":"#))
        let stats = try JSONValue.parse(try await httpRequest("GET", server.url + "/stats").body)
        let total = try #require(stats["total"]?.doubleValue)
        #expect(total > 0)

        // Minigem's page: the cards show what /stats returns.
        let dom = try Chromium.dumpDOM(server.url + "/dashboard/", profile: profile)
        func number(_ path: [String]) -> Double {
            var value: JSONValue? = stats
            for key in path { value = value?[key] }
            return value?.doubleValue ?? 0
        }
        let completed = number(["runs", "completed"])
        for (field, code) in [("success", "0"), ("frustrated", "130"), ("runtime", "1"), ("terminated", "143")] {
            let percent = (100 * number(["exitCodes", code]) / completed).rounded()
            #expect(dataValue(dom, field: field) == String(Int(percent)), "\(field)")
            #expect(fieldText(dom, field) == "\(Int(percent))%", "\(field)")
        }
        #expect(dataValue(dom, field: "total") == String(Int(total)))
        #expect(dataValue(dom, field: "uniques") == String(Int(number(["uniques"]))))
        #expect(dataValue(dom, field: "started") == String(Int(number(["runs", "started"]))))
        #expect(dataValue(dom, field: "completed") == String(Int(completed)))
        #expect(dataValue(dom, field: "median") == String(Int(number(["durations", "median"]))))
        #expect(dataValue(dom, field: "interactive") == String(Int((100 * number(["interactiveRate"])).rounded())))
        #expect(dom.contains("Window: 1970-01-01 → 2099-12-31 • Updated "))
        #expect(dom.contains("data-label=\"Successful (exit 0)\""), "the exit-code doughnut has its slices")
        #expect(dom.contains("Student #"), "the ranked session lists are filled")
        let minigemShot = screenshots + "/minigem-dashboard.png"
        try Chromium.screenshot(server.url + "/dashboard/", to: minigemShot, profile: profile, height: 3000)
        print("screenshot: \(minigemShot)")

        // The local dashboard: the worker's counts, storage, and a request made now shows up.
        let first = try Chromium.dumpDOM(dashboard + "/", profile: profile)
        let before = try #require(Int(dataValue(first, field: "totalRequests") ?? ""), "no request count in \(first.prefix(2000))")
        #expect(first.contains("data-table=\"telemetry_events\" data-rows=\"\(Int(total))\""))
        #expect(try await httpRequest("GET", server.url + "/health").status == 200)
        let second = try Chromium.dumpDOM(dashboard + "/", profile: profile)
        let after = try #require(Int(dataValue(second, field: "totalRequests") ?? ""))
        #expect(after == before + 1)
        #expect(second.contains("data-status=\"200\""))
        // The page, left open, follows the live websocket: a request made now shows up without a reload.
        try await Chromium.withOpenPage(dashboard + "/", profile: state.path + "/chromium-live") { evaluate in
            let read = #"document.querySelector('[data-field="totalRequests"]')?.getAttribute('data-value') ?? null"#
            var shown: JSONValue = .null
            let loaded = Date().addingTimeInterval(30)
            while shown == .null && Date() < loaded {
                shown = try await evaluate(read)
                if shown == .null { try await Task.sleep(nanoseconds: 100_000_000) }
            }
            let start = try #require(shown.stringValue.flatMap { Int($0) }, "the open page shows no request count")
            #expect(try await httpRequest("GET", server.url + "/health").status == 200)
            let updated = Date().addingTimeInterval(20)
            while Date() < updated {
                shown = try await evaluate(read)
                if shown == .string(String(start + 1)) { break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            #expect(shown == .string(String(start + 1)), "the open page did not update: \(shown)")
            let status = try await evaluate(#"document.querySelector('[data-status="200"]')?.textContent ?? null"#)
            #expect(status.stringValue?.hasPrefix("200: ") == true, "\(status)")
        }

        let localShot = screenshots + "/local-dashboard.png"
        try Chromium.screenshot(dashboard + "/", to: localShot, profile: profile, height: 1600)
        print("screenshot: \(localShot)")

        // Without a database /stats answers 503, and the page says so.
        let project = try TemporaryDirectory()
        let assets = repoRoot.appendingPathComponent("workers/minigem/public").path
        try "name = \"minigem-no-db\"\nmain = \"minigem\"\n[assets]\ndirectory = \"\(assets)\"\n"
            .write(toFile: project.path + "/wrangler.toml", atomically: true, encoding: .utf8)
        let bare = try LiveServer(["-c", project.path + "/wrangler.toml", "--port", "0", "--no-crons", "--no-dashboard"])
        defer { bare.stop() }
        #expect(try await httpRequest("GET", bare.url + "/stats").status == 503)
        let failed = try Chromium.dumpDOM(bare.url + "/dashboard/", profile: profile)
        #expect(failed.contains(">Failed to load stats (503)</p>"), "\(failed.prefix(3000))")
    }
}

struct CreateCommandTests {
    @Test func d1CreatePrintsTheSnippetAndCreatesTheDatabase() throws {
        let project = try TemporaryDirectory()
        try "name = \"app\"\n".write(toFile: project.path + "/wrangler.toml", atomically: true, encoding: .utf8)
        let result = try runFlarelet(["d1", "create", "my-db"], directory: project.url)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 9)
        #expect(lines[0] == "✅ Successfully created DB 'my-db'")
        #expect(lines[1] == "Created your new D1 database.")
        #expect(lines[2] == "")
        #expect(lines[3] == "[[d1_databases]]")
        #expect(lines[4] == "binding = \"DB\"")
        #expect(lines[5] == "database_name = \"my-db\"")
        let id = lines[6].replacingOccurrences(of: "database_id = \"", with: "").replacingOccurrences(of: "\"", with: "")
        #expect(UUID(uuidString: id) != nil && id == id.lowercased() && id.count == 36)
        #expect(lines[7] == "" && lines[8] == "")
        #expect(FileManager.default.fileExists(atPath: project.path + "/.flarelet/state/d1/my-db.sqlite"))
        let again = try runFlarelet(["d1", "create", "my-db"], directory: project.url)
        #expect(again.status == 1)
        #expect(again.stderr == "✘ [ERROR] A database with that name already exists\n")
        let located = try runFlarelet(["d1", "create", "other", "--location", "weur"], directory: project.url)
        #expect(located.stdout.hasPrefix("✅ Successfully created DB 'other' using primary location hint weur\n"))
        let bad = try runFlarelet(["d1", "create", "x", "--location", "mars"], directory: project.url)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("Location 'mars' invalid. Valid values are weur,eeur,apac,oc,wnam,enam"))
    }

    @Test func d1CreateWithoutAConfigPrintsJSON() throws {
        let project = try TemporaryDirectory()
        let result = try runFlarelet(["d1", "create", "solo", "--persist-to", "state"], directory: project.url)
        #expect(result.status == 0, "\(result.stderr)")
        let json = result.stdout.components(separatedBy: "Created your new D1 database.\n\n")[1]
        let parsed = try JSONValue.parse(json)
        #expect(parsed["d1_databases"]?.arrayValue?.first?["database_name"] == "solo")
        #expect(json.hasPrefix("{\n  \"d1_databases\": [\n    {\n      \"binding\": \"DB\",\n"))
        #expect(FileManager.default.fileExists(atPath: project.path + "/state/d1/solo.sqlite"))
    }

    @Test func kvNamespaceCreateAndTheColonForm() throws {
        let project = try TemporaryDirectory()
        try "name = \"app\"\n[env.staging]\n".write(toFile: project.path + "/wrangler.toml", atomically: true, encoding: .utf8)
        let result = try runFlarelet(["kv", "namespace", "create", "rate-limits"], directory: project.url)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "🌀 Creating namespace with title \"app-rate-limits\"")
        #expect(lines[1] == "✨ Success!")
        #expect(lines[2] == "Add the following to your configuration file in your kv_namespaces array:")
        #expect(lines[3] == "[[kv_namespaces]]")
        #expect(lines[4] == "binding = \"rate_limits\"")
        #expect(lines[5].range(of: #"^id = "[0-9a-f]{32}"$"#, options: .regularExpression) != nil)
        #expect(lines.count == 8 && lines[6] == "" && lines[7] == "")
        #expect(FileManager.default.fileExists(atPath: project.path + "/.flarelet/state/kv/rate_limits/data.mdb"))
        let again = try runFlarelet(["kv", "namespace", "create", "rate-limits"], directory: project.url)
        #expect(again.status == 1)
        #expect(again.stderr.hasPrefix("✘ [ERROR] A KV namespace with the title \"app-rate-limits\" already exists.\n"))

        let colon = try runFlarelet(["kv:namespace", "create", "Cache", "--preview", "--env", "staging"], directory: project.url)
        #expect(colon.status == 0, "\(colon.stderr)")
        #expect(colon.stderr.hasPrefix("▲ [WARNING] The `flarelet kv:namespace` command is deprecated"))
        #expect(colon.stdout.hasPrefix("🌀 Creating namespace with title \"app-staging-Cache_preview\"\n✨ Success!\n"))
        #expect(colon.stdout.contains("Add the following to your configuration file in your kv_namespaces array under [env.staging]:\n"))
        #expect(colon.stdout.contains("binding = \"Cache\"\npreview_id = \""))
        #expect(FileManager.default.fileExists(atPath: project.path + "/.flarelet/state/kv/env.staging/Cache/data.mdb"))
    }
}
