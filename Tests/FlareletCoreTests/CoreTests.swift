import FlareletCore
import FlareletJSON
import FlareletTesting
import Foundation
import Testing

struct HeadersAndURLTests {
    @Test func headersAreCaseInsensitiveAndOrdered() {
        var headers: Headers = ["Content-Type": "application/json", "X-A": "1"]
        headers.append("x-a", "2")
        #expect(headers["content-type"] == "application/json")
        #expect(headers.values("X-A") == ["1", "2"])
        headers["X-A"] = "3"
        #expect(headers.values("x-a") == ["3"])
        #expect(headers.fields.map(\.name) == ["Content-Type", "X-A"])
        headers["content-type"] = nil
        #expect(!headers.contains("Content-Type"))
    }

    @Test(arguments: [
        ("http://localhost:8787/telemetry?x=1", "/telemetry", "x=1"),
        ("http://localhost:8787", "/", ""),
        ("https://a.example/v1/health#frag", "/v1/health", ""),
        ("http://[::1]:8787/a/b?", "/a/b", ""),
    ])
    func urlParts(url: String, pathname: String, query: String) {
        let request = WorkerRequest(method: "get", url: url)
        #expect(request.method == "GET")
        #expect(request.pathname == pathname)
        #expect(request.query == query)
    }

    @Test func searchParamsDecodeLikeURLSearchParams() {
        let request = WorkerRequest(method: "GET", url: "http://h/__scheduled?cron=*+*+*+*+*&time=1%2B2&flag&x=a=b")
        let params = request.searchParams
        #expect(params.map(\.name) == ["cron", "time", "flag", "x"])
        #expect(params.map(\.value) == ["* * * * *", "1+2", "", "a=b"])
    }

    @Test func responseHelpersSetContentTypes() {
        let text = WorkerResponse.text("Not Found", status: 404)
        #expect(text.headers["Content-Type"] == "text/plain;charset=UTF-8")
        #expect(text.text == "Not Found")
        let json = WorkerResponse.json(["b": 1, "a": [true, nil]])
        #expect(json.headers["Content-Type"] == "application/json")
        #expect(json.text == #"{"b":1,"a":[true,null]}"#)
    }
}

struct TimeTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_767_225_600_123), "2026-01-01T00:00:00.123Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00.000Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
        (Int64(253_402_300_799_999), "9999-12-31T23:59:59.999Z"),
    ])
    func isoStringMatchesJavaScript(ms: Int64, expected: String) {
        #expect(Date(epochMilliseconds: ms).isoString == expected)
        #expect(Date(epochMilliseconds: ms).epochMilliseconds == ms)
    }

    @Test func testClockWakesSleepersWhenMoved() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1000))
        let woke = LockedValue(false)
        let task = Task {
            try await clock.sleep(until: Date(timeIntervalSince1970: 1060))
            woke.withLock { $0 = true }
        }
        while clock.sleeperCount == 0 { try await Task.sleep(nanoseconds: 1_000_000) }
        clock.advance(by: 59)
        try await Task.sleep(nanoseconds: 10_000_000)
        #expect(!woke.withLock { $0 })
        clock.advance(by: 1)
        try await task.value
        #expect(woke.withLock { $0 })
    }
}

struct InvocationTests {
    struct Failing: Worker {
        func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
            ctx.waitUntil { throw D1Error(.error, "late") }
            ctx.waitUntil {}
            if request.pathname == "/throw" { throw D1Error(.error, "boom") }
            return .text("fine")
        }
    }

    @Test func thrownErrorBecomes500AndWaitUntilFailuresStayIsolated() async throws {
        let harness = WorkerHarness(worker: Failing(), env: Env())
        let ok = await harness.fetch("GET", "/ok")
        #expect(ok.status == 200)
        #expect(ok.text == "fine")
        let failed = await harness.fetch("GET", "/throw")
        #expect(failed.status == 500)
        #expect(failed.text == "Worker threw exception")
    }

    @Test func settleTimesOutAndReportsIt() async throws {
        let context = ExecutionContext()
        context.waitUntil { try await Task.sleep(nanoseconds: 10_000_000_000) }
        context.waitUntil { throw D1Error(.error, "x") }
        let errors = await context.settle(timeout: 0.05)
        #expect(errors.count == 2)
        #expect(errors.contains { $0 is WaitUntilTimeout })
    }

    @Test func waitCollectsErrorsAndCancelAllStopsWork() async throws {
        let context = ExecutionContext()
        context.waitUntil { throw D1Error(.error, "first") }
        context.waitUntil {}
        #expect(await context.wait().map { "\($0)" } == ["D1_ERROR: first"])
        let sleeping = ExecutionContext()
        sleeping.waitUntil { try await Task.sleep(nanoseconds: 60_000_000_000) }
        sleeping.cancelAll()
        let errors = await sleeping.wait()
        #expect(errors.count == 1)
        #expect(errors.first is CancellationError)
    }

    @Test func scheduledWithoutHandlerIsAnException() async {
        let outcome = await WorkerHarness(worker: Failing(), env: Env()).scheduled(cron: "* * * * *")
        #expect(outcome.outcome == "exception")
        #expect(!outcome.noRetry)
    }

    @Test func registryListsWorkersForUnknownMain() throws {
        var registry = WorkerRegistry()
        registry.register(main: "b") { Failing() }
        registry.register(main: "a") { Failing() }
        #expect(throws: UnknownWorkerError.self) { try registry.worker(forMain: "zzz") }
        do {
            _ = try registry.worker(forMain: "zzz")
        } catch {
            #expect(error.description == #"no Swift worker is registered for main = "zzz"; registered workers: "a", "b""#)
        }
    }

    @Test func missingBindingNamesIt() {
        #expect(throws: WorkerError.missingBinding(name: "DB", kind: "D1")) { try Env().d1("DB") }
        #expect(WorkerError.missingBinding(name: "KV", kind: "KV").description.contains("KV binding 'KV' is not configured"))
    }
}

struct BindingValueTests {
    @Test(arguments: [
        (JSONValue.number(42), D1Value.real(42)),
        (.bool(true), .integer(1)),
        (.string("x"), .text("x")),
        (.null, .null),
        (.array([1, 2, 255]), .blob([1, 2, 255])),
    ])
    func javaScriptBinding(value: JSONValue, expected: D1Value) throws {
        #expect(try D1Value(javaScript: value) == expected)
    }

    @Test(arguments: [
        (JSONValue?.none, "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'"),
        (.object(["a": 1]), "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"),
        (.array([1, 256]), "D1_TYPE_ERROR: Type 'object' not supported for value '1,256'"),
    ])
    func javaScriptBindingErrors(value: JSONValue?, message: String) {
        #expect(throws: D1Error.self) { try D1Value(javaScript: value) }
        do {
            _ = try D1Value(javaScript: value)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func base64RoundTrips() {
        for text in ["", "a", "ab", "abc", "rate:id:é", String(repeating: "z", count: 512)] {
            let encoded = Base64.encode(Array(text.utf8))
            #expect(Base64.decode(encoded) == Array(text.utf8))
        }
        #expect(Base64.encode(Array("abc".utf8)) == "YWJj")
        #expect(Base64.encode(Array("a".utf8)) == "YQ==")
        #expect(Base64.decode("!!") == nil)
    }
}
