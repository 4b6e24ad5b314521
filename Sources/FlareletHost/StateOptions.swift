import ArgumentParser
import FlareletConfig
import Foundation

/// The options of every command that reads `wrangler.toml`, declared once: which configuration, environment and
/// state, and the target flags wrangler has (`--local` is accepted and changes nothing; `--remote` is refused at
/// once, before anything is read or written).
struct StateOptions: ParsableArguments {
    @Option(
        name: [.short, .customLong("config")],
        help: "Path to wrangler.toml (default: searched upward from the working directory); `dev` takes several."
    )
    var configs: [String] = []

    @Option(name: [.short, .customLong("env")], help: "Environment to use ([env.NAME] in wrangler.toml).")
    var env: String?

    @Option(
        name: .customLong("persist-to"),
        help: "Directory for local state (default: .flarelet/state beside wrangler.toml); works without --local."
    )
    var persistTo: String?

    @Flag(name: .customLong("local"), help: "Accepted for wrangler compatibility; Flarelet always uses local state.")
    var local = false

    @Flag(name: .customLong("remote"), help: "Not supported: Flarelet works on local state only.")
    var remote = false

    func validate() throws {
        if self.configs.contains("") { throw ValidationError("-c/--config needs the path of a wrangler.toml") }
        if self.env == "" { throw ValidationError("--env needs an environment name") }
        if let persistTo = self.persistTo {
            var isDirectory: ObjCBool = false
            if persistTo.isEmpty { throw ValidationError("--persist-to needs a directory") }
            if FileManager.default.fileExists(atPath: persistTo, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw ValidationError("--persist-to \(persistTo) is a file; it must name a directory (created when missing)")
            }
        }
    }

    /// Fails at once when `--remote` was given.
    func refuseRemote() throws {
        if self.remote { throw CLIFailure(remoteRefusal) }
    }

    /// The configuration file of a command that reads one: `-c`, else the nearest `wrangler.toml` upward.
    /// - Parameter toDefine: The end of the "No configuration file found" sentence.
    func configPath(toDefine: String = "your Worker") throws -> String {
        if self.configs.count > 1 {
            throw CLIFailure("this command reads one wrangler.toml, but -c/--config was given \(self.configs.count) times")
        }
        return try self.configs.first ?? WranglerConfig.find(startingAt: FileManager.default.currentDirectoryPath, toDefine: toDefine)
    }

    /// Refuses `--remote`, then finds and loads the configuration.
    /// - Parameters:
    ///   - toDefine: The end of the "No configuration file found" sentence.
    ///   - quiet: Leave out configuration warnings (JSON output).
    func load(toDefine: String = "your Worker", quiet: Bool = false) throws -> ResolvedConfig {
        try self.refuseRemote()
        let config = try WranglerConfig.load(path: try self.configPath(toDefine: toDefine), env: self.env, cliVars: [], persistTo: self.persistTo)
        if !quiet {
            for warning in config.warnings { Console.warn(warning) }
        }
        return config
    }
}

/// The one-line refusal of `--remote`.
let remoteRefusal =
    "--remote is not supported: Flarelet works on local state only (.flarelet/state beside wrangler.toml, or --persist-to). "
    + "Remove --remote."
