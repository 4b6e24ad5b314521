import ArgumentParser
import FlareletConfig
import FlareletCore
import FlareletJSON
import FlareletKV
import Foundation

/// `flarelet kv`: wrangler's `kv` commands on the local state `flarelet dev` uses.
struct KVCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "🗂️  Manage KV namespaces (local state shared with `flarelet dev`)",
        discussion: """
            A namespace is a [[kv_namespaces]] entry of the selected environment, chosen with --binding or with \
            --namespace-id (its id or preview_id); its state is the LMDB directory <persist root>/kv/<BINDING> \
            (kv/env.<env>/<BINDING> for bindings declared under [env.<env>]). Log lines go to standard error, so \
            standard output holds only what `get` and `list` return. The wrangler v3 colon forms (`kv:key …`, \
            `kv:namespace list`) are accepted too.

            Examples:
              flarelet kv namespace create RATE_LIMITS
              flarelet kv key put --binding=KV greeting hello
              flarelet kv key get --binding=KV greeting --text
              flarelet kv key list --binding=KV --prefix=rate:
              flarelet kv:key list --namespace-id=<id from wrangler.toml>
              flarelet kv key delete --binding=KV "rate:id:550e8400-e29b-41d4-a716-446655440000"
            """,
        subcommands: [Namespace.self, Key.self]
    )

    struct Namespace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "namespace",
            abstract: "Interact with your KV namespaces",
            subcommands: [NamespaceCreate.self, NamespaceList.self]
        )
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "key",
            abstract: "Individually manage KV key-value pairs",
            subcommands: [KeyPut.self, KeyGet.self, KeyList.self, KeyDelete.self]
        )
    }
}

/// `flarelet kv:key …`: the colon form wrangler v3 documented (and the VoiceMode README uses).
struct KVColonKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv:key",
        abstract: "The wrangler v3 form of `kv key` (put, get, list, delete)",
        shouldDisplay: false,
        subcommands: [KVCommand.KeyPut.self, KVCommand.KeyGet.self, KVCommand.KeyList.self, KVCommand.KeyDelete.self]
    )
}

/// `flarelet kv:namespace list`: the colon form of `kv namespace list`.
struct KVColonNamespaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv:namespace",
        abstract: "The wrangler v3 form of `kv namespace` (create, list)",
        shouldDisplay: false,
        subcommands: [KVCommand.ColonNamespaceCreate.self, KVCommand.NamespaceList.self]
    )
}

/// Which namespace a `kv key` command works on.
struct KVTargetOptions: ParsableArguments {
    @Option(help: "The binding name of the namespace (from [[kv_namespaces]] in wrangler.toml)")
    var binding: String?

    @Option(name: .customLong("namespace-id"), help: "The id (or preview_id) of a namespace configured in wrangler.toml")
    var namespaceId: String?

    @Flag(help: "Interact with a preview namespace (accepted; the state directory depends only on the binding)")
    var preview = false

    @OptionGroup var state: StateOptions
}

/// The resolved namespace of a `kv` command.
struct KVTarget {
    var config: ResolvedConfig
    var namespace: KVNamespaceConfig
    /// The namespace id wrangler would print (`--namespace-id` as given, else the binding's id or preview_id).
    var display: String
    var directory: String

    init(_ options: KVTargetOptions) throws {
        try options.state.refuseRemote()
        switch (options.binding, options.namespaceId) {
        case (nil, nil):
            throw CLIFailure("Missing required option: exactly one of --binding and --namespace-id must be provided")
        case (.some, .some):
            throw CLIFailure("Conflicting options: --binding and --namespace-id cannot be used together. Please provide only one.")
        default:
            break
        }
        self.config = try options.state.load(toDefine: "your KV namespace")
        if let binding = options.binding {
            self.namespace = try self.config.findKV(binding: binding)
            let ids = options.preview ? [self.namespace.previewId, self.namespace.id] : [self.namespace.id, self.namespace.previewId]
            self.display = ids.compactMap { $0 }.first { !$0.isEmpty } ?? self.namespace.binding
        } else {
            let id = options.namespaceId ?? ""
            guard let match = self.config.kvNamespaces.first(where: { $0.id == id || $0.previewId == id }) else {
                throw CLIFailure(Self.unknownIdMessage(id, config: self.config))
            }
            self.namespace = match
            self.display = id
        }
        self.directory = self.config.kvPath(for: self.namespace)
    }

    static func unknownIdMessage(_ id: String, config: ResolvedConfig) -> String {
        let scope = config.envName.map { "[env.\($0)] of " } ?? ""
        var message = "No KV namespace with id \"\(id)\" is configured in \(scope)\(config.configPath). "
        if config.kvNamespaces.isEmpty {
            message += "No KV namespaces are configured there."
        } else {
            let listed = config.kvNamespaces.map { namespace -> String in
                var ids: [String] = []
                if let id = namespace.id { ids.append("id \"\(id)\"") }
                if let preview = namespace.previewId { ids.append("preview_id \"\(preview)\"") }
                return "binding \(namespace.binding)" + (ids.isEmpty ? "" : " (" + ids.joined(separator: ", ") + ")")
            }
            message += "Configured namespaces: " + listed.joined(separator: "; ")
        }
        return message + ". Local state is kept per binding, so the id must belong to a configured namespace (or use --binding)."
    }

    /// The 7.2 line (on standard error): binding, environment, absolute state directory.
    func printBanner() {
        Output.log("Local KV namespace: binding \(self.namespace.binding), \(Output.environment(self.config)), directory \(self.directory)")
    }

    /// Opens the namespace, runs `body`, and closes it.
    func withNamespace<T>(_ body: (LMDBKVNamespace) async throws -> T) async throws -> T {
        let namespace = try LMDBKVNamespace(directory: self.directory)
        defer { namespace.close() }
        return try await body(namespace)
    }
}

extension KVCommand {
    struct NamespaceList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Output a list of the KV namespaces configured in wrangler.toml",
            discussion: """
                wrangler lists the namespaces of your Cloudflare account; Flarelet has only local state, so it lists \
                the [[kv_namespaces]] of the selected environment as JSON, one object per binding: \
                {"id": <id, else preview_id, else the binding>, "title": <binding>}. Their state directories are \
                printed on standard error.

                Example:
                  flarelet kv namespace list
                """
        )

        @OptionGroup var state: StateOptions

        func run() async throws {
            try await self.reportingErrors {
                let config = try self.state.load(toDefine: "your KV namespace")
                var entries: [JSONValue] = []
                for namespace in config.kvNamespaces {
                    Output.log(
                        "Local KV namespace: binding \(namespace.binding), \(Output.environment(config)), directory \(config.kvPath(for: namespace))"
                    )
                    let id = [namespace.id, namespace.previewId].compactMap { $0 }.first { !$0.isEmpty } ?? namespace.binding
                    entries.append(["id": .string(id), "title": .string(namespace.binding)])
                }
                if config.kvNamespaces.isEmpty {
                    Output.log("No KV namespaces are configured in \(config.configPath)\(config.envName.map { " for env.\($0)" } ?? "").")
                }
                Output.line(JSONValue.array(entries).stringify(indent: 2))
            }
        }
    }

    struct KeyPut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "put",
            abstract: "Write a single key/value pair to the given namespace",
            discussion: """
                Examples:
                  flarelet kv key put --binding=KV greeting hello
                  flarelet kv key put --binding=KV config --path=config.json --metadata='{"v":1}'
                  flarelet kv key put --binding=KV session abc --ttl=3600
                """
        )

        @Argument(help: "The key to write to")
        var key: String

        @Argument(help: "The value to write")
        var value: String?

        @Option(help: "Read value from the file at a given path")
        var path: String?

        @Option(help: "Time for which the entries should be visible (seconds, at least 60)")
        var ttl: Int64?

        @Option(help: "Time since the UNIX epoch after which the entry expires (seconds)")
        var expiration: Int64?

        @Option(help: "Arbitrary JSON that is associated with a key (a JSON object)")
        var metadata: String?

        @OptionGroup var target: KVTargetOptions

        func run() async throws {
            try await self.reportingErrors {
                let target = try KVTarget(self.target)
                switch (self.value, self.path) {
                case (nil, nil):
                    throw CLIFailure("Missing required option: exactly one of <value> and --path must be provided")
                case (.some, .some):
                    throw CLIFailure("Conflicting options: <value> and --path cannot be used together. Please provide only one.")
                default:
                    break
                }
                let metadata = try self.metadata.map(Self.parseMetadata)
                target.printBanner()
                let bytes: [UInt8]
                let metadataLog = metadata.map { " with metadata \"\($0.stringify())\"" } ?? ""
                if let path = self.path {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw CLIFailure("Could not read file: \(path)")
                    }
                    bytes = Array(data)
                    Output.log("Writing the contents of \(path) to the key \"\(self.key)\" on namespace \(target.display)\(metadataLog).")
                } else {
                    let value = self.value ?? ""
                    bytes = Array(value.utf8)
                    Output.log("Writing the value \"\(value)\" to key \"\(self.key)\" on namespace \(target.display)\(metadataLog).")
                }
                let options = KVPutOptions(expiration: self.expiration, expirationTtl: self.ttl, metadata: metadata)
                try await target.withNamespace { namespace in
                    try await namespace.put(self.key, bytes: bytes, options: options)
                }
            }
        }

        /// `--metadata` must be a JSON object.
        static func parseMetadata(_ text: String) throws -> JSONValue {
            let value: JSONValue
            do {
                value = try JSONValue.parse(text)
            } catch {
                throw CLIFailure("--metadata must be valid JSON. Received: \(text)")
            }
            guard case .object = value else {
                throw CLIFailure("--metadata must be a JSON object. Received: \(text)")
            }
            return value
        }
    }

    struct KeyGet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Read a single value by key from the given namespace",
            discussion: """
                Writes the value's bytes to standard output as they are (with --text: decoded as UTF-8, plus a \
                newline). A missing or expired key prints `Value not found`.

                Examples:
                  flarelet kv key get --binding=KV greeting --text
                  flarelet kv:key get "rate:id:550e8400-e29b-41d4-a716-446655440000" --namespace-id=<id>
                """
        )

        @Argument(help: "The key value to get.")
        var key: String

        @Flag(help: "Decode the returned value as a utf8 string")
        var text = false

        @OptionGroup var target: KVTargetOptions

        func run() async throws {
            try await self.reportingErrors {
                let target = try KVTarget(self.target)
                target.printBanner()
                let value = try await target.withNamespace { namespace in
                    try await namespace.getBytes(self.key)
                }
                guard let value else {
                    Output.line("Value not found")
                    return
                }
                if self.text {
                    Output.line(String(decoding: value, as: UTF8.self))
                } else {
                    Output.raw(value)
                }
            }
        }
    }

    struct KeyList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Output a list of all keys in a given namespace",
            discussion: """
                Prints a JSON array of {"name", "expiration"?, "metadata"?}: every key, in UTF-8 byte order (pages
                are followed as wrangler does remotely; local wrangler stops after the first 1000).

                Examples:
                  flarelet kv key list --binding=KV
                  flarelet kv key list --binding=KV --prefix=rate:ip:
                  flarelet kv:key list --namespace-id=<id>
                """
        )

        @Option(help: "A prefix to filter listed keys")
        var prefix: String?

        @OptionGroup var target: KVTargetOptions

        func run() async throws {
            try await self.reportingErrors {
                let target = try KVTarget(self.target)
                target.printBanner()
                let keys = try await target.withNamespace { namespace in
                    var keys: [KVKey] = []
                    var cursor: String?
                    // Follow the cursor until the list is complete (a page may be empty before that).
                    while true {
                        let page = try await namespace.list(KVListOptions(prefix: self.prefix, cursor: cursor))
                        keys += page.keys
                        guard !page.listComplete, let next = page.cursor else { break }
                        cursor = next
                    }
                    return keys
                }
                Output.line(JSONValue.array(keys.map(\.json)).stringify(indent: 2))
            }
        }
    }

    struct KeyDelete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Remove a single key value pair from the given namespace",
            discussion: """
                Deleting a missing key is not an error.

                Example:
                  flarelet kv key delete --binding=KV "rate:id:TELEMETRY_ID"
                """
        )

        @Argument(help: "The key value to delete.")
        var key: String

        @OptionGroup var target: KVTargetOptions

        func run() async throws {
            try await self.reportingErrors {
                let target = try KVTarget(self.target)
                target.printBanner()
                Output.log("Deleting the key \"\(self.key)\" on namespace \(target.display).")
                try await target.withNamespace { namespace in
                    try await namespace.delete(self.key)
                }
            }
        }
    }
}
