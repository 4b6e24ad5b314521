import FlareletCore
import FlareletJSON
import FlareletKV
import Foundation
import Testing

@testable import FlareletCLI

struct KVCLITests {
    static let namespaceId = "00000000000000000000000000000000"

    static func banner(_ project: CLIProject, env: String? = nil) -> String {
        let directory = project.state.path + "/kv/" + (env.map { "env.\($0)/" } ?? "") + "KV"
        return "Local KV namespace: binding KV, environment \(env ?? "top level"), directory \(directory)"
    }

    @Test func putGetListDeleteWithBinding() throws {
        let project = try CLIProject()
        let put = try project.succeed(["kv", "key", "put", "greeting", "hello world", "--binding", "KV"])
        #expect(put.stdout == "")
        #expect(
            put.stderr == Self.banner(project) + "\n"
                + "Writing the value \"hello world\" to key \"greeting\" on namespace \(Self.namespaceId).\n"
        )

        let get = try project.succeed(["kv", "key", "get", "greeting", "--binding=KV"])
        #expect(get.stdout == "hello world")
        #expect(get.stderr == Self.banner(project) + "\n")
        let text = try project.succeed(["kv", "key", "get", "greeting", "--binding=KV", "--text"])
        #expect(text.stdout == "hello world\n")

        try project.succeed(["kv", "key", "put", "greeting2", "x", "--binding=KV", "--local"])
        let list = try project.succeed(["kv", "key", "list", "--binding", "KV"])
        #expect(list.stdout == "[\n  {\n    \"name\": \"greeting\"\n  },\n  {\n    \"name\": \"greeting2\"\n  }\n]\n")
        #expect(list.stderr == Self.banner(project) + "\n")

        let delete = try project.succeed(["kv", "key", "delete", "greeting", "--binding", "KV"])
        #expect(delete.stdout == "")
        #expect(delete.stderr == Self.banner(project) + "\nDeleting the key \"greeting\" on namespace \(Self.namespaceId).\n")
        let missing = try project.succeed(["kv", "key", "get", "greeting", "--binding", "KV"])
        #expect(missing.stdout == "Value not found\n")
        // Deleting a missing key is not an error.
        try project.succeed(["kv", "key", "delete", "greeting", "--binding", "KV"])
        #expect(try project.succeed(["kv", "key", "list", "--binding", "KV"]).stdout == "[\n  {\n    \"name\": \"greeting2\"\n  }\n]\n")
    }

    /// Every key is printed: the cursor is followed past the 1000-key page (local wrangler stops there).
    @Test func keyListPrintsEveryKey() async throws {
        let project = try CLIProject()
        do {
            let namespace = try LMDBKVNamespace(directory: project.state.path + "/kv/KV")
            defer { namespace.close() }
            for index in 0..<1205 { try await namespace.put(String(format: "key%04d", index), "v") }
        }
        let list = try project.succeed(["kv", "key", "list", "--binding", "KV"])
        let keys = try #require(try JSONValue.parse(list.stdout).arrayValue)
        #expect(keys.count == 1205)
        #expect(keys.first?["name"] == "key0000")
        #expect(keys.last?["name"] == "key1204")
        let prefixed = try project.succeed(["kv", "key", "list", "--binding", "KV", "--prefix", "key1"])
        #expect(try JSONValue.parse(prefixed.stdout).arrayValue?.count == 205)
    }

    @Test func valuesFromFilesAreStoredByteForByte() async throws {
        let project = try CLIProject()
        let bytes: [UInt8] = [0, 1, 2, 0xff, 0x0a, 0x80]
        try Data(bytes).write(to: project.directory.url.appendingPathComponent("blob.bin"))
        let put = try project.succeed(["kv", "key", "put", "blob", "--path", "blob.bin", "--binding", "KV"])
        #expect(put.stderr.hasSuffix("Writing the contents of blob.bin to the key \"blob\" on namespace \(Self.namespaceId).\n"))
        let get = try project.run(["kv", "key", "get", "blob", "--binding", "KV"])
        #expect(get.status == 0)
        // Read the raw bytes back through the store the worker uses.
        let namespace = try LMDBKVNamespace(directory: project.state.path + "/kv/KV")
        defer { namespace.close() }
        let stored = try #require(try await namespace.getBytes("blob"))
        #expect(stored == bytes)

        let both = try project.run(["kv", "key", "put", "k", "v", "--path", "blob.bin", "--binding", "KV"])
        #expect(both.status == 1)
        #expect(errorMessage(both) == "Conflicting options: <value> and --path cannot be used together. Please provide only one.")
        let neither = try project.run(["kv", "key", "put", "k", "--binding", "KV"])
        #expect(neither.status == 1)
        #expect(errorMessage(neither) == "Missing required option: exactly one of <value> and --path must be provided")
        let unreadable = try project.run(["kv", "key", "put", "k", "--path", "nope.bin", "--binding", "KV"])
        #expect(errorMessage(unreadable) == "Could not read file: nope.bin")
    }

    @Test func ttlExpirationAndMetadata() throws {
        let project = try CLIProject()
        let now = Int64(Date().timeIntervalSince1970)
        let put = try project.succeed([
            "kv", "key", "put", "a:1", "v", "--binding", "KV", "--ttl", "120", "--metadata", #"{"b": [1, "x"], "a": null}"#,
        ])
        #expect(
            put.stderr.hasSuffix(
                #"Writing the value "v" to key "a:1" on namespace \#(Self.namespaceId) with metadata "{"b":[1,"x"],"a":null}"."# + "\n"
            )
        )
        try project.succeed(["kv", "key", "put", "a:2", "w", "--binding", "KV", "--expiration", String(now + 3600)])
        try project.succeed(["kv", "key", "put", "b:1", "z", "--binding", "KV"])
        let list = try project.succeed(["kv", "key", "list", "--binding", "KV", "--prefix", "a:"])
        let keys = try #require(try JSONValue.parse(list.stdout).arrayValue)
        #expect(keys.count == 2)
        #expect(keys[0].objectValue?.keys == ["name", "expiration", "metadata"])
        #expect(keys[0]["name"] == "a:1")
        let expiration = try #require(keys[0]["expiration"]?.doubleValue)
        #expect(expiration >= Double(now + 119) && expiration <= Double(now + 122))
        #expect(keys[0]["metadata"] == ["b": [1, "x"], "a": .null])
        #expect(keys[1] == ["name": "a:2", "expiration": .number(Double(now + 3600))])
        #expect(list.stdout == JSONValue.array(keys).stringify(indent: 2) + "\n")

        let short = try project.run(["kv", "key", "put", "k", "v", "--binding", "KV", "--ttl", "30"])
        #expect(short.status == 1)
        #expect(short.stderr.hasSuffix("✘ [ERROR] KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60.\n"))
        let past = try project.run(["kv", "key", "put", "k", "v", "--binding", "KV", "--expiration", "100"])
        #expect(
            errorMessage(past).hasSuffix(
                "KV PUT failed: 400 Invalid expiration of 100. Please specify integer greater than the current number of seconds since the UNIX epoch."
            )
        )
    }

    @Test(arguments: [
        ("{not json", "--metadata must be valid JSON. Received: {not json"),
        ("[1, 2]", "--metadata must be a JSON object. Received: [1, 2]"),
        ("\"text\"", "--metadata must be a JSON object. Received: \"text\""),
        ("null", "--metadata must be a JSON object. Received: null"),
    ])
    func metadataErrors(_ metadata: String, _ message: String) throws {
        let project = try CLIProject()
        let result = try project.run(["kv", "key", "put", "k", "v", "--binding", "KV", "--metadata", metadata])
        #expect(result.status == 1)
        #expect(result.stderr == "✘ [ERROR] \(message)\n")
        #expect(!FileManager.default.fileExists(atPath: project.state.path + "/kv"))
    }

    /// The VoiceMode README (seed 002) commands, colon forms and all, with the id from wrangler.toml.
    @Test func colonFormsFromTheVoiceModeReadme() throws {
        let project = try CLIProject()
        let key = "rate:id:550e8400-e29b-41d4-a716-446655440000"
        let put = try project.succeed(["kv:key", "put", key, "3", "--namespace-id=\(Self.namespaceId)"])
        #expect(put.stderr.hasSuffix("Writing the value \"3\" to key \"\(key)\" on namespace \(Self.namespaceId).\n"))
        let list = try project.succeed(["kv:key", "list", "--namespace-id=\(Self.namespaceId)"])
        #expect(list.stdout == "[\n  {\n    \"name\": \"\(key)\"\n  }\n]\n")
        #expect(list.stderr == Self.banner(project) + "\n")
        let get = try project.succeed(["kv:key", "get", key, "--namespace-id=\(Self.namespaceId)"])
        #expect(get.stdout == "3")
        let delete = try project.succeed(["kv:key", "delete", key, "--namespace-id=\(Self.namespaceId)"])
        #expect(delete.stderr.hasSuffix("Deleting the key \"\(key)\" on namespace \(Self.namespaceId).\n"))
        #expect(try project.succeed(["kv:key", "list", "--namespace-id", Self.namespaceId]).stdout == "[]\n")
        let namespaces = try project.succeed(["kv:namespace", "list"])
        #expect(namespaces.stdout == "[\n  {\n    \"id\": \"\(Self.namespaceId)\",\n    \"title\": \"KV\"\n  }\n]\n")
        #expect(try project.succeed(["kv", "namespace", "list"]).stdout == namespaces.stdout)
    }

    @Test func namespaceSelectionErrors() throws {
        let project = try CLIProject()
        let unknownId = try project.run(["kv:key", "list", "--namespace-id=YOUR_KV_NAMESPACE_ID"])
        #expect(unknownId.status == 1)
        #expect(
            errorMessage(unknownId)
                == "No KV namespace with id \"YOUR_KV_NAMESPACE_ID\" is configured in \(project.path)/wrangler.toml. "
                + "Configured namespaces: binding KV (id \"\(Self.namespaceId)\"). "
                + "Local state is kept per binding, so the id must belong to a configured namespace (or use --binding)."
        )
        let unknownBinding = try project.run(["kv", "key", "list", "--binding", "NOPE"])
        #expect(errorMessage(unknownBinding) == "A namespace with binding name \"NOPE\" was not found in the configured \"kv_namespaces\".")
        let neither = try project.run(["kv", "key", "get", "k"])
        #expect(errorMessage(neither) == "Missing required option: exactly one of --binding and --namespace-id must be provided")
        let both = try project.run(["kv", "key", "get", "k", "--binding", "KV", "--namespace-id", Self.namespaceId])
        #expect(
            errorMessage(both) == "Conflicting options: --binding and --namespace-id cannot be used together. Please provide only one."
        )
        let remote = try project.run(["kv", "key", "put", "k", "v", "--binding", "KV", "--remote"])
        #expect(remote.status == 1)
        #expect(
            remote.stderr
                == "✘ [ERROR] --remote is not supported: Flarelet works on local state only (.flarelet/state beside wrangler.toml, "
                + "or --persist-to). Remove --remote.\n"
        )
        let badKey = try project.run(["kv", "key", "put", "..", "v", "--binding", "KV"])
        #expect(errorMessage(badKey) == "\"..\" is not allowed as a key name.")
    }

    @Test func previewIdsAndEnvironmentNamespaces() throws {
        let project = try CLIProject(
            toml: """
                name = "app"

                [[kv_namespaces]]
                binding = "KV"
                id = "prod-id"
                preview_id = "preview-id"

                [env.staging]
                [[env.staging.kv_namespaces]]
                binding = "KV"
                id = "staging-id"
                """
        )
        let viaPreview = try project.succeed(["kv", "key", "put", "k", "top", "--namespace-id", "preview-id"])
        #expect(viaPreview.stderr.hasSuffix("on namespace preview-id.\n"))
        let preview = try project.succeed(["kv", "key", "get", "k", "--binding", "KV", "--preview"])
        #expect(preview.stdout == "top")
        let production = try project.succeed(["kv", "key", "get", "k", "--binding", "KV", "--text"])
        #expect(production.stdout == "top\n")

        let staging = try project.succeed(["kv", "key", "put", "k", "staged", "--binding", "KV", "--env", "staging"])
        #expect(staging.stderr.hasPrefix(Self.banner(project, env: "staging") + "\n"))
        #expect(staging.stderr.hasSuffix("on namespace staging-id.\n"))
        #expect(try project.succeed(["kv", "key", "get", "k", "--namespace-id", "staging-id", "-e", "staging"]).stdout == "staged")
        #expect(try project.succeed(["kv", "key", "get", "k", "--binding", "KV"]).stdout == "top")
        let namespaces = try project.succeed(["kv", "namespace", "list", "--env", "staging"])
        #expect(namespaces.stdout == "[\n  {\n    \"id\": \"staging-id\",\n    \"title\": \"KV\"\n  }\n]\n")
    }

    @Test func helpReadsLikeWranglerAndUnknownFlagsGetSuggestions() throws {
        let root = try runFlarelet(["--help"])
        #expect(root.stdout.contains("d1                      🗄  Manage D1 databases"))
        #expect(root.stdout.contains("kv                      🗂️  Manage KV namespaces"))
        let execute = try runFlarelet(["d1", "execute", "--help"])
        #expect(execute.stdout.hasPrefix("OVERVIEW: Execute a command or SQL file"))
        #expect(execute.stdout.contains("flarelet d1 execute voicemode-telemetry --file=schema.sql"))
        #expect(execute.stdout.contains("--persist-to <persist-to>"))
        #expect(execute.stdout.contains("works without --local"))
        let put = try runFlarelet(["kv", "key", "put", "--help"])
        #expect(put.stdout.hasPrefix("OVERVIEW: Write a single key/value pair to the given namespace"))
        let colon = try runFlarelet(["kv:key", "get", "--help"])
        #expect(colon.stdout.contains("USAGE: flarelet kv:key get <key>"))
        let typo = try runFlarelet(["d1", "execute", "DB", "--comand", "SELECT 1"])
        #expect(typo.status != 0)
        #expect(typo.stderr.contains("Unknown option '--comand'. Did you mean '--command'?"))
        let kvTypo = try runFlarelet(["kv", "key", "list", "--bindin", "KV"])
        #expect(kvTypo.stderr.contains("Did you mean '--binding'?"))
    }
}
