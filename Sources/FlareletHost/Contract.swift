import ArgumentParser
import FlareletContract
import Foundation

struct Contract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a folder of contract cases (fixtures/<worker>) against a running server.",
        discussion: "Example: flarelet contract fixtures/voicemode --url http://127.0.0.1:8787"
    )

    @Argument(help: "Folder of case files (*.json).")
    var folder: String

    @Option(help: "Base URL of the running worker.")
    var url: String

    func run() async throws {
        try await self.reportingErrors {
            guard FileManager.default.fileExists(atPath: self.folder) else {
                throw CLIFailure("no such folder: \(self.folder)")
            }
            let runner = ContractRunner(target: LiveTarget(baseURL: self.url))
            let results = try await runner.run(folder: self.folder)
            var passed = 0
            var failed = 0
            var skipped = 0
            for result in results {
                if result.skipped {
                    skipped += 1
                    print("- \(result.file): \(result.name) (skipped: needs binding access)")
                } else if result.passed {
                    passed += 1
                    let note = result.skippedChecks.isEmpty ? "" : " (not checked live: \(result.skippedChecks.joined(separator: ", ")))"
                    print("✔ \(result.file): \(result.name)\(note)")
                } else {
                    failed += 1
                    print("✘ \(result.file): \(result.name)")
                    for failure in result.failures { print("    \(failure)") }
                }
            }
            print("\(passed) passed, \(failed) failed, \(skipped) skipped")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
