import ArgumentParser

/// `fuzz`: seeded hostile requests against every route of every worker on a live `flarelet dev`.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fuzz", abstract: "Not yet implemented.")

    @OptionGroup var suite: SuiteOptions

    func run() throws {
        throw SuiteError("fuzz is not implemented yet")
    }
}
