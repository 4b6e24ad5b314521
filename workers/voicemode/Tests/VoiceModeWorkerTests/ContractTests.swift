import Flarelet
import FlareletTesting
import Foundation
import Testing
import VoiceModeWorker

/// Plays `fixtures/voicemode/` in-process: every case must pass, none may be skipped.
struct ContractTests {
    @Test func voiceModeFixturesPassInProcess() async throws {
        try await withVoiceMode { fixture async throws in
            let results = try await fixture.harness.playContract(try TestFiles.path("fixtures/voicemode"))
            #expect(results.count == 44)
            #expect(results.problems == [])
        }
    }

    @Test func fixturesRunTwiceAgainstTheSameBindings() async throws {
        // What a persistent dev server sees when the suite is played again: per-run ids keep cases independent.
        try await withVoiceMode { fixture async throws in
            for _ in 0..<2 {
                #expect(try await fixture.harness.playContract(try TestFiles.path("fixtures/voicemode")).filter { !$0.passed }.problems == [])
            }
        }
    }
}
