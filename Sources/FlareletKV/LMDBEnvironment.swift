import CLMDB
import Dispatch
import FlareletCore
import Foundation
import Synchronization

/// Opening a KV store directory failed.
public struct LMDBError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The directory of the store.
    public var path: String
    /// What failed, e.g. `mdb_env_open`.
    public var operation: String
    /// The LMDB or `errno` code, 0 when there is none.
    public var code: Int32
    public var message: String

    public init(path: String, operation: String, code: Int32, message: String) {
        self.path = path
        self.operation = operation
        self.code = code
        self.message = message
    }

    public var description: String {
        "Cannot open KV store at \(self.path): \(self.operation) failed: \(self.message)" + (self.code == 0 ? "" : " (\(self.code))")
    }
}

/// The text of an LMDB (or `errno`) return code.
func lmdbMessage(_ code: Int32) -> String {
    guard let text = mdb_strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// Owner of one `MDB_env` handle and its `entries` database.
///
/// One environment exists per directory per process (see ``acquire(directory:mapSize:)``): LMDB forbids opening the
/// same environment twice in one process, because closing either handle would drop the other's `fcntl` locks.
///
/// Reads run on the caller's thread in their own read-only transaction (`MDB_NOTLS` lets any thread hold one, and
/// LMDB readers never wait for a writer). Writes are coalesced: a write that arrives while a commit is in flight
/// waits, and the environment's serial queue then applies every waiting write in one write transaction, each in a
/// nested transaction of its own (a failing write is undone alone and gets its own error), and commits them with
/// one sync (`MDB_NOMETASYNC`). A write returns only once the commit that holds it is on disk (data pages synced,
/// meta page written). No `await` ever runs inside a transaction.
final class LMDBEnvironment: @unchecked Sendable {
    let path: String
    let mapSize: Int
    /// Written only under the exclusive ``handleLock``; read under its shared side.
    private var env: OpaquePointer?
    private var dbi: MDB_dbi = 0
    /// Readers hold it shared for the length of a transaction, closing holds it exclusively.
    private let handleLock = ReadWriteLock()
    private let queue: DispatchQueue
    private let queueKey = DispatchSpecificKey<Void>()
    /// Namespaces using this environment; guarded by ``registry``.
    private var references = 0
    private let writes = Mutex(PendingWrites())
    /// Write transactions committed and writes they held.
    private let groupsCommitted = Atomic<Int>(0)
    private let writesCommitted = Atomic<Int>(0)

    private static let registry = Mutex<[String: LMDBEnvironment]>([:])

    // MARK: Opening and closing

    /// Returns the process's environment for `directory`, opening it when needed. Balance with ``release()``.
    static func acquire(directory: String, mapSize: Int) throws(LMDBError) -> LMDBEnvironment {
        let identity = try self.identity(of: directory)
        return try self.registry.withLock { (environments) throws(LMDBError) -> LMDBEnvironment in
            if let existing = environments[identity] {
                existing.references += 1
                return existing
            }
            let environment = try LMDBEnvironment(path: directory, mapSize: mapSize)
            environment.references = 1
            environments[identity] = environment
            return environment
        }
    }

    /// Drops one reference; the last one closes the handle after every queued job has run.
    func release() {
        let last = Self.registry.withLock { environments -> Bool in
            self.references -= 1
            guard self.references == 0 else { return false }
            if let index = environments.firstIndex(where: { $0.value === self }) { environments.remove(at: index) }
            return true
        }
        guard last else { return }
        if DispatchQueue.getSpecific(key: self.queueKey) != nil {
            self.closeOnQueue()
        } else {
            self.queue.sync { self.closeOnQueue() }
        }
    }

    /// Device and inode of the directory, so two spellings of one path share an environment, and a directory that
    /// was deleted and recreated gets a fresh one.
    private static func identity(of directory: String) throws(LMDBError) -> String {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory)
            guard let type = attributes[.type] as? FileAttributeType, type == .typeDirectory else {
                throw LMDBError(path: directory, operation: "stat", code: 0, message: "not a directory")
            }
            let device = (attributes[.systemNumber] as? NSNumber)?.uint64Value ?? 0
            let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
            return "\(device):\(inode)"
        } catch let error as LMDBError {
            throw error
        } catch {
            throw LMDBError(path: directory, operation: "stat", code: 0, message: "\(error.localizedDescription)")
        }
    }

    private init(path: String, mapSize: Int) throws(LMDBError) {
        self.path = path
        // A multiple of 64 KiB is a multiple of every page size in use.
        let granule = 1 << 16
        self.mapSize = max(granule, (mapSize + granule - 1) / granule * granule)
        self.queue = DispatchQueue(label: "flarelet.kv.lmdb")
        self.queue.setSpecific(key: self.queueKey, value: ())

        var env: OpaquePointer?
        func fail(_ operation: String, _ code: Int32) -> LMDBError {
            if let env { mdb_env_close(env) }
            return LMDBError(path: path, operation: operation, code: code, message: lmdbMessage(code))
        }
        var rc = mdb_env_create(&env)
        guard rc == 0, let handle = env else { throw fail("mdb_env_create", rc) }
        rc = mdb_env_set_maxdbs(handle, 2)
        guard rc == 0 else { throw fail("mdb_env_set_maxdbs", rc) }
        rc = mdb_env_set_mapsize(handle, self.mapSize)
        guard rc == 0 else { throw fail("mdb_env_set_mapsize", rc) }
        // MDB_NOTLS: read transactions are not tied to threads (jobs hop between threads). Never MDB_NOLOCK: the dev
        // server and the CLI share the environment through its lock file.
        // MDB_NOMETASYNC: one sync per commit instead of two. The data pages are synced before the commit returns
        // and the meta page is written (to the page cache) too, so a killed process loses nothing; only an
        // operating-system crash could roll back the newest transaction (whose meta page the next commit syncs),
        // and the store stays consistent either way.
        rc = mdb_env_open(handle, path, UInt32(MDB_NOTLS | MDB_NOMETASYNC), 0o644)
        guard rc == 0 else { throw fail("mdb_env_open", rc) }
        guard mdb_env_get_maxkeysize(handle) >= StoredKey.maxLMDBKeyBytes else {
            mdb_env_close(handle)
            throw LMDBError(
                path: path,
                operation: "mdb_env_get_maxkeysize",
                code: 0,
                message: "liblmdb supports keys of at most \(mdb_env_get_maxkeysize(handle)) bytes, 511 are needed"
            )
        }
        // Free reader slots left behind by processes that died mid-read (a killed CLI, say).
        var dead: Int32 = 0
        _ = mdb_reader_check(handle, &dead)

        var txn: OpaquePointer?
        rc = Self.beginTransaction(handle, parent: nil, flags: 0, &txn)
        guard rc == 0, let txn else { throw fail("mdb_txn_begin", rc) }
        var dbi: MDB_dbi = 0
        rc = mdb_dbi_open(txn, "entries", UInt32(MDB_CREATE), &dbi)
        guard rc == 0 else {
            mdb_txn_abort(txn)
            throw fail("mdb_dbi_open", rc)
        }
        rc = mdb_txn_commit(txn)
        guard rc == 0 else { throw fail("mdb_txn_commit", rc) }
        self.env = handle
        self.dbi = dbi
    }

    deinit {
        if let env = self.env { mdb_env_close(env) }
    }

    private func closeOnQueue() {
        // Writes queued before the last namespace closed still commit.
        self.drainWrites()
        self.handleLock.withWriteLock {
            if let env = self.env { mdb_env_close(env) }
            self.env = nil
        }
    }

    /// `mdb_txn_begin`, adopting a larger map another process has grown the file to.
    private static func beginTransaction(_ env: OpaquePointer, parent: OpaquePointer?, flags: UInt32, _ txn: inout OpaquePointer?) -> Int32 {
        var rc = mdb_txn_begin(env, parent, flags, &txn)
        if rc == MDB_MAP_RESIZED {
            rc = mdb_env_set_mapsize(env, 0)
            if rc == 0 { rc = mdb_txn_begin(env, parent, flags, &txn) }
        }
        return rc
    }

    // MARK: Reads (any thread)

    /// Runs `body` in a read-only transaction on the calling thread.
    func read<T>(method: String, _ body: (Transaction) throws(KVError) -> T) throws(KVError) -> T {
        try self.handleLock.withReadLock { () throws(KVError) -> T in
            guard let env = self.env else { throw Self.closedError(method: method) }
            var txn: OpaquePointer?
            let rc = Self.beginTransaction(env, parent: nil, flags: UInt32(MDB_RDONLY), &txn)
            guard rc == 0, let txn else { throw self.error(method: method, operation: "mdb_txn_begin", code: rc) }
            defer { mdb_txn_abort(txn) }
            return try body(Transaction(txn: txn, dbi: self.dbi, method: method, environment: self))
        }
    }

    // MARK: Writes (coalesced on the queue)

    /// Applies `body` in the next write transaction and returns once that transaction is committed.
    /// - Parameters:
    ///   - method: the KV method for error messages (`GET`, `PUT`, `DELETE`).
    ///   - body: blocking work on the transaction; a thrown error undoes only this write.
    func write<T: Sendable>(
        method: String,
        _ body: @escaping @Sendable (Transaction) throws(KVError) -> T
    ) async throws(KVError) -> T {
        let result: Result<T, KVError> = await withUnsafeContinuation { continuation in
            self.enqueueWrite(method: method, body) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Queues a write; `completion` runs on the queue once the transaction holding it has committed (or failed).
    func enqueueWrite<T: Sendable>(
        method: String,
        _ body: @escaping @Sendable (Transaction) throws(KVError) -> T,
        completion: @escaping @Sendable (Result<T, KVError>) -> Void
    ) {
        let outcome = WriteOutcome<T>()
        let job = WriteJob(
            method: method,
            apply: { txn in
                do throws(KVError) {
                    outcome.value = .success(try body(txn))
                    return nil
                } catch {
                    outcome.value = .failure(error)
                    return error
                }
            },
            complete: { error in
                // The body's own failure is in `outcome`; any other error (the commit's) replaces a success.
                switch (outcome.value, error) {
                case (.failure(let own)?, _): completion(.failure(own))
                case (_, let error?): completion(.failure(error))
                case (let value?, nil): completion(value)
                case (nil, nil): completion(.failure(Self.closedError(method: method)))
                }
            }
        )
        let schedule = self.writes.withLock { pending -> Bool in
            pending.jobs.append(job)
            if pending.draining { return false }
            pending.draining = true
            return true
        }
        if schedule { self.queue.async { self.drainWrites() } }
    }

    /// Most writes committed together.
    static let maximumGroup = 256

    /// Write transactions and writes so far; `writes / groups` is the average group size.
    var statistics: (groups: Int, writes: Int) {
        (self.groupsCommitted.load(ordering: .relaxed), self.writesCommitted.load(ordering: .relaxed))
    }

    /// Writes waiting for the next transaction.
    var pendingWriteCount: Int { self.writes.withLock { $0.jobs.count } }

    /// Holds the queue until the returned function is called, so that the writes queued meanwhile share one
    /// transaction (tests use it to make grouping deterministic).
    func pauseWrites() -> @Sendable () -> Void {
        let gate = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        self.queue.async {
            entered.signal()
            gate.wait()
        }
        entered.wait()
        return { gate.signal() }
    }

    private func drainWrites() {
        while let group = self.takeWriteGroup() { self.commit(group) }
    }

    private func takeWriteGroup() -> [WriteJob]? {
        self.writes.withLock { pending -> [WriteJob]? in
            guard !pending.jobs.isEmpty else {
                pending.draining = false
                return nil
            }
            let count = min(pending.jobs.count, Self.maximumGroup)
            let group = Array(pending.jobs.prefix(count))
            pending.jobs.removeFirst(count)
            return group
        }
    }

    /// One write transaction for `group`: each job in a nested transaction, then one commit.
    private func commit(_ group: [WriteJob]) {
        dispatchPrecondition(condition: .onQueue(self.queue))
        let method = group[0].method
        var failure: KVError?
        /// Per job: `nil` when it succeeded, else the error it gets whatever the commit does.
        var ownErrors: [KVError?] = []
        self.handleLock.withReadLock {
            guard let env = self.env else {
                failure = Self.closedError(method: method)
                return
            }
            var parent: OpaquePointer?
            let rc = Self.beginTransaction(env, parent: nil, flags: 0, &parent)
            guard rc == 0, let parent else {
                failure = self.error(method: method, operation: "mdb_txn_begin", code: rc)
                return
            }
            for job in group {
                var child: OpaquePointer?
                let rc = mdb_txn_begin(env, parent, 0, &child)
                guard rc == 0, let child else {
                    ownErrors.append(self.error(method: job.method, operation: "mdb_txn_begin", code: rc))
                    continue
                }
                if let error = job.apply(Transaction(txn: child, dbi: self.dbi, method: job.method, environment: self)) {
                    mdb_txn_abort(child)
                    ownErrors.append(error)
                } else {
                    let commit = mdb_txn_commit(child)
                    ownErrors.append(commit == 0 ? nil : self.error(method: job.method, operation: "mdb_txn_commit", code: commit))
                }
            }
            let commit = mdb_txn_commit(parent)
            if commit != 0 { failure = self.error(method: method, operation: "mdb_txn_commit", code: commit) }
        }
        self.groupsCommitted.add(1, ordering: .relaxed)
        self.writesCommitted.add(group.count, ordering: .relaxed)
        for (index, job) in group.enumerated() {
            // A job that failed on its own keeps its own error; the others get the commit's.
            job.complete(index < ownErrors.count ? ownErrors[index] ?? failure : failure)
        }
    }

    static func closedError(method: String) -> KVError {
        KVError(.backend(method: method, status: 500), "The KV namespace is closed.")
    }

    /// A KV error for a failed LMDB call; a full map gets its own advice.
    func error(method: String, operation: String, code: Int32) -> KVError {
        if code == MDB_MAP_FULL {
            return KVError(
                .backend(method: method, status: 500),
                "The KV store at \(self.path) is full (LMDB map size \(self.mapSize) bytes). "
                    + "Delete keys, or reopen the namespace with a larger map size."
            )
        }
        return KVError(.backend(method: method, status: 500), "LMDB \(operation) failed: \(lmdbMessage(code)) (\(code)).")
    }
}

/// An open transaction on the `entries` database; valid only inside ``LMDBEnvironment/read(method:_:)`` or a
/// write body of ``LMDBEnvironment/write(method:_:)``. Buffers it hands out point into the map and die with the transaction.
struct Transaction {
    let txn: OpaquePointer
    let dbi: MDB_dbi
    let method: String
    let environment: LMDBEnvironment

    private func check(_ rc: Int32, _ operation: String) throws(KVError) {
        if rc != 0 { throw self.environment.error(method: self.method, operation: operation, code: rc) }
    }

    /// The data stored under `key`, or `nil`.
    func get<T>(_ key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws(KVError) -> T) throws(KVError) -> T {
        var data = MDB_val()
        let rc = key.withUnsafeBytes { bytes in
            var lmdbKey = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            return mdb_get(self.txn, self.dbi, &lmdbKey, &data)
        }
        if rc == MDB_NOTFOUND { return try body(nil) }
        try self.check(rc, "mdb_get")
        return try body(UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
    }

    /// Stores `data` under `key`.
    func put(_ key: [UInt8], _ data: [UInt8]) throws(KVError) {
        let rc = key.withUnsafeBytes { keyBytes in
            data.withUnsafeBytes { dataBytes in
                var lmdbKey = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                var lmdbData = MDB_val(mv_size: dataBytes.count, mv_data: UnsafeMutableRawPointer(mutating: dataBytes.baseAddress))
                return mdb_put(self.txn, self.dbi, &lmdbKey, &lmdbData, 0)
            }
        }
        try self.check(rc, "mdb_put")
    }

    /// Removes `key`; a missing key is not an error.
    func delete(_ key: [UInt8]) throws(KVError) {
        let rc = key.withUnsafeBytes { bytes in
            var lmdbKey = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            return mdb_del(self.txn, self.dbi, &lmdbKey, nil)
        }
        if rc == MDB_NOTFOUND { return }
        try self.check(rc, "mdb_del")
    }

    /// Visits entries in key order from the first key at or after `start` (the first key when `nil` or empty) until
    /// `visit` returns `false` or the keys run out.
    func scan(
        from start: [UInt8]?,
        _ visit: (_ key: UnsafeRawBufferPointer, _ data: UnsafeRawBufferPointer) throws(KVError) -> Bool
    ) throws(KVError) {
        var cursor: OpaquePointer?
        try self.check(mdb_cursor_open(self.txn, self.dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var data = MDB_val()
        let seek = start ?? []
        var rc: Int32 = seek.withUnsafeBytes { bytes in
            if bytes.isEmpty { return mdb_cursor_get(cursor, &key, &data, MDB_FIRST) }
            key = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            return mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE)
        }
        while rc == 0 {
            let keyBytes = UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size)
            let dataBytes = UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
            guard try visit(keyBytes, dataBytes) else { return }
            rc = mdb_cursor_get(cursor, &key, &data, MDB_NEXT)
        }
        if rc != MDB_NOTFOUND { try self.check(rc, "mdb_cursor_get") }
    }
}

/// Writes waiting for the next commit.
private struct PendingWrites {
    var jobs: [WriteJob] = []
    /// Whether a drain is scheduled or running on the queue.
    var draining = false
}

/// One queued write: `apply` runs it on its nested transaction and returns its own error; `complete` delivers the
/// outcome, or the error that undid it (the commit's, or opening its nested transaction).
private struct WriteJob: Sendable {
    var method: String
    var apply: @Sendable (Transaction) -> KVError?
    var complete: @Sendable (KVError?) -> Void
}

/// The value a write body produced, kept until its transaction commits. Touched on the queue only.
private final class WriteOutcome<T: Sendable>: @unchecked Sendable {
    var value: Result<T, KVError>?
}

/// A `pthread_rwlock_t`.
final class ReadWriteLock: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() {
        pthread_rwlock_init(self.lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(self.lock)
        self.lock.deallocate()
    }

    func withReadLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_rdlock(self.lock)
        defer { pthread_rwlock_unlock(self.lock) }
        return try body()
    }

    func withWriteLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_wrlock(self.lock)
        defer { pthread_rwlock_unlock(self.lock) }
        return try body()
    }
}
