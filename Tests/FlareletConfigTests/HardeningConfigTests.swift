import FlareletJSON
import Foundation
import Testing

@testable import FlareletConfig

/// Configurations wrangler refuses, and errors that must name a line and column (issue 14, items 1 and 8).
struct HardeningConfigTests {
    static let tail =
        "\nBindings must have unique names, so that they can all be referenced in the worker.\nPlease change your bindings to have unique names."

    @Test func twoD1DatabasesWithOneBindingAreRefusedAtTheSecond() throws {
        let toml = """
            name = "w"
            [[d1_databases]]
            binding = "DB"
            database_name = "one"

            [[d1_databases]]
            binding = "DB"
            database_name = "two"

            """
        let error = try #require(loadError(toml))
        #expect(error.line == 7)
        #expect(error.column == 11)
        #expect(error.keyPath == "d1_databases[1].binding")
        #expect(error.message == "DB assigned to multiple D1 Database bindings." + Self.tail)
        #expect(error.description.hasSuffix("wrangler.toml:7:11: DB assigned to multiple D1 Database bindings." + Self.tail))
    }

    @Test func aD1AndAKVBindingWithOneNameAreRefused() throws {
        let toml = """
            name = "w"
            [[d1_databases]]
            binding = "DB"
            database_name = "one"

            [[kv_namespaces]]
            binding = "DB"
            id = "x"

            """
        let error = try #require(loadError(toml))
        #expect(error.line == 7)
        #expect(error.keyPath == "kv_namespaces[0].binding")
        #expect(error.message == "DB assigned to KV Namespace and D1 Database bindings." + Self.tail)
    }

    @Test func aVarNamedLikeABindingIsRefused() throws {
        let toml = "name = \"w\"\n[vars]\nKV = \"text\"\n\n[[kv_namespaces]]\nbinding = \"KV\"\nid = \"x\"\n"
        let error = try #require(loadError(toml))
        #expect(error.line == 6)
        #expect(error.message == "KV assigned to KV Namespace and Environment Variable bindings." + Self.tail)
    }

    @Test func aHyperdriveBindingNamedLikeAD1BindingIsRefused() throws {
        let toml = "name = \"w\"\n[[d1_databases]]\nbinding = \"DB\"\n\n[[hyperdrive]]\nbinding = \"DB\"\nid = \"h\"\n"
        let error = try #require(loadError(toml))
        #expect(error.line == 6)
        #expect(error.keyPath == "hyperdrive[0].binding")
        #expect(error.message == "DB assigned to D1 Database and Hyperdrive Config bindings." + Self.tail)
    }

    @Test func everyConflictIsListedAndTheEarliestSecondBindingLocated() throws {
        let toml = """
            name = "w"
            [[kv_namespaces]]
            binding = "A"
            [[kv_namespaces]]
            binding = "B"
            [[d1_databases]]
            binding = "B"
            [[d1_databases]]
            binding = "A"
            [[d1_databases]]
            binding = "A"

            """
        let error = try #require(loadError(toml))
        #expect(error.line == 7)
        #expect(
            error.message
                == "A assigned to KV Namespace and D1 Database bindings.\nA assigned to multiple D1 Database bindings.\n"
                + "B assigned to KV Namespace and D1 Database bindings." + Self.tail
        )
    }

    @Test func onlyTheSelectedEnvironmentIsChecked() throws {
        let toml = """
            name = "w"
            [[d1_databases]]
            binding = "DB"

            [env.staging]
            [[env.staging.d1_databases]]
            binding = "DB"
            [[env.staging.d1_databases]]
            binding = "DB"
            database_name = "other"

            """
        // The top level is fine; wrangler checks the environment in use, as Flarelet does.
        let top = try load(toml).config
        #expect(top.d1Databases.map(\.binding) == ["DB"])
        let error = try #require(loadError(toml, env: "staging"))
        #expect(error.line == 9)
        #expect(error.keyPath == "env.staging.d1_databases[1].binding")
        #expect(error.message == "DB assigned to multiple D1 Database bindings." + Self.tail)
    }

    @Test func distinctBindingsStillLoad() throws {
        let toml = "name = \"w\"\n[vars]\nA = \"1\"\n[[kv_namespaces]]\nbinding = \"KV\"\n[[d1_databases]]\nbinding = \"DB\"\n"
        let config = try load(toml).config
        #expect(config.kvNamespaces.map(\.binding) == ["KV"])
        #expect(config.d1Databases.map(\.binding) == ["DB"])
    }

    // MARK: Item 8

    @Test(arguments: [
        // (bytes before the bad byte on its line, expected column): column counts characters, not bytes.
        ("name = \"w\"\nmain = \"a", 2, 10),
        ("name = \"w\"\n# ünïcode comment\nmain = \"é", 3, 10),
        ("name = \"", 1, 9),
    ])
    func invalidUTF8IsALocatedSyntaxError(prefix: String, line: Int, column: Int) throws {
        let bytes = Array(prefix.utf8) + [0xFF, 0x22, 0x0A]
        let error = try withDirectory([:]) { directory throws -> ConfigError? in
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/wrangler.toml"))
            do {
                _ = try WranglerConfig.load(path: directory + "/wrangler.toml", env: nil, workingDirectory: directory)
                return nil
            } catch let error as ConfigError {
                return error
            }
        }
        let located = try #require(error)
        #expect(located.kind == .syntax)
        #expect(located.line == line)
        #expect(located.column == column)
        #expect(located.message == "invalid TOML: invalid UTF-8 byte 0xFF (a TOML document must be valid UTF-8)")
    }
}
