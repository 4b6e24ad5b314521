import FlareletCore
import FlareletJSON
import Foundation
import Synchronization

/// A KV namespace stored in an LMDB environment directory (platform.md 3, 7.4, 7.5).
///
/// One directory is one namespace. Keys are kept in UTF-8 byte order, so `list` reads them straight off an LMDB
/// cursor. `get` and `list` are short read transactions on the caller's thread that never wait for a writer; `put`
/// and `delete` are coalesced with the writes waiting at the same time into one write transaction and one sync
/// (see ``LMDBEnvironment``). The environment is opened without lock-disabling flags, so another process (the dev
/// server and the CLI) may use the same directory at the same time. Within one process, namespaces opened on the
/// same directory share one environment.
///
/// Expired entries are invisible to `get` and `list`; `get` deletes the entry it finds expired, and
/// ``purgeExpired()`` deletes them all.
public final class LMDBKVNamespace: KVNamespace {
    /// The namespace directory.
    public let directory: String
    private let clock: any WorkerClock
    private let environment: Mutex<LMDBEnvironment?>

    /// Opens (creating when needed) the namespace stored in `directory`.
    /// - Parameters:
    ///   - directory: the LMDB environment directory; created with its parents if missing.
    ///   - clock: the source of "now" for expiration.
    ///   - mapSize: the largest size the store may grow to, in bytes (rounded up to 64 KiB). A larger size already
    ///     used by the file, or by another namespace of this process on the same directory, wins.
    public init(directory: String, clock: any WorkerClock = SystemClock(), mapSize: Int = 1 << 30) throws(LMDBError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LMDBError(path: directory, operation: "create directory", code: 0, message: error.localizedDescription)
        }
        self.directory = directory
        self.clock = clock
        self.environment = Mutex(try LMDBEnvironment.acquire(directory: directory, mapSize: mapSize))
    }

    deinit {
        self.close()
    }

    /// Closes the namespace; later operations fail with `KV <METHOD> failed: 500 The KV namespace is closed.`
    /// The environment closes once no namespace of this process uses it and queued operations have finished.
    public func close() {
        let environment = self.environment.withLock { environment -> LMDBEnvironment? in
            defer { environment = nil }
            return environment
        }
        environment?.release()
    }

    // MARK: KVNamespace

    public func getWithMetadata(_ key: String, cacheTtl: Int?) async throws(KVError) -> KVEntry? {
        try KVValidation.checkKey(key, method: "GET")
        try KVValidation.checkCacheTtl(cacheTtl)
        let now = self.nowSeconds()
        let storedKey = StoredKey(Array(key.utf8))
        let environment = try self.open(method: "GET")
        let found = try environment.read(method: "GET") { (txn) throws(KVError) -> StoredRecord? in
            try Self.find(storedKey, in: txn)
        }
        var record = found
        if let found, found.isExpired(now: now) {
            record = nil
            // Lazy expiry: best effort, a failure here must not fail the read.
            _ = try? await environment.write(method: "GET") { (txn) throws(KVError) -> Bool in
                try Self.update(storedKey, with: nil, in: txn, onlyIfExpiredAt: now)
            }
        }
        guard let record else { return nil }
        return KVEntry(
            value: record.value,
            metadata: try Self.parseMetadata(record.metadata, key: key, method: "GET"),
            expiration: record.expiration
        )
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
        let storedKey = StoredKey(Array(key.utf8))
        let record = StoredRecord(
            suffix: storedKey.suffix,
            expiration: expiration,
            metadata: metadataText.map { Array($0.utf8) },
            value: value
        )
        _ = try await self.open(method: "PUT").write(method: "PUT") { (txn) throws(KVError) -> Bool in
            try Self.update(storedKey, with: record, in: txn)
        }
    }

    public func delete(_ key: String) async throws(KVError) {
        try KVValidation.checkKey(key, method: "DELETE")
        let storedKey = StoredKey(Array(key.utf8))
        _ = try await self.open(method: "DELETE").write(method: "DELETE") { (txn) throws(KVError) -> Bool in
            try Self.update(storedKey, with: nil, in: txn)
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
        let page = try self.open(method: "GET").read(method: "GET") { (txn) throws(KVError) -> ListPage in
            try Self.listPage(in: txn, prefix: prefix, after: startAfter, limit: limit, now: now)
        }
        var keys: [KVKey] = []
        keys.reserveCapacity(page.keys.count)
        for listed in page.keys {
            let name = String(decoding: listed.name, as: UTF8.self)
            keys.append(
                KVKey(
                    name: name,
                    expiration: listed.expiration,
                    metadata: try Self.parseMetadata(listed.metadata, key: name, method: "GET")
                )
            )
        }
        guard page.more, let last = keys.last else { return KVListResult(keys: keys, listComplete: true) }
        return KVListResult(keys: keys, listComplete: false, cursor: KVValidation.encodeCursor(last.name))
    }

    /// Write transactions committed on this namespace's environment and the writes they held (shared with other
    /// namespaces of this process on the same directory).
    public var writeStatistics: (transactions: Int, writes: Int) {
        guard let environment = self.environment.withLock({ $0 }) else { return (0, 0) }
        let statistics = environment.statistics
        return (statistics.groups, statistics.writes)
    }

    /// The environment (tests pause its writer to make grouping deterministic).
    var lmdbEnvironment: LMDBEnvironment? { self.environment.withLock { $0 } }

    // MARK: Maintenance

    /// Deletes every expired entry and returns how many there were. LMDB reuses the freed pages for later writes.
    ///
    /// Expired entries are found in one read transaction and deleted in short write transactions of at most 500
    /// entries each, so a large purge does not hold the write lock for long.
    public func purgeExpired() async throws(KVError) -> Int {
        let now = self.nowSeconds()
        let environment = try self.open(method: "DELETE")
        var expired: [StoredKey] = []
        try environment.read(method: "DELETE") { (txn) throws(KVError) in
            try txn.scan(from: nil) { (key, data) throws(KVError) -> Bool in
                guard let views = Bucket.parse(data) else { throw Self.corrupt(Array(key), txn: txn) }
                for view in views where view.isExpired(now: now) {
                    expired.append(StoredKey(lmdbKey: Array(key), suffix: Array(data[view.suffix])))
                }
                return true
            }
        }
        var purged = 0
        var start = 0
        while start < expired.count {
            let batch = Array(expired[start..<min(start + 500, expired.count)])
            purged += try await environment.write(method: "DELETE") { (txn) throws(KVError) -> Int in
                var count = 0
                for key in batch where try Self.update(key, with: nil, in: txn, onlyIfExpiredAt: now) {
                    count += 1
                }
                return count
            }
            start += batch.count
        }
        return purged
    }

    // MARK: Helpers

    private func nowSeconds() -> Int64 {
        Int64(self.clock.now().timeIntervalSince1970.rounded(.down))
    }

    private func open(method: String) throws(KVError) -> LMDBEnvironment {
        guard let environment = self.environment.withLock({ $0 }) else {
            throw KVError(.backend(method: method, status: 500), "The KV namespace is closed.")
        }
        return environment
    }

    private static func parseMetadata(_ bytes: [UInt8]?, key: String, method: String) throws(KVError) -> JSONValue? {
        guard let bytes else { return nil }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw KVError(.backend(method: method, status: 500), "Stored metadata of key \"\(key)\" is not valid JSON: \(error.message)")
        }
    }

    private static func corrupt(_ lmdbKey: [UInt8], txn: Transaction) -> KVError {
        KVError(
            .backend(method: txn.method, status: 500),
            "Corrupt entry \"\(String(decoding: lmdbKey, as: UTF8.self))\" in the KV store at \(txn.environment.path)."
        )
    }

    /// The record stored for `key`, expired or not.
    private static func find(_ key: StoredKey, in txn: Transaction) throws(KVError) -> StoredRecord? {
        try txn.get(key.lmdbKey) { (buffer) throws(KVError) -> StoredRecord? in
            guard let buffer else { return nil }
            guard let views = Bucket.parse(buffer) else { throw self.corrupt(key.lmdbKey, txn: txn) }
            return views.first { buffer[$0.suffix].elementsEqual(key.suffix) }?.owned(in: buffer)
        }
    }

    /// Stores `record` for `key`, or removes the key's record when `record` is `nil`.
    /// - Parameter onlyIfExpiredAt: when given, acts only if the current record has expired by then.
    /// - Returns: whether a record for `key` existed (and was replaced or removed).
    private static func update(
        _ key: StoredKey,
        with record: StoredRecord?,
        in txn: Transaction,
        onlyIfExpiredAt now: Int64? = nil
    ) throws(KVError) -> Bool {
        var others: [StoredRecord] = []
        var existing: (expired: Bool, found: Bool) = (false, false)
        try txn.get(key.lmdbKey) { (buffer) throws(KVError) in
            guard let buffer else { return }
            guard let views = Bucket.parse(buffer) else { throw self.corrupt(key.lmdbKey, txn: txn) }
            for view in views {
                if buffer[view.suffix].elementsEqual(key.suffix) {
                    existing = (now.map { view.isExpired(now: $0) } ?? false, true)
                } else {
                    others.append(view.owned(in: buffer))
                }
            }
        }
        if now != nil, !existing.expired { return false }
        if record == nil, !existing.found { return false }
        var records = others
        if let record {
            records.append(record)
            records.sort { $0.suffix.lexicographicallyPrecedes($1.suffix) }
        }
        if records.isEmpty {
            try txn.delete(key.lmdbKey)
        } else {
            try txn.put(key.lmdbKey, Bucket.encode(records))
        }
        return existing.found
    }

    private struct ListedKey: Sendable {
        var name: [UInt8]
        var expiration: Int64?
        var metadata: [UInt8]?
    }

    private struct ListPage: Sendable {
        var keys: [ListedKey]
        /// Whether at least one more live key with the prefix follows the page.
        var more: Bool
    }

    /// Up to `limit` live keys starting with `prefix` and strictly after `after`, in byte order.
    private static func listPage(
        in txn: Transaction,
        prefix: [UInt8],
        after: [UInt8]?,
        limit: Int,
        now: Int64
    ) throws(KVError) -> ListPage {
        var page = ListPage(keys: [], more: false)
        // Start at the prefix, or at the cursor key when that comes later.
        let seek = if let after, !after.lexicographicallyPrecedes(prefix) { after } else { prefix }
        try txn.scan(from: StoredKey(seek).lmdbKey) { (key, data) throws(KVError) -> Bool in
            guard let views = Bucket.parse(data) else { throw self.corrupt(Array(key), txn: txn) }
            for view in views {
                let name = Array(key) + Array(data[view.suffix])
                if !name.starts(with: prefix) {
                    // Keys with the prefix are contiguous; past them, the listing is done.
                    if name.lexicographicallyPrecedes(prefix) { continue }
                    return false
                }
                if let after, !after.lexicographicallyPrecedes(name) { continue }
                if view.isExpired(now: now) { continue }
                if page.keys.count == limit {
                    page.more = true
                    return false
                }
                page.keys.append(
                    ListedKey(name: name, expiration: view.expiration, metadata: view.metadata.map { Array(data[$0]) })
                )
            }
            return true
        }
        return page
    }
}
