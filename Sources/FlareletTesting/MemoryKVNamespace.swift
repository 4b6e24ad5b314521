public import FlareletCore
import FlareletJSON
import Foundation
import Synchronization

/// An in-memory KV namespace for unit tests of workers.
///
/// Same semantics as the LMDB namespace: the checks of `KVValidation`, keys in UTF-8 byte order, cursors that are
/// base64 of the last returned key, expiration read from the injected clock in whole seconds, metadata kept as its
/// `JSON.stringify` text and parsed back on read (so `.integer(5)` reads back as `.number(5)`, as in JavaScript).
public final class MemoryKVNamespace: KVNamespace {
    private struct Entry {
        var value: [UInt8]
        var metadata: String?
        var expiration: Int64?

        func isExpired(now: Int64) -> Bool {
            guard let expiration = self.expiration else { return false }
            return expiration <= now
        }
    }

    private let clock: any WorkerClock
    /// Sorted by key bytes.
    private let entries = Mutex<[(key: [UInt8], entry: Entry)]>([])

    /// - Parameter clock: the source of "now" for expiration, typically a `TestClock`.
    public init(clock: any WorkerClock = SystemClock()) {
        self.clock = clock
    }

    /// Number of stored entries, expired ones included.
    public var storedCount: Int {
        self.entries.withLock { $0.count }
    }

    // MARK: KVNamespace

    public func getWithMetadata(_ key: String, cacheTtl: Int?) async throws(KVError) -> KVEntry? {
        try KVValidation.checkKey(key, method: "GET")
        try KVValidation.checkCacheTtl(cacheTtl)
        let now = self.nowSeconds()
        let bytes = Array(key.utf8)
        let found = self.entries.withLock { entries -> Entry? in
            let index = Self.lowerBound(bytes, in: entries)
            guard index < entries.count, entries[index].key == bytes else { return nil }
            if entries[index].entry.isExpired(now: now) {
                entries.remove(at: index)
                return nil
            }
            return entries[index].entry
        }
        guard let found else { return nil }
        return KVEntry(value: found.value, metadata: try Self.parseMetadata(found.metadata, key: key), expiration: found.expiration)
    }

    public func put(_ key: String, bytes value: [UInt8], options: KVPutOptions) async throws(KVError) {
        let metadataText = options.metadata?.stringify()
        let expiration = try KVValidation.checkPut(
            key: key,
            valueLength: value.count,
            options: options,
            metadataText: metadataText,
            now: self.nowSeconds()
        )
        let bytes = Array(key.utf8)
        let entry = Entry(value: value, metadata: metadataText, expiration: expiration)
        self.entries.withLock { entries in
            let index = Self.lowerBound(bytes, in: entries)
            if index < entries.count, entries[index].key == bytes {
                entries[index].entry = entry
            } else {
                entries.insert((bytes, entry), at: index)
            }
        }
    }

    public func delete(_ key: String) async throws(KVError) {
        try KVValidation.checkKey(key, method: "DELETE")
        let bytes = Array(key.utf8)
        self.entries.withLock { entries in
            let index = Self.lowerBound(bytes, in: entries)
            if index < entries.count, entries[index].key == bytes { entries.remove(at: index) }
        }
    }

    public func list(_ options: KVListOptions) async throws(KVError) -> KVListResult {
        let limit = try KVValidation.checkList(options)
        var after: [UInt8]?
        if let cursor = options.cursor {
            guard let bytes = KVValidation.decodeCursor(cursor) else {
                throw KVError(.backend(method: "GET", status: 400), "Invalid cursor.")
            }
            after = bytes
        }
        let prefix = Array((options.prefix ?? "").utf8)
        let now = self.nowSeconds()
        let startAfter = after
        let (page, more) = self.entries.withLock { entries -> ([(key: [UInt8], entry: Entry)], Bool) in
            var index = Self.lowerBound(prefix, in: entries)
            if let startAfter {
                index = max(index, Self.lowerBound(startAfter, in: entries))
                if index < entries.count, entries[index].key == startAfter { index += 1 }
            }
            var page: [(key: [UInt8], entry: Entry)] = []
            while index < entries.count, entries[index].key.starts(with: prefix) {
                defer { index += 1 }
                if entries[index].entry.isExpired(now: now) { continue }
                if page.count == limit { return (page, true) }
                page.append(entries[index])
            }
            return (page, false)
        }
        var keys: [KVKey] = []
        for item in page {
            let name = String(decoding: item.key, as: UTF8.self)
            keys.append(
                KVKey(name: name, expiration: item.entry.expiration, metadata: try Self.parseMetadata(item.entry.metadata, key: name))
            )
        }
        guard more, let last = keys.last else { return KVListResult(keys: keys, listComplete: true) }
        return KVListResult(keys: keys, listComplete: false, cursor: KVValidation.encodeCursor(last.name))
    }

    /// Deletes every expired entry and returns how many there were.
    public func purgeExpired() async throws(KVError) -> Int {
        let now = self.nowSeconds()
        return self.entries.withLock { entries in
            let before = entries.count
            entries.removeAll { $0.entry.isExpired(now: now) }
            return before - entries.count
        }
    }

    // MARK: Helpers

    private func nowSeconds() -> Int64 {
        Int64(self.clock.now().timeIntervalSince1970.rounded(.down))
    }

    /// The index of the first key not below `key`.
    private static func lowerBound(_ key: [UInt8], in entries: [(key: [UInt8], entry: Entry)]) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].key.lexicographicallyPrecedes(key) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    private static func parseMetadata(_ text: String?, key: String) throws(KVError) -> JSONValue? {
        guard let text else { return nil }
        do {
            return try JSONValue.parse(text)
        } catch {
            throw KVError(.backend(method: "GET", status: 500), "Stored metadata of key \"\(key)\" is not valid JSON: \(error.message)")
        }
    }
}
