import ArgumentParser
import FlareletCore

struct Workers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the Swift workers this build can host (their wrangler `main` values).")

    func run() {
        for entry in Host.registry.entries.sorted(by: { $0.main < $1.main }) {
            print("\(entry.main)\t\(entry.summary)")
        }
    }
}
