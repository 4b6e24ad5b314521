import FlareletCore
import FlareletKV
import FlareletTesting
import Foundation
import Testing

/// What only the LMDB implementation has: files, sharing, closing, a bounded map.
struct LMDBKVNamespaceTests {
    @Test func createsTheDirectoryWithLMDBFilesInside() async throws {
        try await withTemporaryDirectory { root in
            let directory = root + "/kv/env.staging/CACHE"
            let kv = try LMDBKVNamespace(directory: directory, clock: TestClock())
            defer { kv.close() }
            try await kv.put("k", "v")
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            #expect(files == ["data.mdb", "lock.mdb"])
            #expect(kv.directory == directory)
        }
    }

    @Test func persistsAcrossCloseAndReopen() async throws {
        try await withTemporaryDirectory { directory in
            let clock = TestClock()
            let long = String(repeating: "q", count: 512)
            do {
                let kv = try LMDBKVNamespace(directory: directory, clock: clock)
                defer { kv.close() }
                try await kv.put("text", "hello")
                try await kv.put("bytes", bytes: [0, 1, 255], options: KVPutOptions())
                try await kv.put("ttl", "t", options: KVPutOptions(expirationTtl: 3600))
                try await kv.put(long, "long")
                try await kv.put("deleted", "x")
                try await kv.delete("deleted")
            }
            let kv = try LMDBKVNamespace(directory: directory, clock: clock)
            defer { kv.close() }
            #expect(try await kv.get("text") == "hello")
            #expect(try await kv.getBytes("bytes") == [0, 1, 255])
            #expect(try await kv.getWithMetadata("ttl") == KVEntry(value: Array("t".utf8), expiration: start + 3600))
            #expect(try await kv.get(long) == "long")
            #expect(try await kv.get("deleted") == nil)
            #expect(names(try await kv.list()) == bytes(["bytes", long, "text", "ttl"]))
        }
    }

    /// Like `flarelet dev` and `flarelet kv key put` on one namespace directory.
    @Test func twoNamespacesOnOneDirectorySeeEachOthersWrites() async throws {
        try await withTemporaryDirectory { directory in
            let clock = TestClock()
            let server = try LMDBKVNamespace(directory: directory, clock: clock)
            // Another spelling of the same directory.
            let cli = try LMDBKVNamespace(directory: directory + "/./", clock: clock)
            try await server.put("from-server", "1")
            try await cli.put("from-cli", "2")
            #expect(try await cli.get("from-server") == "1")
            #expect(try await server.get("from-cli") == "2")
            try await cli.delete("from-server")
            #expect(try await server.get("from-server") == nil)

            // Closing one leaves the other working.
            cli.close()
            try await server.put("after", "3")
            #expect(names(try await server.list()) == bytes(["after", "from-cli"]))
            server.close()

            let reopened = try LMDBKVNamespace(directory: directory, clock: clock)
            defer { reopened.close() }
            #expect(names(try await reopened.list()) == bytes(["after", "from-cli"]))
        }
    }

    @Test func concurrentWritersFromTwoNamespaces() async throws {
        try await withTemporaryDirectory { directory in
            let first = try LMDBKVNamespace(directory: directory, clock: TestClock())
            let second = try LMDBKVNamespace(directory: directory, clock: TestClock())
            defer {
                first.close()
                second.close()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    let kv = index.isMultiple(of: 2) ? first : second
                    group.addTask { try await kv.put(String(format: "k%03d", index), "\(index)") }
                }
                try await group.waitForAll()
            }
            let listed = try await first.list()
            #expect(listed.keys.map(\.name) == (0..<50).map { String(format: "k%03d", $0) })
        }
    }

    @Test func operationsAfterCloseFail() async throws {
        try await withTemporaryDirectory { directory in
            let kv = try LMDBKVNamespace(directory: directory, clock: TestClock())
            try await kv.put("k", "v")
            kv.close()
            kv.close()
            await expectKVError("KV GET failed: 500 The KV namespace is closed.") { () throws(KVError) in _ = try await kv.get("k") }
            await expectKVError("KV PUT failed: 500 The KV namespace is closed.") { () throws(KVError) in try await kv.put("k", "v") }
            await expectKVError("KV DELETE failed: 500 The KV namespace is closed.") { () throws(KVError) in try await kv.delete("k") }
            await expectKVError("KV GET failed: 500 The KV namespace is closed.") { () throws(KVError) in _ = try await kv.list() }
            // Validation still comes first.
            await expectKVError("Key name cannot be empty.") { () throws(KVError) in _ = try await kv.get("") }
        }
    }

    @Test func fullMapIsAClearErrorAndTheStoreKeepsWorking() async throws {
        try await withTemporaryDirectory { directory in
            let kv = try LMDBKVNamespace(directory: directory, clock: TestClock(), mapSize: 1 << 20)
            defer { kv.close() }
            try await kv.put("small", "fits")
            await expectKVError(
                "KV PUT failed: 500 The KV store at \(directory) is full (LMDB map size 1048576 bytes). "
                    + "Delete keys, or reopen the namespace with a larger map size."
            ) { () throws(KVError) in
                try await kv.put("huge", bytes: [UInt8](repeating: 1, count: 2 << 20), options: KVPutOptions())
            }
            #expect(try await kv.get("huge") == nil)
            #expect(try await kv.get("small") == "fits")
            try await kv.put("another", "still fits")
            #expect(names(try await kv.list()) == bytes(["another", "small"]))
        }
    }

    @Test func purgedSpaceIsReused() async throws {
        try await withTemporaryDirectory { directory in
            let clock = TestClock()
            let kv = try LMDBKVNamespace(directory: directory, clock: clock, mapSize: 8 << 20)
            defer { kv.close() }
            let value = [UInt8](repeating: 9, count: 1 << 20)
            // Eight rounds of 2 MiB in an 8 MiB map only fit when the pages of purged entries are reused.
            for round in 0..<8 {
                for index in 0..<2 {
                    try await kv.put("r\(round)-\(index)", bytes: value, options: KVPutOptions(expirationTtl: 60))
                }
                clock.advance(by: 60)
                #expect(try await kv.purgeExpired() == 2)
            }
            #expect(try await kv.list().keys.isEmpty)
        }
    }

    @Test func aRegularFileIsNotADirectory() async throws {
        try await withTemporaryDirectory { root in
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let file = root + "/file"
            #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
            #expect(throws: LMDBError.self) { try LMDBKVNamespace(directory: file) }
        }
    }

    @Test func deletingTheDirectoryResetsTheNamespace() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let kv = try LMDBKVNamespace(directory: directory, clock: TestClock())
                defer { kv.close() }
                try await kv.put("k", "v")
            }
            try FileManager.default.removeItem(atPath: directory)
            let kv = try LMDBKVNamespace(directory: directory, clock: TestClock())
            defer { kv.close() }
            #expect(try await kv.list().keys.isEmpty)
        }
    }
}
