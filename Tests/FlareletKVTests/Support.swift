import FlareletCore
import FlareletKV
import FlareletTesting
import Foundation
import Testing

/// The two KV implementations every shared test runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case lmdb

    var testDescription: String { self.rawValue }
}

/// 2026-01-01T00:00:00Z, where `TestClock()` starts.
let start: Int64 = 1_767_225_600

/// Runs `body` in a fresh temporary directory and removes it afterwards.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-kv-tests-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url.path)
}

/// Runs `body` with an empty namespace of `backend` on a `TestClock` at ``start``, then closes and deletes it.
func withNamespace(_ backend: Backend, _ body: (any KVNamespace, TestClock) async throws -> Void) async throws {
    let clock = TestClock()
    switch backend {
    case .memory:
        try await body(MemoryKVNamespace(clock: clock), clock)
    case .lmdb:
        try await withTemporaryDirectory { directory in
            let namespace = try LMDBKVNamespace(directory: directory, clock: clock)
            defer { namespace.close() }
            try await body(namespace, clock)
        }
    }
}

/// `purgeExpired()` of either implementation.
func purgeExpired(_ namespace: any KVNamespace) async throws -> Int {
    if let lmdb = namespace as? LMDBKVNamespace { return try await lmdb.purgeExpired() }
    if let memory = namespace as? MemoryKVNamespace { return try await memory.purgeExpired() }
    Issue.record("unknown namespace type \(type(of: namespace))")
    return -1
}

/// Expects `body` to throw a `KVError` whose description is exactly `expected`.
func expectKVError(
    _ expected: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws(KVError) -> Void
) async {
    do {
        try await body()
        Issue.record("expected the error \(expected)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.description == expected, sourceLocation: sourceLocation)
    }
}

/// Key names as UTF-8 bytes: `String`'s `==` treats canonically equivalent strings ("é" and "e\u{301}") as equal.
func names(_ result: KVListResult) -> [[UInt8]] {
    result.keys.map { Array($0.name.utf8) }
}

func bytes(_ keys: [String]) -> [[UInt8]] {
    keys.map { Array($0.utf8) }
}
