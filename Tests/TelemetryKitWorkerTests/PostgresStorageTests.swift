import Flarelet
import FlareletPostgres
import FlareletTesting
import Foundation
import Testing

@testable import TelemetryKitWorker

/// Telemetry Kit with its `DB` binding on PostgreSQL (a Hyperdrive binding): the same fixtures as on D1, the
/// upstream DDL applied by the worker, and answers whose database texts come from PostgreSQL itself.
struct PostgresStorageTests {
    @Test func fixturesPassOnPostgreSQL() async throws {
        try await TK.withHarness(.postgres) { harness async throws in
            let results = try await ContractRunner(target: InProcessTarget(harness: harness)).run(folder: TK.fixturesFolder)
            #expect(results.count == 31)
            for result in results {
                #expect(result.passed, "\(result.file) (\(result.name)): \(result.failures.joined(separator: "; "))")
                #expect(!result.skipped, "\(result.file) was skipped")
                #expect(result.skippedChecks.isEmpty, "\(result.file): \(result.skippedChecks)")
            }
            #expect(try await TK.eventCount(harness) == 1)
            // Twice against the same database, as a persistent server sees a replayed suite.
            let again = try await ContractRunner(target: InProcessTarget(harness: harness)).run(folder: TK.fixturesFolder)
            #expect(again.filter { !$0.passed }.map(\.file) == [])
        }
    }

    @Test func theWorkerAppliesTheUpstreamSchemaOnFirstUseExactlyOnce() async throws {
        try await TKPostgres.withPool { pool in
            let hyperdrive = Hyperdrive.testing(pool)
            // Two workers (two Flarelet instances) start on the same empty database at once.
            let harnesses = (0..<2).map { _ in WorkerHarness(worker: TelemetryKitWorker(), env: Env(hyperdrives: ["DB": hyperdrive])) }
            let now = String(Int64(Date().timeIntervalSince1970))
            let responses = await withTaskGroup(of: Int.self) { group in
                for harness in harnesses {
                    group.addTask {
                        let body = TK.batch([TK.event()])
                        return await harness.fetch("POST", TK.ingestPath, headers: TK.signedHeaders(body, timestamp: now), body: body).status
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses == [200, 200])
            let indexes = try await pool.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname")
            #expect(
                indexes.rows.map { $0[0] }
                    == [
                        "api_tokens_pkey", "api_tokens_token_key", "events_event_id_key", "events_pkey", "idx_events_analytics",
                        "idx_events_data_gin", "idx_events_event_id", "idx_events_event_type", "idx_events_org_app", "idx_events_service_name",
                        "idx_events_timestamp", "idx_events_user_id", "idx_tokens_org_app", "idx_tokens_token", "unique_org_app",
                    ].map { .text($0) }
            )
            let token = try await pool.query(
                "SELECT count(*) AS n, min(tier::text) AS tier, bool_and(is_active) AS active, min(length(id::text)) AS id_length FROM api_tokens"
            ).first
            #expect(token?["n"] == .integer(1))
            #expect(token?["tier"] == .text("free"))
            #expect(token?["active"] == .bool(true))
            #expect(token?["id_length"] == .integer(36))
            let enumValues = try await pool.query("SELECT enum_range(NULL::token_tier)::text AS v").first?["v"]
            #expect(enumValues == .text("{free,pro,business,enterprise}"))
        }
    }

    @Test func aDroppedEventsTableIsAPerEventDatabaseErrorInPostgreSQLsWords() async throws {
        try await TK.withHarness(.postgres) { harness async throws in
            try await TK.run(harness, "DROP TABLE events")
            let response = await TK.ingest(harness, TK.minimalBody)
            #expect(response.status == 400)
            let expected =
                #"{"error":"bad_request","errors":[{"error":"database_error","event_id":"0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b","#
                + #""message":"Database error: error returned from database: relation \"events\" does not exist"}],"#
                + #""message":"All events rejected"}"#
            #expect(response.text == expected)
        }
    }

    @Test func aFailingInsertKeepsEarlierEventsAndQuotesTheServer() async throws {
        try await TK.withHarness(.postgres) { harness async throws in
            try await TK.run(
                harness,
                """
                CREATE FUNCTION fail_client() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.user_id = 'client_fail' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$
                """
            )
            try await TK.run(harness, "CREATE TRIGGER fail_second BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail_client()")
            let failing = "33333333-3333-4333-8333-333333333333"
            let response = await TK.ingest(harness, TK.batch([TK.event(), TK.event(id: failing, userID: "client_fail"), TK.event()]))
            #expect(response.status == 207)
            let expected =
                #"{"status":"partial","accepted":2,"rejected":1,"errors":[{"event_id":"\#(failing)","error":"database_error","#
                + #""message":"Failed to insert event: error returned from database: boom"}]}"#
            #expect(response.text == expected)
            #expect(try await TK.eventCount(harness) == 2)
        }
    }

    @Test func racingCopiesOfOneEventAreStoredOnceAndTheRestRejected() async throws {
        try await TK.withHarness(.postgres) { harness async throws in
            let id = "44444444-4444-4444-8444-444444444444"
            let body = TK.batch([TK.event(id: id)])
            let texts = await withTaskGroup(of: String.self) { group in
                for _ in 0..<16 {
                    group.addTask { await TK.ingest(harness, body).text }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let accepted = texts.filter { $0 == IngestTests.success1 }
            #expect(accepted.count == 1)
            // The loser of a race past the duplicate lookup gets PostgreSQL's unique violation (spec 13, item 4).
            let duplicate =
                #"{"error":"bad_request","errors":[{"error":"duplicate","event_id":"\#(id)","#
                + #""message":"Event already ingested (duplicate event_id: \#(id))"}],"message":"All events rejected"}"#
            let raced =
                #"{"error":"bad_request","errors":[{"error":"database_error","event_id":"\#(id)","#
                + #""message":"Failed to insert event: error returned from database: duplicate key value violates unique constraint \"events_event_id_key\""}],"#
                + #""message":"All events rejected"}"#
            for text in texts where text != IngestTests.success1 {
                #expect(text == duplicate || text == raced, "\(text)")
            }
            let count = try await TK.eventCount(harness)
            #expect(count == 1)
        }
    }

    @Test func anUnreachableDatabaseIsA500DatabaseErrorAndHealthStaysUp() async throws {
        let driver = ScriptedPostgresDriver.failing(
            PostgresDriverError(.connection, "cannot connect to PostgreSQL at 127.0.0.1:1: connection refused")
        )
        let harness = WorkerHarness(worker: TelemetryKitWorker(), env: Env(hyperdrives: ["DB": .testing(driver)], clock: TestClock()))
        let response = await TK.ingest(harness, TK.minimalBody)
        #expect(response.status == 500)
        #expect(response.text == TK.errorBody("Internal Server Error", "Database error"))
        #expect(response.headers["X-Clacks-Overhead"] == "GNU Terry Pratchett")
        let health = await harness.fetch("GET", "/health")
        #expect(health.status == 200)
        // Nothing but the schema attempt reached the driver (the token lookup never ran).
        #expect(driver.statements.map(\.sql) == ["BEGIN"])
    }

    @Test func theWorkerRecoversWhenItsServerComesBack() async throws {
        let server: PostgresTestServer
        do {
            server = try await PostgresTestServer.start()
        } catch {
            _ = try await TKPostgres.server()  // skips (or fails on CI) with the reason
            return
        }
        defer { server.stop() }
        let database = try server.createDatabase(prefix: "tk")
        try await PostgresPool.withRunning(TKPostgres.configuration(server, database: database), logger: TKPostgres.logger) { pool in
            let harness = WorkerHarness(worker: TelemetryKitWorker(), env: Env(hyperdrives: ["DB": .testing(pool)], clock: TestClock()))
            #expect(await TK.ingest(harness, TK.batch([TK.event()])).status == 200)
            server.halt()
            let down = await TK.ingest(harness, TK.batch([TK.event()]))
            #expect(down.status == 500)
            #expect(down.text == TK.errorBody("Internal Server Error", "Database error"))
            try server.resume()
            var status = 0
            let deadline = ContinuousClock.now + .seconds(30)
            while status != 200, ContinuousClock.now < deadline {
                status = await TK.ingest(harness, TK.batch([TK.event()])).status
                if status != 200 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(status == 200)
            #expect(try await TK.eventCount(harness) == 2)
        }
    }
}
