import FlareletConfig
import FlareletCore
import FlareletJSON
import FlareletServer
import FlareletTesting
import Foundation
import Logging
import Testing

/// Records scheduled invocations; fails when the cron is "fail".
struct RecordingWorker: Worker {
    let log = LockedValue<[(cron: String, time: Int64)]>([])

    var hasScheduledHandler: Bool { true }

    func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        if request.pathname == "/throw" { throw D1Error(.error, "boom") }
        return .text("\(request.method) \(request.url) ip=\(request.headers["CF-Connecting-IP"] ?? "-")")
    }

    func scheduled(_ controller: ScheduledController, env: Env, ctx: ExecutionContext) async throws {
        self.log.withLock { $0.append((controller.cron, controller.scheduledTime)) }
        if controller.cron == "retry" { controller.noRetry() }
        if controller.cron == "fail" { throw D1Error(.error, "scheduled failure") }
        if controller.cron == "fail-later" { ctx.waitUntil { throw D1Error(.error, "late failure") } }
    }
}

struct NoScheduledWorker: Worker {
    func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse { .text("hi") }
}

func hostedWorker(_ worker: any Worker, clock: TestClock) throws -> (HostedWorker, TemporaryStateDirectory) {
    let directory = try TemporaryStateDirectory()
    let configPath = directory.path + "/wrangler.toml"
    try "name = \"router-test\"\nmain = \"test\"\n".write(toFile: configPath, atomically: true, encoding: .utf8)
    let config = try WranglerConfig.load(path: configPath, env: nil, cliVars: [], persistTo: directory.path + "/state")
    var registry = WorkerRegistry()
    registry.register(main: "test") { worker }
    return (try HostedWorker(config: config, registry: registry, clock: clock, logger: .init(label: "test")), directory)
}

final class TemporaryStateDirectory: @unchecked Sendable {
    let path: String
    init() throws {
        self.path = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-router-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: self.path) }
}

func get(_ router: DevRouter, _ path: String, headers: Headers = ["Host": "localhost:8787"]) async -> WorkerResponse {
    await router.handle(WorkerRequest(method: "GET", url: "http://localhost:8787" + path, headers: headers))
}

struct DevRouterTests {
    @Test func scheduledHandlerPassesCronAndTime() async throws {
        let worker = RecordingWorker()
        let (hosted, directory) = try hostedWorker(worker, clock: TestClock())
        defer {
            hosted.close()
            _ = directory
        }
        let router = DevRouter(hosted: hosted)
        let response = await get(router, "/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=1767225600000")
        #expect(response.status == 200)
        #expect(response.text == "ok")
        #expect(response.headers["Content-Type"] == "text/plain;charset=UTF-8")
        #expect(worker.log.withLock { $0.map(\.cron) } == ["* * * * *"])
        #expect(worker.log.withLock { $0.map(\.time) } == [1_767_225_600_000])
    }

    @Test func defaultsAreEmptyCronAndNow() async throws {
        let worker = RecordingWorker()
        let clock = TestClock()
        let (hosted, directory) = try hostedWorker(worker, clock: clock)
        defer {
            hosted.close()
            _ = directory
        }
        let response = await get(DevRouter(hosted: hosted), "/cdn-cgi/local/scheduled")
        #expect(response.text == "ok")
        #expect(worker.log.withLock { $0.first?.cron } == "")
        #expect(worker.log.withLock { $0.first?.time } == clock.now().epochMilliseconds)
    }

    @Test(arguments: [
        ("/cdn-cgi/handler/scheduled?cron=fail", 500, "exception"),
        ("/cdn-cgi/handler/scheduled?cron=fail-later", 500, "exception"),
        ("/cdn-cgi/handler/scheduled?cron=retry&format=json", 200, #"{"outcome":"ok","noRetry":true}"#),
        ("/cdn-cgi/handler/scheduled?cron=fail&format=json", 500, #"{"outcome":"exception","noRetry":false}"#),
        ("/cdn-cgi/mf/scheduled", 200, "ok"),
        ("/cdn-cgi/handler/scheduled?time=123abc", 200, "ok"),
    ])
    func outcomes(path: String, status: Int, body: String) async throws {
        let (hosted, directory) = try hostedWorker(RecordingWorker(), clock: TestClock())
        defer {
            hosted.close()
            _ = directory
        }
        let response = await get(DevRouter(hosted: hosted), path)
        #expect(response.status == status)
        #expect(response.text == body)
    }

    @Test func parseIntLikeJavaScript() async throws {
        let worker = RecordingWorker()
        let (hosted, directory) = try hostedWorker(worker, clock: TestClock())
        defer {
            hosted.close()
            _ = directory
        }
        _ = await get(DevRouter(hosted: hosted), "/cdn-cgi/handler/scheduled?time=123abc")
        #expect(worker.log.withLock { $0.first?.time } == 123)
    }

    @Test func workerWithoutScheduledHandlerIsAnException() async throws {
        let (hosted, directory) = try hostedWorker(NoScheduledWorker(), clock: TestClock())
        defer {
            hosted.close()
            _ = directory
        }
        let response = await get(DevRouter(hosted: hosted), "/cdn-cgi/handler/scheduled")
        #expect(response.status == 500)
        #expect(response.text == "exception")
    }

    @Test func unknownHandlerAndForeignHosts() async throws {
        let (hosted, directory) = try hostedWorker(RecordingWorker(), clock: TestClock())
        defer {
            hosted.close()
            _ = directory
        }
        let router = DevRouter(hosted: hosted)
        let unknown = await get(router, "/cdn-cgi/handler/email2")
        #expect(unknown.status == 404)
        #expect(
            unknown.text
                == #""/cdn-cgi/handler/email2" is not a valid handler. Did you mean to use "/cdn-cgi/handler/scheduled" or "/cdn-cgi/handler/email"?"#
        )
        let host = await get(router, "/cdn-cgi/handler/scheduled", headers: ["Host": "example.com"])
        #expect(host.status == 403)
        #expect(host.text == "Invalid Host header")
        let origin = await get(router, "/cdn-cgi/handler/scheduled", headers: ["Host": "127.0.0.1:8787", "Origin": "https://evil.example"])
        #expect(origin.status == 403)
        #expect(origin.text == "Invalid Origin header")
    }

    @Test func testScheduledPathOnlyWithTheFlag() async throws {
        let worker = RecordingWorker()
        let (hosted, directory) = try hostedWorker(worker, clock: TestClock())
        defer {
            hosted.close()
            _ = directory
        }
        let off = await get(DevRouter(hosted: hosted), "/__scheduled?cron=x")
        #expect(off.text.hasPrefix("GET http://localhost:8787/__scheduled?cron=x"))
        let on = await get(DevRouter(hosted: hosted, testScheduled: true), "/__scheduled?cron=x")
        #expect(on.status == 200)
        #expect(on.text == "Ran scheduled event")
        #expect(worker.log.withLock { $0.map(\.cron) } == ["x"])
    }

    @Test func workerExceptionBecomes500() async throws {
        let (hosted, directory) = try hostedWorker(RecordingWorker(), clock: TestClock())
        defer {
            hosted.close()
            _ = directory
        }
        let response = await get(DevRouter(hosted: hosted), "/throw")
        #expect(response.status == 500)
        #expect(response.text == "Worker threw exception")
    }
}
