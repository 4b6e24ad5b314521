import Flarelet
import FlareletTesting
import Testing

/// Plays `fixtures/telemetry-kit/` in-process: every case must pass, none may be skipped.
struct ContractTests {
    @Test func telemetryKitFixturesPassInProcess() async throws {
        let harness = try await TK.makeHarness()
        let results = try await ContractRunner(target: InProcessTarget(harness: harness)).run(folder: TK.fixturesFolder)
        #expect(results.count == 31)
        for result in results {
            #expect(result.passed, "\(result.file) (\(result.name)): \(result.failures.joined(separator: "; "))")
            #expect(!result.skipped, "\(result.file) was skipped")
            #expect(result.skippedChecks.isEmpty, "\(result.file): \(result.skippedChecks)")
        }
        // Only the signed-ingest case (60, signed with the `hmacSha256` request field) stores an event.
        #expect(try await TK.eventCount(harness) == 1)
    }

    @Test func fixturesRunTwiceAgainstTheSameBindings() async throws {
        let harness = try await TK.makeHarness()
        for _ in 0..<2 {
            let results = try await ContractRunner(target: InProcessTarget(harness: harness)).run(folder: TK.fixturesFolder)
            let failed = results.filter { !$0.passed }.map { "\($0.file): \($0.failures.joined(separator: "; "))" }
            #expect(failed.isEmpty, "\(failed)")
        }
    }
}
