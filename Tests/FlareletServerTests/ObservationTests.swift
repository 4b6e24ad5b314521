import FlareletConfig
import FlareletCore
import FlareletJSON
import FlareletServer
import FlareletTesting
import Foundation
import Logging
import Testing

/// Logs one line per request; throws on /throw, answers 503 on /unavailable.
struct ChattyWorker: Worker {
    var hasScheduledHandler: Bool { true }

    func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        env.logger.info("handling \(request.pathname)")
        if request.pathname == "/throw" {
            env.logger.warning("about to fail")
            throw D1Error(.error, "no such table: nope: SQLITE_ERROR")
        }
        if request.pathname == "/unavailable" { return .text("down", status: 503) }
        return .text("ok")
    }

    func scheduled(_ controller: ScheduledController, env: Env, ctx: ExecutionContext) async throws {
        env.logger.info("cleanup for \(controller.cron)")
        if controller.cron == "fail" { throw D1Error(.error, "scheduled failure") }
    }
}

func request(_ path: String, method: String = "GET", headers: Headers = [:]) -> WorkerRequest {
    var all = headers
    if all["Host"] == nil { all.append("Host", "localhost:8787") }
    return WorkerRequest(method: method, url: "http://localhost:8787" + path, headers: all)
}

struct ObservationTests {
    @Test func errorsAreKeptWithTheirLogLines() async throws {
        let (hosted, directory) = try hostedWorker(ChattyWorker(), clock: TestClock())
        defer {
            hosted.close()
            _ = directory
        }
        _ = await hosted.fetch(request("/fine"))
        let thrown = await hosted.fetch(request("/throw", headers: ["Authorization": "Bearer secret", "X-Trace": "1"]))
        #expect(thrown.status == 500)
        _ = await hosted.fetch(request("/unavailable"))
        let errors = hosted.monitor.snapshot().errors
        #expect(errors.count == 2)
        let exception = try #require(errors.first)
        #expect(exception.outcome == "exception")
        #expect(exception.logs.map(\.message) == [[.string("handling /throw")], [.string("about to fail")]])
        #expect(exception.logs.map(\.level) == ["log", "warn"])
        #expect(exception.exceptions.map(\.name) == ["D1Error"])
        #expect(exception.exceptions.map(\.message) == ["D1_ERROR: no such table: nope: SQLITE_ERROR"])
        let json = exception.json
        #expect(json.objectValue?.keys.map(\.string) == ["outcome", "scriptName", "exceptions", "logs", "eventTimestamp", "event"])
        #expect(json["scriptName"] == .string("router-test"))
        #expect(json["event"]?["request"]?["headers"]?["authorization"] == .string("REDACTED"))
        #expect(json["event"]?["request"]?["headers"]?["x-trace"] == .string("1"))
        #expect(json["event"]?["request"]?["method"] == .string("GET"))
        #expect(json["event"]?["request"]?["url"] == .string("http://localhost:8787/throw"))
        // The worker threw before producing a response: no `response`.
        #expect(json["event"]?["response"] == nil)
        let unavailable = errors[1]
        #expect(unavailable.outcome == "ok")
        #expect(unavailable.json["event"]?["response"]?["status"] == .integer(503))
        #expect(unavailable.logs.map(\.message) == [[.string("handling /unavailable")]])
    }

    @Test func listenersGetEveryInvocationIncludingCrons() async throws {
        let (hosted, directory) = try hostedWorker(ChattyWorker(), clock: TestClock())
        defer {
            hosted.close()
            _ = directory
        }
        let stream = hosted.monitor.events()
        var events = stream.makeAsyncIterator()
        _ = await hosted.fetch(request("/a", method: "POST"))
        _ = await hosted.runScheduled(cron: "0 2 * * *", scheduledTime: 1_767_225_600_000)
        _ = await hosted.runScheduled(cron: "fail", scheduledTime: 1_767_225_600_000)
        let fetch = try #require(await events.next())
        #expect(fetch.outcome == "ok")
        #expect(fetch.method == "POST")
        #expect(fetch.status == 200)
        #expect(fetch.logs.map(\.message) == [[.string("handling /a")]])
        let cron = try #require(await events.next())
        #expect(
            cron.json["event"]
                == .object(["cron": .string("0 2 * * *"), "scheduledTime": .integer(1_767_225_600_000)] as JSONObject)
        )
        #expect(cron.logs.map(\.message) == [[.string("cleanup for 0 2 * * *")]])
        let failed = try #require(await events.next())
        #expect(failed.outcome == "exception")
        #expect(failed.exceptions.first?.message == "D1_ERROR: scheduled failure")
        let snapshot = hosted.monitor.snapshot()
        #expect(snapshot.crons["0 2 * * *"]?.outcome == "ok")
        #expect(snapshot.crons["fail"]?.outcome == "exception")
        #expect(snapshot.crons["fail"]?.count == 1)
    }

    @Test func requestCountsStatusesAndLatency() async throws {
        let monitor = WorkerMonitor(name: "w")
        for status in [200, 200, 404, 503] {
            monitor.recordRequest(method: "GET", status: status, since: monitor.now() - .milliseconds(2))
        }
        let snapshot = monitor.snapshot()
        #expect(snapshot.totalRequests == 4)
        #expect(snapshot.statusCounts.map(\.status) == [200, 404, 503])
        #expect(snapshot.statusCounts.map(\.count) == [2, 1, 1])
        #expect(snapshot.requestsPerSecond.count == 300)
        #expect(snapshot.requestsPerSecond.reduce(0, +) == 4)
        #expect(snapshot.errorsPerSecond.reduce(0, +) == 1)
        let p50 = try #require(snapshot.p50Milliseconds)
        // 2 ms lands in a bucket whose upper bound is within 12.5 % above it.
        #expect(p50 >= 2 && p50 <= 2.3)
        #expect(snapshot.p99Milliseconds == p50)
    }
}

struct TailRedactionTests {
    @Test(arguments: [
        ("https://domain/0123456789abcdef0123456789abcdef/x", "https://domain/REDACTED/x"),
        ("https://x/?number=4111-1111-1111-1111", "https://x/?number=REDACTED"),
        ("https://x/token/aB3dE5gH7jK9mN1pQ3sT5vX", "https://x/token/REDACTED"),
        ("https://x/v1/health?limit=50", "https://x/v1/health?limit=50"),
        ("https://x/1234567890123", "https://x/1234567890123"),
    ])
    func urls(_ entry: (String, String)) {
        #expect(TailRedaction.redactURL(entry.0) == entry.1)
    }

    @Test(arguments: [
        ("cookie", true), ("set-cookie", true), ("authorization", true), ("x-api-key", true), ("cf-access-jwt-assertion", true),
        ("x-auth-token", true), ("x-client-secret", true), ("content-type", false), ("x-forwarded-for", false),
    ])
    func headers(_ entry: (String, Bool)) {
        #expect(TailRedaction.isSecretHeader(entry.0) == entry.1)
    }
}

struct TailFilterTests {
    static func event(outcome: String = "ok", method: String = "GET", ip: String = "127.0.0.1", log: String? = nil) -> TailEvent {
        TailEvent(
            outcome: outcome,
            scriptName: "w",
            exceptions: [],
            logs: log.map { [TailLog(message: [.string($0)], level: "log", timestamp: 0)] } ?? [],
            eventTimestamp: 0,
            trigger: .fetch(url: "http://x/", method: method, headers: [("X-Tenant", "a")], cf: nil, status: 200),
            clientIP: ip
        )
    }

    static let cron = TailEvent(
        outcome: "ok",
        scriptName: "w",
        exceptions: [],
        logs: [],
        eventTimestamp: 0,
        trigger: .scheduled(cron: "* * * * *", scheduledTime: 0)
    )

    @Test func filtersCombineWithAnd() {
        var filter = TailFilter(outcomes: TailFilter.outcomes(forStatuses: ["error"]))
        #expect(filter.outcomes == ["exception", "exceededCpu", "exceededMemory", "unknown"])
        #expect(!filter.matches(Self.event()))
        #expect(filter.matches(Self.event(outcome: "exception")))
        filter = TailFilter(methods: ["post"])
        #expect(filter.matches(Self.event(method: "POST")))
        #expect(!filter.matches(Self.event()))
        #expect(!filter.matches(Self.cron), "request-only filters drop scheduled events")
        filter = TailFilter(query: "rate")
        #expect(filter.matches(Self.event(log: "rate limited")))
        #expect(!filter.matches(Self.event(log: "fine")))
        filter = TailFilter(clientIPs: ["self"])
        #expect(filter.matches(Self.event()))
        #expect(!filter.matches(Self.event(ip: "203.0.113.5")))
        filter = TailFilter()
        filter.header = ("x-tenant", "b")
        #expect(!filter.matches(Self.event()))
        filter.header = ("x-tenant", nil)
        #expect(filter.matches(Self.event()))
        #expect(TailFilter().matches(Self.cron))
    }

    @Test func theMessageRoundTrips() throws {
        var filter = TailFilter(outcomes: ["ok"], methods: ["GET"], query: "x", clientIPs: ["self"])
        filter.header = ("a", "b")
        #expect(
            filter.message.stringify()
                == #"{"filters":[{"outcome":["ok"]},{"method":["GET"]},{"header":{"key":"a","query":"b"}},{"query":"x"},{"client_ip":["self"]}],"debug":false}"#
        )
        #expect(TailFilter(message: filter.message) == filter)
    }
}
