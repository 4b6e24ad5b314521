import Flarelet
import FlareletTesting
import Foundation
import Testing

@testable import MinigemWorker

/// Plays `fixtures/minigem/` in-process, on D1 and on PostgreSQL: every case must pass, none may be skipped.
struct ContractTests {
    @Test(arguments: Storage.allCases)
    func minigemFixturesPassInProcess(storage: Storage) async throws {
        // Fixture 62 expects /dbhealth to name the PostgreSQL database "minigem".
        try await withMinigem(storage: storage, databaseName: "minigem") { minigem async throws in
            // Twice against the same worker: what a persistent dev server sees when the suite is played again.
            for _ in 0..<2 {
                let results = try await minigem.harness.playContract(try TestFiles.path("fixtures/minigem"))
                #expect(results.count == 49)
                #expect(results.problems == [])
            }
        }
    }
}
