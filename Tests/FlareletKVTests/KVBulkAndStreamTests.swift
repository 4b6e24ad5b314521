import FlareletCore
import FlareletJSON
import FlareletKV
import FlareletTesting
import Foundation
import Testing

/// Bulk reads and stream values (platform.md 3.1, 3.2), following Miniflare's own KV tests.
struct KVBulkAndStreamTests {
    // MARK: Bulk reads

    @Test(arguments: Backend.allCases)
    func bulkGetReturnsAMapWithNullForMissingKeys(backend: Backend) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            try await kv.put("key1", "value1")
            let result = try await kv.get(["key1", "key2"])
            #expect(JSONValue.object(result).stringify() == #"{"key1":"value1","key2":null}"#)
        }
    }

    @Test(arguments: Backend.allCases)
    func bulkGetKeyCountLimits(backend: Backend) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            await expectKVError("KV GET_BULK failed: 400 You can request a maximum of 100 keys") { () async throws(KVError) in
                _ = try await kv.get((0...100).map { "key\($0)" })
            }
            await expectKVError("KV GET_BULK failed: 400 You must request a minimum of 1 key") { () async throws(KVError) in
                _ = try await kv.get([String]())
            }
            #expect(try await kv.get((0..<100).map { "key\($0)" }).count == 100)
        }
    }

    @Test(arguments: Backend.allCases)
    func bulkGetTypes(backend: Backend) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            try await kv.put("key1", #"{"example": "ex"}"#)
            try await kv.put("key2", "example")
            #expect(try await kv.get(["key1"]) == ["key1": #"{"example": "ex"}"#])
            #expect(try await kv.get(["key1"], type: "json") == ["key1": ["example": "ex"]])
            await expectKVError("KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value") {
                () async throws(KVError) in
                _ = try await kv.get(["key1", "key2"], type: "json")
            }
            for type in ["stream", "arrayBuffer", "invalid"] {
                await expectKVError("KV GET_BULK failed: 400 \"\(type)\" is not a valid type. Use \"json\" or \"text\"") { () async throws(KVError) in
                    _ = try await kv.get(["key1"], type: type)
                }
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func bulkGetWithMetadata(backend: Backend) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            try await kv.put("key1", "value1", options: KVPutOptions(expiration: start + 3600, metadata: ["testing": true]))
            try await kv.put("key2", "value2")
            try await kv.put("key3", "value3", options: KVPutOptions(metadata: 123))
            try await kv.put("empty", "", options: KVPutOptions(metadata: "m"))
            let result = try await kv.getWithMetadata(["key1", "key2", "key3", "missing", "empty"])
            #expect(
                JSONValue.object(result).stringify()
                    == #"{"key1":{"value":"value1","metadata":{"testing":true}},"key2":{"value":"value2","metadata":null},"#
                    + #""key3":{"value":"value3","metadata":123},"missing":null,"empty":""}"#
            )
        }
    }

    /// The Map is built from a JavaScript object: a repeated key once, integer-like keys first, no `__proto__`.
    @Test(arguments: Backend.allCases)
    func bulkResultHasJavaScriptObjectOrder(backend: Backend) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            for key in ["b", "2", "1", "__proto__"] { try await kv.put(key, "v" + key) }
            let result = try await kv.get(["b", "2", "b", "__proto__", "1"])
            #expect(result.keys == ["1", "2", "b"])
        }
    }

    @Test(arguments: Backend.allCases)
    func bulkGetChecksKeysCacheTtlAndTotalSize(backend: Backend) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            await expectKVError("KV GET_BULK failed: 400 Key names must not be empty") { () async throws(KVError) in _ = try await kv.get(["a", ""]) }
            await expectKVError("KV GET_BULK failed: 400 Illegal key name \"..\". Please use a different name.") { () async throws(KVError) in
                _ = try await kv.getWithMetadata([".."])
            }
            await expectKVError("KV GET_BULK failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.") { () async throws(KVError) in
                _ = try await kv.get([String(repeating: "x", count: 513)])
            }
            await expectKVError("KV GET_BULK failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30.") { () async throws(KVError) in
                _ = try await kv.get(["a"], cacheTtl: 10)
            }
            let big = String(repeating: "x", count: 13_107_201)
            try await kv.put("big1", big)
            try await kv.put("big2", big)
            await expectKVError("KV GET_BULK failed: 413 Total size of request exceeds the limit of 25MB") { () async throws(KVError) in
                _ = try await kv.get(["big1", "big2"])
            }
        }
    }

    // MARK: Streams

    @Test(arguments: Backend.allCases)
    func streamValuesRoundTrip(backend: Backend) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            let bytes: [UInt8] = [255, 0, 10, 20, 30, 200]
            try await kv.put("stream-key", stream: KVByteStream(bytes))
            let stream = try #require(try await kv.getStream("stream-key"))
            #expect(await stream.collect() == bytes)
            let missing = try await kv.getStream("missing")
            #expect(missing == nil)
            let large = [UInt8](repeating: 7, count: KVByteStream.chunkSize * 2 + 5)
            try await kv.put("large", stream: KVByteStream(large))
            var chunks: [Int] = []
            for await chunk in try #require(try await kv.getStream("large")) { chunks.append(chunk.count) }
            #expect(chunks == [KVByteStream.chunkSize, KVByteStream.chunkSize, 5])
        }
    }

    @Test(arguments: Backend.allCases)
    func oversizedStreamNamesItsFullLength(backend: Backend) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            let length = KVValidation.maxValueBytes + 1
            do {
                try await kv.put("key", stream: KVByteStream([UInt8](repeating: 1, count: length)))
                Issue.record("expected a 413")
            } catch let error as KVError {
                #expect(error.description == "KV PUT failed: 413 Value length of \(length) exceeds limit of 26214400.")
            }
            #expect(try await kv.get("key") == nil)
            try await kv.put("key", stream: KVByteStream([UInt8](repeating: 1, count: length - 1)))
            #expect(try await kv.getBytes("key")?.count == length - 1)
        }
    }
}
