import ArgumentParser

/// `diskfull`: a small tmpfs for `--persist-to`.
struct DiskFullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diskfull", abstract: "Not yet implemented.")

    @OptionGroup var suite: SuiteOptions

    func run() throws {
        throw SuiteError("diskfull is not implemented yet")
    }
}
