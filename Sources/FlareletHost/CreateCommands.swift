import ArgumentParser
import FlareletConfig
import FlareletCore
import FlareletD1
import FlareletJSON
import FlareletKV
import Foundation

/// `d1 create` and `kv namespace create` (platform-next.md 11): wrangler creates a remote resource and prints the
/// configuration snippet to add; Flarelet creates the local state instead and prints the same text with a fresh id.
enum CreatedResource {
    /// The snippet in the configuration's format: TOML for `wrangler.toml`, `JSON.stringify(…, null, 2)` when there is
    /// no configuration file.
    static func snippet(table: String, fields: [(String, String)], toml: Bool) -> String {
        if toml {
            var lines = ["[[\(table)]]"]
            for (key, value) in fields { lines.append("\(key) = \(JSONValue.string(value).stringify())") }
            return lines.joined(separator: "\n") + "\n"
        }
        let entry = JSONValue.object(JSONObject(fields.map { ($0.0, JSONValue.string($0.1)) }))
        return JSONValue.object([table: .array([entry])] as JSONObject).stringify(indent: 2)
    }

    /// wrangler's `getValidBindingName`: spaces and `-` become `_`, other characters outside `[A-Za-z0-9_]` are
    /// dropped, runs of `_` collapse, a leading digit gets a `_`; an empty or all-underscore result is `fallback`.
    static func validBindingName(_ name: String, fallback: String) -> String {
        var result = ""
        for character in name {
            let mapped: Character? =
                character == " " || character == "-"
                ? "_" : (character.isASCII && (character.isLetter || character.isNumber || character == "_") ? character : nil)
            guard let mapped else { continue }
            if mapped == "_" && result.hasSuffix("_") { continue }
            result.append(mapped)
        }
        if let first = result.first, first.isNumber { result = "_" + result }
        return result.allSatisfy({ $0 == "_" }) ? fallback : result
    }

    /// The configuration `create` commands read: the one found (or given), or none.
    static func loadOptional(_ state: StateOptions) throws -> ResolvedConfig? {
        if state.configs.isEmpty, (try? WranglerConfig.find(startingAt: FileManager.default.currentDirectoryPath)) == nil {
            return nil
        }
        return try state.load(toDefine: "your Worker")
    }

    /// The state root without a configuration file: `--persist-to`, else `.flarelet/state` in the working directory.
    static func persistRoot(_ state: StateOptions, config: ResolvedConfig?) -> String {
        if let config { return config.persistRoot }
        let cwd = FileManager.default.currentDirectoryPath
        if let persistTo = state.persistTo {
            return persistTo.hasPrefix("/") ? persistTo : cwd + "/" + persistTo
        }
        return cwd + "/.flarelet/state"
    }

    /// 32 lower-case hex characters (a KV namespace id).
    static func randomHex32() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

extension D1Command {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a D1 database",
            discussion: """
                Creates the local database file <persist root>/d1/<NAME>.sqlite (the file `flarelet dev` opens for a \
                [[d1_databases]] entry with database_name = NAME) and prints the wrangler.toml snippet to add, with a \
                fresh database_id (a UUID; locally only a label). wrangler.toml is never edited.

                Example:
                  flarelet d1 create voicemode-telemetry
                """
        )

        @Argument(help: "The name of the new DB")
        var name: String

        @Option(help: "A hint for the primary location of the new DB (weur, eeur, apac, oc, wnam, enam); recorded nowhere locally")
        var location: String?

        @Option(help: "The jurisdiction the new DB is restricted to (eu, fedramp, us); accepted and ignored locally")
        var jurisdiction: String?

        @OptionGroup var state: StateOptions

        func validate() throws {
            let locations = ["weur", "eeur", "apac", "oc", "wnam", "enam"]
            if let location, !locations.contains(location) {
                throw ValidationError("Location '\(location)' invalid. Valid values are \(locations.joined(separator: ","))")
            }
            if let jurisdiction, !["eu", "fedramp", "us"].contains(jurisdiction) {
                throw ValidationError(
                    "Invalid values:\n  Argument: jurisdiction, Given: \"\(jurisdiction)\", Choices: \"eu\", \"fedramp\", \"us\""
                )
            }
        }

        func run() async throws {
            try await self.reportingErrors {
                try self.state.refuseRemote()
                let config = try CreatedResource.loadOptional(self.state)
                let root = CreatedResource.persistRoot(self.state, config: config)
                let path = root + "/d1/" + self.name + ".sqlite"
                guard !self.name.isEmpty, !self.name.contains("/") else {
                    throw CLIFailure("Invalid database name '\(self.name)': it names the file \(path)")
                }
                if FileManager.default.fileExists(atPath: path) {
                    throw CLIFailure("A database with that name already exists")
                }
                try FileManager.default.createDirectory(atPath: root + "/d1", withIntermediateDirectories: true)
                let database = try SQLiteD1Database(path: path)
                database.close()
                var first = "✅ Successfully created DB '\(self.name)'"
                if let location { first += " using primary location hint \(location)" }
                Console.out(first)
                Console.out("Created your new D1 database.")
                Console.out("")
                let snippet = CreatedResource.snippet(
                    table: "d1_databases",
                    fields: [("binding", "DB"), ("database_name", self.name), ("database_id", UUID().uuidString.lowercased())],
                    toml: config != nil
                )
                Console.out(snippet)
                Output.log("Local D1 database: \(path)")
            }
        }
    }
}

extension KVCommand {
    struct NamespaceCreate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a new namespace",
            discussion: """
                Creates the local LMDB directory of the binding (<persist root>/kv/<BINDING>, or kv/env.<env>/<BINDING> \
                with --env) and prints wrangler's snippet with a fresh id (32 hex characters; locally only a label). \
                The binding is the namespace name made a valid JavaScript identifier. wrangler.toml is never edited.

                Example:
                  flarelet kv namespace create RATE_LIMITS
                """
        )

        @Argument(help: "The name of the new namespace")
        var namespace: String

        @Flag(help: "Interact with a preview namespace (the snippet gets preview_id)")
        var preview = false

        @OptionGroup var state: StateOptions

        func run() async throws {
            try await self.reportingErrors {
                try Self.create(namespace: self.namespace, preview: self.preview, state: self.state, colonForm: false)
            }
        }

        /// Creates the namespace's local state and prints the snippet.
        /// - Parameter colonForm: whether the wrangler v3 `kv:namespace create` form was used (it warns first).
        static func create(namespace name: String, preview: Bool, state: StateOptions, colonForm: Bool) throws {
            if colonForm {
                Console.warn(
                    "The `flarelet kv:namespace` command is deprecated and will be removed in a future major version. "
                        + "Please use `flarelet kv namespace` instead which behaves the same."
                )
            }
            try state.refuseRemote()
            let config = try CreatedResource.loadOptional(state)
            var workerName = config?.name
            if let config, let env = config.envName, let top = try? WranglerConfig.load(path: config.configPath, env: nil) {
                workerName = "\(top.name)-\(env)"
            }
            if workerName == nil {
                Console.warn("No configured name present, using `worker` as a prefix for the title")
            }
            let title = "\(workerName ?? "worker")-\(name)\(preview ? "_preview" : "")"
            let binding = CreatedResource.validBindingName(name, fallback: "KV")
            var directory = CreatedResource.persistRoot(state, config: config) + "/kv"
            if let env = config?.envName { directory += "/env.\(env)" }
            directory += "/" + binding
            if FileManager.default.fileExists(atPath: directory) {
                throw CLIFailure(
                    "A KV namespace with the title \"\(title)\" already exists.\n\n"
                        + "Its local state is \(directory); run `flarelet kv namespace list` to see the configured namespaces."
                )
            }
            Console.out("🌀 Creating namespace with title \"\(title)\"")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let created = try LMDBKVNamespace(directory: directory)
            created.close()
            Console.out("✨ Success!")
            let scope = config?.envName.map { " under [env.\($0)]" } ?? ""
            Console.out("Add the following to your configuration file in your kv_namespaces array\(scope):")
            Console.out(
                CreatedResource.snippet(
                    table: "kv_namespaces",
                    fields: [("binding", binding), (preview ? "preview_id" : "id", CreatedResource.randomHex32())],
                    toml: config != nil
                )
            )
            Output.log("Local KV namespace: \(directory)")
        }
    }

    /// `kv:namespace create`: the same after wrangler's deprecation warning.
    struct ColonNamespaceCreate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a new namespace (wrangler v3 form; prefer `kv namespace create`)"
        )

        @Argument(help: "The name of the new namespace")
        var namespace: String

        @Flag(help: "Interact with a preview namespace (the snippet gets preview_id)")
        var preview = false

        @OptionGroup var state: StateOptions

        func run() async throws {
            try await self.reportingErrors {
                try NamespaceCreate.create(namespace: self.namespace, preview: self.preview, state: self.state, colonForm: true)
            }
        }
    }
}
