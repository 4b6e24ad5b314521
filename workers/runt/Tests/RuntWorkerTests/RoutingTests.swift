import Flarelet
import FlareletTesting
import RuntWorker
import Testing

/// Section 2 of the spec: OPTIONS, 404 and which URLs reach the handler.
struct RoutingTests {
    @Test(arguments: ["/telemetry", "/", "/anything/else?x=1", "/telemetry/"])
    func optionsOnAnyPathIsThePreflight(path: String) async throws {
        try await Runt.withHarness { harness async throws in
            let response = await harness.fetch("OPTIONS", path)
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            #expect(
                response.headers.fields.map { "\($0.name): \($0.value)" } == [
                    "Access-Control-Allow-Origin: *",
                    "Access-Control-Allow-Methods: POST, OPTIONS",
                    "Access-Control-Allow-Headers: Content-Type",
                ]
            )
        }
    }

    @Test(arguments: [
        ("GET", "/telemetry"),
        ("PUT", "/telemetry"),
        ("DELETE", "/telemetry"),
        ("PATCH", "/telemetry"),
        ("GET", "/"),
        ("POST", "/"),
        ("POST", "/events"),
        ("POST", "/telemetry/"),
        ("POST", "/Telemetry"),
        ("POST", "/telemetry/."),
        ("POST", "//telemetry"),
        ("POST", "/telemetry/x"),
    ])
    func everythingElseIsAPlainTextNotFound(method: String, path: String) async throws {
        try await Runt.withHarness { harness async throws in
            let response = await harness.fetch(method, path, headers: ["Content-Type": "application/json"], body: Runt.readmeBody.stringify())
            #expect(response.status == 404)
            #expect(response.text == "Not Found")
            #expect(response.headers.fields.map { "\($0.name): \($0.value)" } == ["Content-Type: text/plain;charset=UTF-8"])
            #expect(try await harness.eventCount() == 0)
        }
    }

    /// The pathname is compared, so a query string is fine, and dot segments resolve as in `new URL()`.
    @Test(arguments: ["/telemetry?q=1", "/telemetry?", "/a/../telemetry", "/./telemetry", "/%2E/telemetry", "/x/%2e%2E/telemetry"])
    func theHandlerRunsForPathnameTelemetry(path: String) async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry("{}", path: path), status: 400, missingFields)
        }
    }

    @Test func postWithQueryStringStoresTheEvent() async throws {
        try await Runt.withHarness { harness async throws in
            expectJSON(await harness.postTelemetry(Runt.readmeBody.stringify(), path: "/telemetry?q=1"), status: 200, #"{"success":true,"count":1}"#)
            #expect(try await harness.eventCount() == 1)
        }
    }

    @Test func registryName() {
        #expect(RuntWorker.main == "runt")
        var registry = WorkerRegistry()
        registry.register(main: RuntWorker.main) { RuntWorker() }
        #expect((try? registry.worker(forMain: "runt")) is RuntWorker)
    }
}
