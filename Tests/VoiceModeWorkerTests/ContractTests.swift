import Flarelet
import FlareletTesting
import Foundation
import Testing
import VoiceModeWorker

/// Plays `fixtures/voicemode/` in-process: every case must pass, none may be skipped.
struct ContractTests {
    @Test func voiceModeFixturesPassInProcess() async throws {
        let folder = repositoryRoot.appendingPathComponent("fixtures/voicemode").path
        try await withVoiceMode { fixture async throws in
            let runner = ContractRunner(target: InProcessTarget(harness: fixture.harness))
            let results = try await runner.run(folder: folder)
            #expect(results.count == 44)
            for result in results {
                #expect(result.passed, "\(result.file) (\(result.name)): \(result.failures.joined(separator: "; "))")
                #expect(!result.skipped, "\(result.file) was skipped")
                #expect(result.skippedChecks.isEmpty, "\(result.file): \(result.skippedChecks)")
            }
        }
    }

    @Test func fixturesRunTwiceAgainstTheSameBindings() async throws {
        // What a persistent dev server sees when the suite is played again: per-run ids keep cases independent.
        let folder = repositoryRoot.appendingPathComponent("fixtures/voicemode").path
        try await withVoiceMode { fixture async throws in
            for _ in 0..<2 {
                let results = try await ContractRunner(target: InProcessTarget(harness: fixture.harness)).run(folder: folder)
                let failed = results.filter { !$0.passed }.map { "\($0.file): \($0.failures.joined(separator: "; "))" }
                #expect(failed.isEmpty, "\(failed)")
            }
        }
    }
}
