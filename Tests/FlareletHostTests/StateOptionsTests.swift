import Foundation
import Testing

/// `-c/--config`, `--env`, `--persist-to`, `--local` and `--remote`: one option group, the same answers everywhere.
struct StateOptionsTests {
    static let remoteRefusal =
        "✘ [ERROR] --remote is not supported: Flarelet works on local state only (.flarelet/state beside wrangler.toml, "
        + "or --persist-to). Remove --remote.\n"

    @Test(arguments: [
        ["dev", "--port", "0", "--no-crons", "--remote"],
        ["cron", "trigger", "--remote"],
        ["cron", "next", "--remote"],
        ["d1", "migrations", "list", "DB", "--remote"],
        ["kv", "namespace", "list", "--remote"],
    ])
    func remoteIsRefusedByEveryCommand(arguments: [String]) throws {
        let project = try CLIProject()
        let result = try project.run(arguments)
        #expect(result.status == 1)
        #expect(result.stderr == Self.remoteRefusal)
        #expect(!FileManager.default.fileExists(atPath: project.state.path + "/d1"))
    }

    @Test(arguments: [["d1", "execute", "DB", "--command", "SELECT 1"], ["cron", "next"], ["kv", "key", "get", "k", "--binding", "KV"]])
    func aSecondConfigIsAnErrorWhereOneIsRead(arguments: [String]) throws {
        let project = try CLIProject()
        let result = try project.run(arguments + ["-c", "wrangler.toml", "--config", "wrangler.toml"])
        #expect(result.status == 1)
        #expect(errorMessage(result) == "this command reads one wrangler.toml, but -c/--config was given 2 times")
    }

    @Test func localIsAcceptedEverywhere() throws {
        let project = try CLIProject()
        #expect(try project.run(["cron", "next", "--count", "1", "--local"]).status == 0)
        #expect(try project.run(["d1", "execute", "DB", "--command", "SELECT 1", "--local", "--json"]).status == 0)
    }

    @Test(arguments: [
        (["--env", ""], "Error: --env needs an environment name"),
        (["-c", ""], "Error: -c/--config needs the path of a wrangler.toml"),
    ])
    func emptyValuesAreUsageErrors(extra: [String], message: String) throws {
        let project = try CLIProject()
        let result = try project.run(["cron", "next"] + extra)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix(message + "\n"), "\(result.stderr)")
    }

    @Test func persistToAFileIsAUsageError() throws {
        let project = try CLIProject()
        let result = try runFlarelet(
            ["d1", "execute", "DB", "--command", "SELECT 1", "--persist-to", "wrangler.toml"],
            directory: project.directory.url
        )
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: --persist-to wrangler.toml is a file; it must name a directory (created when missing)\n"))
    }
}
