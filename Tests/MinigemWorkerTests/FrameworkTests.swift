import Flarelet
import FlareletD1
import FlareletTesting
import Foundation
import Logging
import Testing

@testable import MinigemWorker

struct FrameworkTests {
    @Test(arguments: [
        ("GET", "/t"), ("HEAD", "/t"), ("OPTIONS", "/t"), ("OPTIONS", "/health"), ("GET", "/dashboard/"), ("GET", "/health/"),
        ("GET", "/nope?a=1&b"), ("POST", "/health"), ("PUT", "/stats"), ("DELETE", "/t"), ("GET", "/"), ("GET", "/T"),
    ])
    func notFound(method: String, path: String) async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.request(method, path)
            #expect(response.status == 404)
            #expect(response.headers == Headers([("content-type", jsonType)]))
            if method != "HEAD" {
                #expect(response.text == #"{"message":"Route \#(method):\#(path) not found","error":"Not Found","statusCode":404}"#)
            }
        }
    }

    @Test func notFoundIsNotRateLimited() async throws {
        try await withMinigem(vars: ["RATE_LIMIT_MAX": "1"]) { minigem async throws in
            for _ in 0..<3 { #expect(await minigem.request("GET", "/nope", ip: "a").status == 404) }
            #expect(await minigem.request("GET", "/health", ip: "a").status == 200)
            #expect(await minigem.request("GET", "/health", ip: "a").status == 429)
        }
    }

    @Test func emptyJSONBody() async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.request("POST", "/t", headers: ["Content-Type": "application/json; charset=utf-8"])
            #expect(response.status == 400)
            #expect(
                response.text
                    == #"{"statusCode":400,"code":"FST_ERR_CTP_EMPTY_JSON_BODY","error":"Bad Request","#
                    + #""message":"Body cannot be empty when content-type is set to 'application/json'"}"#
            )
        }
    }

    @Test(arguments: ["{", "not json", " ", "{\"a\":1}x", "\u{FEFF}\u{FEFF}{}"])
    func invalidJSON(body: String) async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: body)
            #expect(response.status == 400)
            let json = try bodyJSON(response)
            #expect(json.objectValue?.keys == ["statusCode", "error", "message"])
            #expect(json["statusCode"] == 400)
            #expect(json["error"] == "Bad Request")
            #expect(json["message"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func byteOrderMarkIsSkipped() async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: "\u{FEFF}" + event().stringify())
            #expect(response.text == okBody(1, 0))
        }
    }

    @Test(arguments: [
        #"{"__proto__":{}}"#, #"{"schema":"jwc.v1","batch":[{"m":{"__proto__":null}}]}"#, #"{"constructor":{"prototype":1}}"#,
        #"[{"a":{"constructor":{"prototype":null}}}]"#,
    ])
    func forbiddenPrototype(body: String) async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: body)
            #expect(response.status == 400)
            #expect(response.text == #"{"statusCode":400,"error":"Bad Request","message":"Object contains forbidden prototype property"}"#)
        }
    }

    /// Deeply nested bodies are checked without recursion (a 20,000-deep array used to overflow the stack and take
    /// the whole server down; found by `flarelet-reliability fuzz`).
    @Test func deeplyNestedBodiesAreAnsweredNotACrash() async throws {
        try await withMinigem { minigem async throws in
            // As deep as Minigem's 65,536-byte body limit allows.
            let arrays = String(repeating: "[", count: 32_000) + String(repeating: "]", count: 32_000)
            let plain = await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: arrays)
            #expect(plain.status == 400)
            #expect(plain.text == #"{"error":"schema_unsupported","expected":"jwc.v1"}"#)
            let hidden = String(repeating: #"{"a":"#, count: 10_000) + #"{"__proto__":1}"# + String(repeating: "}", count: 10_000)
            let forbidden = await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: hidden)
            #expect(forbidden.status == 400)
            #expect(forbidden.text == #"{"statusCode":400,"error":"Bad Request","message":"Object contains forbidden prototype property"}"#)
        }
    }

    @Test func constructorWithoutPrototypeIsAllowed() async throws {
        try await withMinigem { minigem async throws in
            let body = #"{"constructor":{"x":1},"schema":"jwc.v1","batch":[{"constructor":"prototype"}]}"#
            #expect(await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: body).text == okBody(0, 1))
        }
    }

    @Test(arguments: [
        (Optional("application/x-www-form-urlencoded"), "application/x-www-form-urlencoded"), (nil, "undefined"), ("text/html", "text/html"),
    ])
    func unsupportedMediaType(contentType: String?, shown: String) async throws {
        try await withMinigem { minigem async throws in
            var headers = Headers()
            if let contentType { headers["Content-Type"] = contentType }
            let response = await minigem.request("POST", "/t", headers: headers, body: "x=1")
            #expect(response.status == 415)
            #expect(
                response.text
                    == #"{"statusCode":415,"code":"FST_ERR_CTP_INVALID_MEDIA_TYPE","error":"Unsupported Media Type","#
                    + #""message":"Unsupported Media Type: \#(shown)"}"#
            )
        }
    }

    @Test func unsupportedMediaTypeComesBeforeTheBodyLimit() async throws {
        try await withMinigem { minigem async throws in
            let body = String(repeating: "x", count: 70000)
            #expect(await minigem.request("POST", "/t", headers: ["Content-Type": "image/png"], body: body).status == 415)
        }
    }

    @Test func bodyLimit() async throws {
        try await withMinigem { minigem async throws in
            let prefix = #"{"schema":"jwc.v1","pad":""#
            let atLimit = prefix + String(repeating: "x", count: 65536 - prefix.utf8.count - 2) + #""}"#
            #expect(atLimit.utf8.count == 65536)
            #expect(await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: atLimit).text == okBody(0, 1))
            let tooLarge = atLimit + " "
            let expected =
                #"{"statusCode":413,"code":"FST_ERR_CTP_BODY_TOO_LARGE","error":"Payload Too Large","message":"Request body is too large"}"#
            let response = await minigem.request("POST", "/t", headers: ["Content-Type": "application/json"], body: tooLarge)
            #expect(response.status == 413)
            #expect(response.text == expected)
            #expect(response.headers["connection"] == nil)
            let declared = await minigem.request(
                "POST",
                "/t",
                headers: ["Content-Type": "text/plain", "Content-Length": "65537"],
                body: tooLarge
            )
            #expect(declared.status == 413)
            #expect(declared.text == expected)
            #expect(declared.headers["connection"] == "close")
        }
    }

    @Test func headAnswersLikeGetWithoutBody() async throws {
        try await withMinigem { minigem async throws in
            let response = await minigem.request("HEAD", "/health", ip: "h")
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            #expect(
                response.headers
                    == Headers([
                        ("x-ratelimit-limit", "2000"), ("x-ratelimit-remaining", "1999"), ("x-ratelimit-reset", "3600"), ("content-type", jsonType),
                    ])
            )
            #expect(await minigem.request("GET", "/health", ip: "h").headers["x-ratelimit-remaining"] == "1998")
        }
    }

    @Test func requestURLKeepsPathAndQuery() {
        #expect(MinigemWorker.requestURL("http://localhost:8787/a/b?x=1#frag") == "/a/b?x=1")
        #expect(MinigemWorker.requestURL("http://localhost:8787") == "/")
        #expect(MinigemWorker.requestURL("http://localhost:8787?q") == "/?q")
    }

    @Test func schemaFileMatchesTheStatementsTheWorkerApplies() throws {
        let url = repositoryRoot.appendingPathComponent("workers/minigem/schema.sql")
        let file = try String(contentsOf: url, encoding: .utf8)
        let statements = SQLSplitter.split(file)
        #expect(statements == MinigemSchema.statements)
    }

    @Test func schemaIsAppliedOnFirstRequestAndIsIdempotent() async throws {
        let database = try SQLiteD1Database(path: ":memory:")
        defer { database.close() }
        let env = Env(d1Databases: ["DB": database], clock: TestClock(), logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        let harness = WorkerHarness(worker: MinigemWorker(), env: env)
        #expect(await harness.post("/t", json: event()).text == okBody(1, 0))
        // A second worker instance re-applies the schema over the existing table.
        let second = WorkerHarness(worker: MinigemWorker(), env: env)
        #expect(await second.post("/t", json: event()).text == okBody(1, 0))
        let count = try await database.prepare("SELECT COUNT(*) AS n FROM telemetry_events").first("n")
        #expect(count == .integer(2))
        let indexes = try await database.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'telemetry_events' AND name LIKE 'idx_%' ORDER BY name"
        ).all().results.compactMap { $0["name"] }
        #expect(indexes.count == 8)
    }
}
