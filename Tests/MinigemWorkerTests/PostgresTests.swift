import Flarelet
import FlareletPostgres
import FlareletTesting
import Foundation
import Testing

@testable import MinigemWorker

/// Minigem with its `DB` binding on PostgreSQL (a Hyperdrive binding): upstream's schema, the same fixtures as on
/// D1, and `/stats` computed in SQL that agrees with the D1 computation for the same events.
struct PostgresTests {
    static let folder = repositoryRoot.appendingPathComponent("fixtures/minigem").path

    @Test func fixturesPassOnPostgreSQL() async throws {
        // Fixture 62 expects /dbhealth to name the database "minigem".
        try await withMinigem(storage: .postgres, databaseName: "minigem") { minigem async throws in
            for _ in 0..<2 {
                let results = try await ContractRunner(target: InProcessTarget(harness: minigem.harness)).run(folder: Self.folder)
                #expect(results.count == 49)
                for result in results {
                    #expect(result.passed, "\(result.file) (\(result.name)): \(result.failures.joined(separator: "; "))")
                    #expect(!result.skipped, "\(result.file) was skipped")
                    #expect(result.skippedChecks.isEmpty, "\(result.file): \(result.skippedChecks)")
                }
            }
        }
    }

    @Test func theSchemaIsUpstreamsWithTimestamptzJsonbAndBooleans() async throws {
        try await withMinigem(storage: .postgres) { minigem async throws in
            // A second application (another instance starting) changes nothing.
            try await MinigemPostgresSchema.apply(to: #require(minigem.hyperdrive))
            let columns = try await minigem.rows(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'telemetry_events' ORDER BY ordinal_position"
            )
            let described = columns.map { "\($0["column_name"]?.stringValue ?? "") \($0["data_type"]?.stringValue ?? "")" }
            #expect(
                described == [
                    "id bigint", "t timestamp with time zone", "anon text", "evt text", "os text", "ext text", "vscode text", "country text",
                    "region text", "duration_ms bigint", "wait_ms_total bigint", "exit_code integer", "session_id text",
                    "out_bytes_bucket text", "scanner_usage boolean", "truncated_output boolean", "error_phase text",
                    "exception_hash text", "m jsonb",
                ]
            )
            let indexes = try await minigem.rows("SELECT indexname FROM pg_indexes WHERE tablename = 'telemetry_events' ORDER BY indexname")
            #expect(
                indexes.compactMap { $0["indexname"]?.stringValue } == [
                    "idx_events_anon", "idx_events_country", "idx_events_evt", "idx_events_ext", "idx_events_os", "idx_events_session",
                    "idx_events_t", "idx_events_vscode", "telemetry_events_pkey",
                ]
            )
        }
    }

    @Test func dbhealthReportsPostgreSQLsDatabaseAndVersion() async throws {
        try await withMinigem(storage: .postgres) { minigem async throws in
            let response = await minigem.request("GET", "/dbhealth")
            #expect(response.status == 200)
            let body = try bodyJSON(response)
            #expect(body["enabled"] == .bool(true))
            #expect(body["ok"] == .bool(true))
            #expect(body["db"]?.stringValue?.hasPrefix("minigem_") == true)
            #expect(body["version"]?.stringValue?.hasPrefix("PostgreSQL ") == true)
        }
    }

    @Test func aDatabaseThatIsDownMakesDbhealthSaySoAndIngestAnswer500() async throws {
        let driver = ScriptedPostgresDriver.failing(
            PostgresDriverError(.connection, "cannot connect to PostgreSQL at 127.0.0.1:1: connection refused")
        )
        let harness = WorkerHarness(worker: MinigemWorker(), env: Env(hyperdrives: ["DB": .testing(driver)], clock: TestClock()))
        // The schema cannot be applied: the worker does not serve (upstream exits) and says why.
        let response = await harness.fetch("GET", "/health", headers: ["CF-Connecting-IP": "127.0.0.1"])
        #expect(response.status == 500)
        #expect(response.text == "Worker threw exception")
    }

    @Test func whileTheServerIsAwayIngestSkipsStatsFallsBackAndDbhealthSaysWhyThenAllRecovers() async throws {
        let server: PostgresTestServer
        do {
            server = try await PostgresTestServer.start()
        } catch {
            _ = try await withMinigem(storage: .postgres) { _ in () }  // skips (or fails on CI) with the reason
            return
        }
        defer { server.stop() }
        let database = try server.createDatabase(prefix: "minigem")
        let configuration = PostgresPoolConfiguration(
            host: server.host,
            port: server.port,
            user: server.user,
            password: server.password,
            database: database
        )
        let logger = Logger(label: "minigem-test") { _ in SwiftLogNoOpLogHandler() }
        try await PostgresPool.withRunning(configuration, logger: logger) { pool async throws in
            let env = Env(hyperdrives: ["DB": .testing(pool)], clock: TestClock(), logger: logger)
            let minigem = Minigem(
                clock: TestClock(),
                database: nil,
                hyperdrive: .testing(pool),
                harness: WorkerHarness(worker: MinigemWorker(), env: env)
            )
            #expect(await minigem.ingest(event()).text == okBody(1, 0))
            server.halt()
            // Upstream's answers for a database that fails: inserts count as skipped, /stats is the fallback.
            #expect(await minigem.ingest(event()).text == okBody(0, 1))
            let stats = await minigem.request("GET", "/stats")
            #expect(stats.status == 200)
            #expect(stats.text.hasPrefix(#"{"from":"2026-01-01","to":"2026-01-01","windowDays":7,"total":0,"#))
            let health = try bodyJSON(await minigem.request("GET", "/dbhealth"))
            #expect(health["ok"] == .bool(false))
            #expect(health["error"]?.stringValue?.hasPrefix("cannot connect to PostgreSQL at 127.0.0.1:\(server.port): ") == true, "\(health)")
            try server.resume()
            var recovered = false
            let deadline = ContinuousClock.now + .seconds(30)
            while !recovered, ContinuousClock.now < deadline {
                recovered = try bodyJSON(await minigem.request("GET", "/dbhealth"))["ok"] == .bool(true)
                if !recovered { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(recovered)
            #expect(await minigem.ingest(event()).text == okBody(1, 0))
            let total = try bodyJSON(await minigem.request("GET", "/stats"))["total"]
            #expect(total == .number(2))
        }
    }

    // MARK: /stats agreement

    /// The same events, written through `POST /t` and directly, in one storage mode.
    static func seed(_ minigem: Minigem) async throws {
        let start = startMilliseconds
        let day: Int64 = 86_400_000
        func item(_ anon: String, _ evt: String, _ t: Int64, _ extra: [(String, JSONValue)] = []) -> JSONValue {
            var object: JSONObject = ["anon": .string(anon), "evt": .string(evt), "t": .number(Double(t))]
            for (key, value) in extra { object[key] = value }
            return .object(object)
        }
        let a = "0123456789abcdef0123456789abcdef"
        let b = "fedcba9876543210fedcba9876543210"
        let c = "00000000000000000000000000000abc"
        let batches: [(country: String?, items: [JSONValue])] = [
            (
                "DE",
                [
                    item(a, "lifecycle.activate", start - 3 * day + 3_600_000, [("os", "linux"), ("ext", "1.0.0"), ("vscode", "1.90.0")]),
                    item(a, "java.run.started", start - 3 * day + 3_700_000, [("os", "linux"), ("sessionId", "s-a")]),
                    item(
                        a,
                        "java.run.completed",
                        start - 3 * day + 3_800_000,
                        [("os", "linux"), ("sessionId", "s-a"), ("m", ["durationMs": 1200, "waitMsTotal": 30, "exit": 0, "scannerUsage": true])]
                    ),
                    item(b, "java.run.started", start - 2 * day + 7_200_000, [("os", "darwin"), ("ext", "1.1.0"), ("sessionId", "s-b")]),
                    item(
                        b,
                        "java.run.completed",
                        start - 2 * day + 7_300_000,
                        [
                            ("os", "darwin"), ("ext", "1.1.0"), ("sessionId", "s-b"),
                            (
                                "m",
                                [
                                    "durationMs": 45000, "waitMsTotal": 7, "exit": 130, "scannerUsage": false, "truncatedOutput": true,
                                    "cumulativeBytesBucket": "1-10KB",
                                ]
                            ),
                        ]
                    ),
                ]
            ),
            (
                "US",
                [
                    item(c, "java.run.error", start - day + 60_000, [("m", ["phase": "compile", "exceptionHash": "h1"])]),
                    item(c, "java.run.error", start - day + 120_000, [("m", ["phase": "runtime", "exceptionHash": "h2"])]),
                    item(c, "java.run.error", start - day + 180_000, [("m", ["exceptionHash": "h1"])]),
                    item(c, "install.created", start - day + 240_000, [("os", "win32")]),
                    item(c, "java.run.completed", start - day + 300_000, [("m", ["durationMs": 130000, "exit": 1])]),
                    item(c, "java.run.completed", start - day + 360_000, [("m", ["durationMs": 400, "exit": 143, "waitMsTotal": 2])]),
                ]
            ),
            (
                nil,
                [
                    item(a, "java.run.started", start - 300_000, [("sessionId", "s-live")]),
                    item(b, "test.ping", start - 200_000, [("sessionId", "s-done")]),
                    item(b, "java.run.completed", start - 100_000, [("sessionId", "s-done"), ("m", ["durationMs": 800, "exit": 0])]),
                ]
            ),
        ]
        for batch in batches {
            var headers: Headers = [:]
            if let country = batch.country { headers["cf-ipcountry"] = country }
            let response = await minigem.ingest(["schema": "jwc.v1", "batch": .array(batch.items)], headers: headers)
            #expect(response.text == okBody(batch.items.count, 0))
        }
        // Rows only a direct write produces: NULL os/ext/vscode, and values that exist only in `m` (the fallbacks).
        try await minigem.insert(
            t: start - 2 * day + 50_000,
            anon: a,
            evt: "java.run.completed",
            country: "JP",
            m: #"{"durationMs":"1500","scannerUsage":"yes","exit":"0"}"#
        )
        try await minigem.insert(
            t: start - 2 * day + 60_000,
            anon: c,
            evt: "java.run.completed",
            os: "linux",
            duration: 99,
            scanner: true,
            truncated: false
        )
        try await minigem.insert(t: start + 5 * day, anon: c, evt: "test.ping", os: "linux")
    }

    static func stats(_ minigem: Minigem, _ query: String) async throws -> String {
        let response = await minigem.request("GET", "/stats" + query)
        #expect(response.status == 200)
        return response.text
    }

    @Test(arguments: ["", "?from=2025-12-29&to=2025-12-31", "?from=2025-12-30&to=2026-01-06", "?from=2020-01-01&to=2020-01-02"])
    func statsOnPostgreSQLAndD1AgreeForTheSameEvents(query: String) async throws {
        let d1 = try await withMinigem { minigem async throws in
            try await Self.seed(minigem)
            return try await Self.stats(minigem, query)
        }
        let postgres = try await withMinigem(storage: .postgres) { minigem async throws in
            try await Self.seed(minigem)
            return try await Self.stats(minigem, query)
        }
        #expect(postgres == d1, "first difference: \(Self.firstDifference(d1, postgres))")
        // Not the fallback: the full answer of 8.2.
        #expect(d1.contains(#""sessionsRecent":"#))
    }

    @Test func aFullAnswerOnPostgreSQLHasTheComputedValues() async throws {
        try await withMinigem(storage: .postgres) { minigem async throws in
            try await Self.seed(minigem)
            let body = try JSONValue.parse(Array(try await Self.stats(minigem, "?from=2025-12-29&to=2025-12-31").utf8))
            // 16 events in range: 5 + 6 + 3 sent, 2 written directly (the one on 2026-01-06 is outside).
            #expect(body["total"] == .number(16))
            #expect(body["runs"]?.stringify() == #"{"started":3,"completed":7}"#)
            // Exit codes of the 7 completed runs; the two direct rows read "0" from m.exit and from the default.
            #expect(body["exitCodes"]?.stringify() == #"{"0":4,"1":1,"130":1,"143":1}"#)
            // Durations 99, 400, 800, 1200, 1500 (m.durationMs "1500"), 45000, 130000.
            #expect(body["durations"]?["median"] == .number(1200))
            #expect(body["durations"]?["p90"] == .number(130000))
            #expect(body["durations"]?["hist"]?["values"]?.stringify() == "[2,1,2,0,0,1,0,1]")
            // Interactive: the scanner columns of two rows plus m.scannerUsage "yes" read as a PostgreSQL boolean.
            #expect(body["interactiveRate"] == .number(3.0 / 7.0))
            #expect(body["errors"]?.stringify() == #"{"compile":1,"runtime":1,"compileRate":0.3333333333333333,"runtimeRate":0.3333333333333333}"#)
            #expect(body["topExceptions"]?.stringify() == #"{"h1":2,"h2":1}"#)
            #expect(body["installsWindow"] == .number(1))
        }
    }

    @Test func aValuePostgreSQLCannotReadMakesBothModesAnswerTheFallback() async throws {
        func run(_ storage: Storage) async throws -> String {
            try await withMinigem(storage: storage) { minigem async throws in
                try await minigem.insert(t: startMilliseconds - 60_000, evt: "java.run.completed", m: #"{"scannerUsage":"abc"}"#)
                return try await Self.stats(minigem, "")
            }
        }
        let d1 = try await run(.d1)
        let postgres = try await run(.postgres)
        #expect(d1 == postgres)
        #expect(d1.hasPrefix(#"{"from":"2026-01-01","to":"2026-01-01","windowDays":7,"total":0,"#))
    }

    @Test func debugEndpointsAgreeAndPostgreSQLReportsItsOwnErrors() async throws {
        func run(_ storage: Storage) async throws -> [String] {
            try await withMinigem(storage: storage) { minigem async throws in
                try await Self.seed(minigem)
                var answers: [String] = []
                for path in [
                    "/debug/recent?limit=5", "/debug/recent", "/debug/counts?hours=100", "/debug/counts", "/debug/recent?limit=2.5",
                    "/debug/recent?limit=abc", "/debug/counts?hours=abc",
                ] {
                    let response = await minigem.request("GET", path)
                    answers.append("\(response.status) \(response.text)")
                }
                return answers
            }
        }
        let d1 = try await run(.d1)
        let postgres = try await run(.postgres)
        #expect(postgres == d1)
        #expect(
            postgres[4]
                == #"500 {"statusCode":500,"code":"22P02","error":"Internal Server Error","message":"invalid input syntax for type bigint: \"2.5\""}"#
        )
    }

    static func firstDifference(_ a: String, _ b: String) -> String {
        let x = Array(a)
        let y = Array(b)
        var index = 0
        while index < min(x.count, y.count), x[index] == y[index] { index += 1 }
        let start = max(0, index - 80)
        return "at \(index): d1 …\(String(x[start..<min(x.count, index + 80)]))… postgres …\(String(y[start..<min(y.count, index + 80)]))…"
    }
}
