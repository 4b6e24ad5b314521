import Flarelet
import FlareletTesting
import Foundation
import Testing

@testable import MinigemWorker

/// Plays `fixtures/minigem/` in-process: every case must pass, none may be skipped.
struct ContractTests {
    static let folder = repositoryRoot.appendingPathComponent("fixtures/minigem").path

    @Test func minigemFixturesPassInProcess() async throws {
        try await withMinigem { minigem async throws in
            let results = try await ContractRunner(target: InProcessTarget(harness: minigem.harness)).run(folder: Self.folder)
            #expect(results.count == 49)
            for result in results {
                #expect(result.passed, "\(result.file) (\(result.name)): \(result.failures.joined(separator: "; "))")
                #expect(!result.skipped, "\(result.file) was skipped")
                #expect(result.skippedChecks.isEmpty, "\(result.file): \(result.skippedChecks)")
            }
        }
    }

    @Test func fixturesRunTwiceAgainstTheSameWorker() async throws {
        // What a persistent dev server sees when the suite is played again.
        try await withMinigem { minigem async throws in
            for _ in 0..<2 {
                let results = try await ContractRunner(target: InProcessTarget(harness: minigem.harness)).run(folder: Self.folder)
                let failed = results.filter { !$0.passed }.map { "\($0.file): \($0.failures.joined(separator: "; "))" }
                #expect(failed.isEmpty, "\(failed)")
            }
        }
    }
}
