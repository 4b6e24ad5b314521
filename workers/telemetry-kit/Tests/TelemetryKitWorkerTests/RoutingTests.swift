import Flarelet
import FlareletTesting
import Testing

@testable import TelemetryKitWorker

/// Section 1, 2 and 4: routes, preflight, 404/405 and the headers on every response.
struct RoutingTests {
    static func expectCommonHeaders(_ response: WorkerResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.headers["X-Clacks-Overhead"] == "GNU Terry Pratchett", sourceLocation: sourceLocation)
        #expect(response.headers.values("X-Clacks-Overhead").count == 1, sourceLocation: sourceLocation)
        #expect(response.headers["Access-Control-Allow-Origin"] == "*", sourceLocation: sourceLocation)
        #expect(response.headers["Vary"] == TK.vary, sourceLocation: sourceLocation)
    }

    @Test func healthAnswersVersionWithoutDatabaseAccess() async throws {
        try await TK.withHarness { harness async throws in
            try await harness.execute("DROP TABLE api_tokens")
            try await harness.execute("DROP TABLE events")
            let response = await harness.fetch("GET", "/health?x=1")
            #expect(response.status == 200)
            #expect(response.text == #"{"status":"healthy","version":"0.1.0"}"#)
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(response.headers["Access-Control-Allow-Methods"] == nil)
            Self.expectCommonHeaders(response)
        }
    }

    @Test func headHealthHasTheHeadersOfGetAndNoBody() async throws {
        try await TK.withHarness { harness async throws in
            let response = await harness.fetch("HEAD", "/health")
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            #expect(response.headers["Content-Type"] == "application/json")
            Self.expectCommonHeaders(response)
        }
    }

    @Test(arguments: [
        "/", "/health/", "/Health", "/v1/ingest", "/v1/ingest/a", "/v1/ingest/a/b/c", "/v1/ingest//b", "/v1/ingest/a/b/", "/v2/ingest/a/b",
    ])
    func unknownPathsAre404WithEmptyBody(path: String) async throws {
        try await TK.withHarness { harness async throws in
            for method in ["GET", "POST", "HEAD", "PUT"] {
                let response = await harness.fetch(method, path)
                #expect(response.status == 404, "\(method) \(path)")
                #expect(response.body.isEmpty)
                #expect(response.headers["Content-Type"] == nil)
                Self.expectCommonHeaders(response)
            }
        }
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "PATCH"])
    func healthWithOtherMethodsIs405(method: String) async throws {
        try await TK.withHarness { harness async throws in
            let response = await harness.fetch(method, "/health")
            #expect(response.status == 405)
            #expect(response.body.isEmpty)
            #expect(response.headers["Allow"] == "GET,HEAD")
            #expect(response.headers["Content-Type"] == nil)
            Self.expectCommonHeaders(response)
        }
    }

    @Test(arguments: ["GET", "HEAD", "PUT", "DELETE", "PATCH"])
    func ingestWithOtherMethodsIs405WithoutAuthentication(method: String) async throws {
        try await TK.withHarness { harness async throws in
            // No auth headers and a path that is not a UUID: the 405 still comes first.
            let response = await harness.fetch(method, "/v1/ingest/not-a-uuid/x")
            #expect(response.status == 405)
            #expect(response.body.isEmpty)
            #expect(response.headers["Allow"] == "POST")
            Self.expectCommonHeaders(response)
            let rows = try await harness.rows("SELECT last_used_at FROM api_tokens")
            #expect(rows.first?["last_used_at"] == .null)
        }
    }

    @Test(arguments: ["/", "/health", "/v1/ingest/x/y", "/nowhere", TK.ingestPath])
    func optionsIsAPreflightOnAnyPath(path: String) async throws {
        try await TK.withHarness { harness async throws in
            for headers: Headers in [[:], ["Origin": "https://example.com", "Access-Control-Request-Method": "POST"]] {
                let response = await harness.fetch("OPTIONS", path, headers: headers)
                #expect(response.status == 200)
                #expect(response.body.isEmpty)
                #expect(response.headers["Access-Control-Allow-Origin"] == "*")
                #expect(response.headers["Access-Control-Allow-Methods"] == "*")
                #expect(response.headers["Access-Control-Allow-Headers"] == "*")
                #expect(response.headers["Vary"] == TK.vary)
                #expect(response.headers["X-Clacks-Overhead"] == "GNU Terry Pratchett")
                for absent in ["Access-Control-Max-Age", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers", "Content-Type"] {
                    #expect(response.headers[absent] == nil, "\(absent)")
                }
            }
        }
    }

    @Test func everyIngestOutcomeCarriesTheCommonHeaders() async throws {
        try await TK.withHarness { harness async throws in
            var responses: [WorkerResponse] = []
            responses.append(await harness.fetch("POST", TK.ingestPath))
            responses.append(await TK.ingest(harness, TK.minimalBody))
            responses.append(await TK.ingest(harness, TK.minimalBody))
            responses.append(await TK.ingest(harness, TK.minimalBody, extra: [("DNT", "1")]))
            responses.append(await TK.ingest(harness, "{}"))
            responses.append(await TK.ingest(harness, TK.minimalBody, path: "/v1/ingest/x/y"))
            #expect(responses.map(\.status) == [401, 200, 400, 204, 400, 400])
            for response in responses { Self.expectCommonHeaders(response) }
        }
    }

    @Test func withoutTheDatabaseBindingEveryRequestFails() async throws {
        try await TK.withHarness(withDatabase: false) { harness async throws in
            for (method, path) in [("GET", "/health"), ("OPTIONS", "/"), ("POST", TK.ingestPath)] {
                let response = await harness.fetch(method, path)
                #expect(response.status == 500)
                #expect(response.text == "Worker threw exception")
            }
        }
    }

    @Test func mainAndVersion() {
        #expect(TelemetryKitWorker.main == "telemetry-kit")
        #expect(TelemetryKitWorker.version == "0.1.0")
    }
}
