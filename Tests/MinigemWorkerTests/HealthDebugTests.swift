import Flarelet
import FlareletTesting
import Foundation
import Logging
import Testing

@testable import MinigemWorker

/// A database whose schema batch works and whose queries fail.
struct FailingQueries: D1Database {
    func query(_ query: D1Query) async throws(D1Error) -> D1QueryResult { throw D1Error(.error, "disk I/O error: SQLITE_IOERR") }
    func batch(queries: [D1Query]) async throws(D1Error) -> [D1QueryResult] { queries.map { _ in D1QueryResult() } }
    func exec(_ sql: String) async throws(D1Error) -> D1ExecResult { D1ExecResult(count: 0, duration: 0) }
}

/// A database whose schema cannot be applied.
struct BrokenSchema: D1Database {
    func query(_ query: D1Query) async throws(D1Error) -> D1QueryResult { D1QueryResult() }
    func batch(queries: [D1Query]) async throws(D1Error) -> [D1QueryResult] { throw D1Error(.error, "database is locked: SQLITE_BUSY") }
    func exec(_ sql: String) async throws(D1Error) -> D1ExecResult { D1ExecResult(count: 0, duration: 0) }
}

struct HealthDebugTests {
    static let quiet = Logger(label: "minigem-test") { _ in SwiftLogNoOpLogHandler() }

    @Test func health() async throws {
        try await withMinigem(database: false) { minigem async throws in
            let response = await minigem.request("GET", "/health", ip: "x")
            #expect(response.status == 200)
            #expect(response.text == #"{"ok":true,"ts":1767225600000}"#)
            #expect(
                response.headers
                    == Headers([
                        ("x-ratelimit-limit", "2000"), ("x-ratelimit-remaining", "1999"), ("x-ratelimit-reset", "3600"), ("content-type", jsonType),
                    ])
            )
        }
    }

    @Test func dbhealthStates() async throws {
        try await withMinigem(database: false) { minigem async throws in
            let response = await minigem.request("GET", "/dbhealth")
            #expect(response.status == 200)
            #expect(
                response.text
                    == #"{"enabled":false,"ok":false,"error":"DB not configured (set DATABASE_URL or PGHOST/PGUSER/PGDATABASE)"}"#
            )
        }
        try await withMinigem { minigem async throws in
            let json = try bodyJSON(await minigem.request("GET", "/dbhealth"))
            #expect(json.objectValue?.keys == ["enabled", "ok", "db", "version"])
            #expect(json["enabled"] == true && json["ok"] == true && json["db"] == "minigem")
            let version = try #require(try await minigem.rows("SELECT sqlite_version() AS v").first?["v"]?.stringValue)
            #expect(json["version"] == .string("SQLite " + version))
        }
        let env = Env(d1Databases: ["DB": FailingQueries()], clock: TestClock(), logger: Self.quiet)
        let response = await WorkerHarness(worker: MinigemWorker(), env: env).fetch("GET", "/dbhealth")
        #expect(response.status == 200)
        #expect(response.text == #"{"enabled":true,"ok":false,"error":"D1_ERROR: disk I/O error: SQLITE_IOERR"}"#)
    }

    @Test func aFailedSchemaStopsServingAndIsRetried() async throws {
        let env = Env(d1Databases: ["DB": BrokenSchema()], clock: TestClock(), logger: Self.quiet)
        let harness = WorkerHarness(worker: MinigemWorker(), env: env)
        #expect(await harness.fetch("GET", "/health").status == 500)
        #expect(await harness.fetch("GET", "/health").status == 500)
    }

    @Test func debugGuard() async throws {
        try await withMinigem(vars: ["STATS_SECRET": "s3cret"]) { minigem async throws in
            for path in ["/debug/recent", "/debug/counts", "/debug/recent?key=wrong", "/debug/counts?key=s3cret&key=s3cret"] {
                let response = await minigem.request("GET", path)
                #expect(response.status == 401)
                #expect(response.text == #"{"error":"unauthorized"}"#)
            }
            #expect(await minigem.request("GET", "/debug/recent", headers: ["X-Stats-Key": "wrong"]).status == 401)
            #expect(await minigem.request("GET", "/debug/recent?key=s3cret", headers: ["X-Stats-Key": "wrong"]).status == 401)
            #expect(await minigem.request("GET", "/debug/recent?key=s3cret", headers: ["X-Stats-Key": ""]).status == 200)
            #expect(await minigem.request("GET", "/debug/counts", headers: ["X-Stats-Key": "s3cret"]).status == 200)
            #expect(await minigem.request("GET", "/debug/env").status == 200)
            #expect(await minigem.request("GET", "/debug/logping").status == 200)
            #expect(await minigem.request("GET", "/stats").status == 200)
        }
    }

    @Test func debugKeyIsComparedByteForByte() async throws {
        // STATS_SECRET "café" with a precomposed é (U+00E9); a decomposed "e" + U+0301 is canonically equivalent
        // (Swift's String == accepts it) but not the same code units, so upstream's === refuses it.
        try await withMinigem(vars: ["STATS_SECRET": "caf\u{E9}"]) { minigem async throws in
            #expect(await minigem.request("GET", "/debug/counts?key=caf%C3%A9").status == 200)
            let decomposed = await minigem.request("GET", "/debug/counts?key=cafe%CC%81")
            #expect(decomposed.status == 401)
            #expect(decomposed.text == #"{"error":"unauthorized"}"#)
            #expect(await minigem.request("GET", "/debug/counts?key=caf").status == 401)
            #expect(await minigem.request("GET", "/debug/counts?key=caf%C3%A9x").status == 401)
        }
    }

    @Test func debugRecent() async throws {
        try await withMinigem { minigem async throws in
            let m: JSONValue = ["durationMs": 5, "exit": 1, "scannerUsage": true, "truncatedOutput": false, "sessionId": "s"]
            #expect(
                await minigem.ingest(event([("m", m)]), headers: ["Content-Type": "application/json", "CF-IPCountry": "fr"]).text == okBody(1, 0)
            )
            #expect(await minigem.ingest(event(evt: "java.run.started")).text == okBody(1, 0))
            let response = await minigem.request("GET", "/debug/recent?limit=0")
            let expected =
                #"{"rows":[{"id":"2","t":"2026-01-01T00:00:00.000Z","anon":"0123456789abcdef0123456789abcdef","evt":"java.run.started","#
                + #""os":"unknown","ext":"0.0.0","vscode":"0.0.0","country":null,"region":null,"duration_ms":null,"wait_ms_total":null,"#
                + #""exit_code":null,"out_bytes_bucket":null,"scanner_usage":null,"truncated_output":null,"error_phase":null,"#
                + #""exception_hash":null}]}"#
            #expect(response.text == expected)
            let both = try bodyJSON(await minigem.request("GET", "/debug/recent"))
            let first = try #require(both["rows"]?.arrayValue?.last)
            #expect(first["id"] == "1" && first["country"] == "FR" && first["duration_ms"] == "5" && first["exit_code"] == 1)
            #expect(first["scanner_usage"] == true && first["truncated_output"] == false)
            let bad = await minigem.request("GET", "/debug/recent?limit=abc")
            #expect(bad.status == 500)
            #expect(
                bad.text
                    == #"{"statusCode":500,"code":"22P02","error":"Internal Server Error","message":"invalid input syntax for type bigint: \"NaN\""}"#
            )
        }
        try await withMinigem(database: false) { minigem async throws in
            #expect(await minigem.request("GET", "/debug/recent").text == #"{"rows":[]}"#)
            #expect(await minigem.request("GET", "/debug/counts").text == "{}")
        }
    }

    @Test func debugCounts() async throws {
        try await withMinigem { minigem async throws in
            try await minigem.insert(t: startMilliseconds - 3_600_000, evt: "test.ping")
            try await minigem.insert(t: startMilliseconds - 3_600_001, evt: "install.created")
            try await minigem.insert(t: startMilliseconds - 7_200_000, evt: "install.created")
            try await minigem.insert(t: startMilliseconds + 1, evt: "install.created")
            let one = await minigem.request("GET", "/debug/counts?hours=0.5")
            #expect(one.text == #"{"since":"2025-12-31T23:00:00.000Z","total":2,"byEvent":{"install.created":1,"test.ping":1}}"#)
            let two = await minigem.request("GET", "/debug/counts?hours=2")
            #expect(two.text == #"{"since":"2025-12-31T22:00:00.000Z","total":4,"byEvent":{"install.created":3,"test.ping":1}}"#)
            #expect(try bodyJSON(await minigem.request("GET", "/debug/counts"))["total"] == 4)
            let bad = await minigem.request("GET", "/debug/counts?hours=x")
            #expect(bad.status == 500)
            #expect(bad.text.contains(#""code":"22007""#))
        }
    }

    @Test func debugEnvAndLogping() async throws {
        try await withMinigem(vars: ["PORT": "8088", "DATABASE_URL": "postgres://x", "PGSSL": "", "LOG_LEVEL": "DEBUG", "LOG_FILE": "/var/log/x.log"])
        {
            minigem async throws in
            let json = try bodyJSON(await minigem.request("GET", "/debug/env"))
            #expect(json.objectValue?.keys == ["node", "port", "env"])
            #expect(json["node"]?.stringValue != nil)
            #expect(json["port"] == 8088)
            #expect(
                json["env"]?.stringify()
                    == #"{"PORT":"8088","DATABASE_URL":true,"PGHOST":null,"PGUSER":null,"PGDATABASE":null,"PGPORT":null,"PGSSL":null,"#
                    + #""LOG_FILE":"/var/log/x.log","LOG_LEVEL":"DEBUG","DEBUG_DB":null,"DEBUG_STATS_TRACE":null}"#
            )
            let ping = await minigem.request("GET", "/debug/logping")
            #expect(ping.text == #"{"ok":true,"file":"/var/log/x.log","level":"debug"}"#)
        }
        try await withMinigem { minigem async throws in
            let json = try bodyJSON(await minigem.request("GET", "/debug/env"))
            #expect(json["port"] == 3000)
            #expect(json["env"]?["DATABASE_URL"] == false)
            #expect(await minigem.request("GET", "/debug/logping").text == #"{"ok":true,"file":"/tmp/jwc-telemetry.log","level":"info"}"#)
        }
    }
}
