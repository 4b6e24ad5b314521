import Flarelet
import FlareletTesting
import Testing

/// Plays `fixtures/telemetry-kit/` in-process, on D1 and on PostgreSQL: every case must pass, none may be skipped.
struct ContractTests {
    @Test(arguments: Storage.allCases)
    func telemetryKitFixturesPassInProcess(storage: Storage) async throws {
        try await TK.withHarness(storage) { harness async throws in
            let results = try await harness.playContract(try TK.fixturesFolder)
            #expect(results.count == 31)
            #expect(results.problems == [])
            // Only the signed-ingest case (60, signed with the `hmacSha256` request field) stores an event.
            #expect(try await TK.eventCount(harness) == 1)
            // Twice against the same bindings, as a persistent server sees a replayed suite.
            #expect(try await harness.playContract(try TK.fixturesFolder).filter { !$0.passed }.problems == [])
        }
    }
}
