import FlareletCore
import FlareletTesting
import Foundation
import Testing

@testable import FlareletKV

/// Writes that wait while a commit is in flight share the next LMDB transaction and sync; reads never wait.
struct WriteCoalescingTests {
    @Test func concurrentPutsShareOneTransactionAndAFailureStaysItsOwn() async throws {
        try await withTemporaryDirectory { directory in
            // A small map, so that one large value cannot fit.
            let kv = try LMDBKVNamespace(directory: directory, clock: TestClock(), mapSize: 256 * 1024)
            defer { kv.close() }
            try await kv.put("existing", "1")
            let environment = try #require(kv.lmdbEnvironment)
            let before = kv.writeStatistics
            let resume = environment.pauseWrites()
            var tasks: [Task<String?, Never>] = []
            for index in 0..<20 {
                tasks.append(
                    Task {
                        do {
                            if index == 7 {
                                try await kv.put("huge", bytes: [UInt8](repeating: 7, count: 400 * 1024), options: KVPutOptions())
                            } else if index == 11 {
                                try await kv.delete("existing")
                            } else {
                                try await kv.put("key-\(index)", "value-\(index)")
                            }
                            return nil
                        } catch {
                            return "\(error)"
                        }
                    }
                )
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while environment.pendingWriteCount < 20, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
            #expect(environment.pendingWriteCount == 20)
            // Reads do not wait for the paused writer.
            #expect(try await kv.get("existing") == "1")
            resume()
            var failures: [Int: String] = [:]
            for (index, task) in tasks.enumerated() {
                if let failure = await task.value { failures[index] = failure }
            }
            let after = kv.writeStatistics
            #expect(after.transactions - before.transactions == 1)
            #expect(after.writes - before.writes == 20)
            #expect(Array(failures.keys) == [7])
            #expect(failures[7]?.contains("is full (LMDB map size 262144 bytes)") == true)
            #expect(try await kv.get("huge") == nil)
            #expect(try await kv.get("existing") == nil)
            let names = try await kv.list().keys.map(\.name)
            #expect(names == (0..<20).filter { $0 != 7 && $0 != 11 }.map { "key-\($0)" }.sorted())
        }
    }

    @Test func writesQueuedBeforeCloseAreStillCommitted() async throws {
        try await withTemporaryDirectory { directory in
            let kv = try LMDBKVNamespace(directory: directory, clock: TestClock())
            let environment = try #require(kv.lmdbEnvironment)
            let resume = environment.pauseWrites()
            let write = Task { try await kv.put("late", "kept") }
            let deadline = ContinuousClock.now + .seconds(30)
            while environment.pendingWriteCount < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
            let closing = Task.detached { kv.close() }
            resume()
            try await write.value
            await closing.value
            let reopened = try LMDBKVNamespace(directory: directory, clock: TestClock())
            defer { reopened.close() }
            #expect(try await reopened.get("late") == "kept")
        }
    }
}
