import FlareletCore
import FlareletJSON
import FlareletKV
import FlareletTesting
import Foundation
import Testing

/// Metadata is stored as its `JSON.stringify` text and parsed back on read (platform.md 3.1).
struct KVMetadataTests {
    @Test(arguments: Backend.allCases)
    func getWithMetadataReturnsTheMetadata(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            let metadata: JSONValue = ["author": "ana", "version": 3, "tags": ["a", "b"], "draft": false, "parent": nil]
            try await kv.put("doc", "body", options: KVPutOptions(metadata: metadata))
            let entry = try #require(try await kv.getWithMetadata("doc"))
            #expect(entry.text == "body")
            #expect(entry.metadata == metadata)
            #expect(entry.metadata?.stringify() == #"{"author":"ana","version":3,"tags":["a","b"],"draft":false,"parent":null}"#)
            #expect(entry.expiration == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func metadataReadsBackAsJavaScriptWould(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            try await kv.put("int", "v", options: KVPutOptions(metadata: .integer(5)))
            #expect(try await kv.getWithMetadata("int")?.metadata == .number(5))
            try await kv.put("null", "v", options: KVPutOptions(metadata: .null))
            #expect(try await kv.getWithMetadata("null")?.metadata == .null)
            try await kv.put("string", "v", options: KVPutOptions(metadata: "x"))
            #expect(try await kv.getWithMetadata("string")?.metadata == .string("x"))
        }
    }

    @Test(arguments: Backend.allCases)
    func listReportsMetadataOnlyWhenSet(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            try await kv.put("a", "v", options: KVPutOptions(expirationTtl: 60, metadata: ["n": 1]))
            try await kv.put("b", "v")
            try await kv.put("c", "v", options: KVPutOptions(metadata: ["m": "x"]))
            let result = try await kv.list()
            #expect(
                result.keys == [
                    KVKey(name: "a", expiration: start + 60, metadata: ["n": 1]),
                    KVKey(name: "b"),
                    KVKey(name: "c", metadata: ["m": "x"]),
                ]
            )
            #expect(
                result.json.stringify()
                    == #"{"keys":[{"name":"a","expiration":1767225660,"metadata":{"n":1}},{"name":"b"},{"name":"c","metadata":{"m":"x"}}],"#
                    + #""list_complete":true,"cacheStatus":null}"#
            )
        }
    }

    @Test(arguments: Backend.allCases)
    func overwritingWithoutMetadataDropsIt(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            try await kv.put("k", "v1", options: KVPutOptions(metadata: ["old": true]))
            try await kv.put("k", "v2")
            #expect(try await kv.getWithMetadata("k") == KVEntry(value: Array("v2".utf8)))
        }
    }

    @Test(arguments: Backend.allCases)
    func metadataOf1024BytesIsAcceptedAnd1025Rejected(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            // A JSON string of n characters stringifies to n + 2 bytes.
            let fits = JSONValue.string(String(repeating: "m", count: 1022))
            try await kv.put("fits", "v", options: KVPutOptions(metadata: fits))
            #expect(try await kv.getWithMetadata("fits")?.metadata == fits)
            let tooLong = JSONValue.string(String(repeating: "m", count: 1023))
            await expectKVError("KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024.") { () throws(KVError) in
                try await kv.put("too-long", "v", options: KVPutOptions(metadata: tooLong))
            }
            // Counted in UTF-8 bytes: `{"k":"…"}` with 600 × "é" is 8 + 1200 bytes.
            let accented = JSONValue.object(["k": .string(String(repeating: "é", count: 600))])
            await expectKVError("KV PUT failed: 413 Metadata length of 1208 exceeds limit of 1024.") { () throws(KVError) in
                try await kv.put("accented", "v", options: KVPutOptions(metadata: accented))
            }
            #expect(names(try await kv.list()) == bytes(["fits"]))
        }
    }

    @Test func metadataPersistsAcrossReopen() async throws {
        try await withTemporaryDirectory { directory in
            let clock = TestClock()
            do {
                let kv = try LMDBKVNamespace(directory: directory, clock: clock)
                defer { kv.close() }
                try await kv.put("k", "v", options: KVPutOptions(metadata: ["z": 1, "a": [1.5, "é"]]))
            }
            let kv = try LMDBKVNamespace(directory: directory, clock: clock)
            defer { kv.close() }
            let entry = try #require(try await kv.getWithMetadata("k"))
            #expect(entry.metadata?.stringify() == #"{"z":1,"a":[1.5,"é"]}"#)
        }
    }
}
