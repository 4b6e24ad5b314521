import CSQLite
import Dispatch
import FlareletCore
import Synchronization

/// The write side of a D1 database: one connection, one serial queue, and group commit.
///
/// Calls that arrive while a commit is in flight wait in ``pending``; the queue then takes all of them (at most
/// ``maximumGroup``) and runs them in one transaction, each inside its own `SAVEPOINT`:
///
/// - a call that fails is rolled back to its savepoint and gets exactly the error it would get alone; the other calls
///   of the group are not affected (a batch or a multi-statement query stays all-or-nothing);
/// - a call that leaves a deferred foreign key unresolved fails as its own `COMMIT` would have;
/// - when a failure ends the whole transaction (`INSERT OR ROLLBACK`, an I/O error), the calls that had already
///   succeeded in it run again in a new transaction, before the rest of the group;
/// - one `COMMIT` (with `synchronous=FULL`) makes the group durable, and only then is any caller resumed, so an
///   acknowledged write survives `kill -9`. If the `COMMIT` fails, every call of the group that had succeeded gets
///   that error and nothing of the group is acknowledged.
///
/// So a write costs one fsync per group instead of one per call.
final class D1GroupWriter: Sendable {
    typealias Completion = @Sendable (Result<D1OperationResult, D1Error>) -> Void

    private struct Job {
        var operation: D1Operation
        var completion: Completion
    }

    private struct State {
        var pending: [Job] = []
        /// Whether a drain is scheduled or running on the queue.
        var draining = false
        var closed = false
    }

    /// Most calls committed together: bounds the latency a group adds to its first caller.
    static let maximumGroup = 256

    private let connection: SQLiteConnection
    private let queue = DispatchQueue(label: "flarelet.d1.writer")
    private let state = Mutex(State())
    /// `last_insert_rowid()` of the write connection after the last group: D1 reports it connection-wide, so reads
    /// on other connections report this value.
    private let lastRowIdValue = Atomic<Int64>(0)
    /// Whether user SQL created a temporary object, which exists on the write connection only.
    private let temporaryObjectsValue = Atomic<Bool>(false)
    private let groupsCommitted = Atomic<Int>(0)
    private let callsCommitted = Atomic<Int>(0)

    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    var lastRowId: Int64 { self.lastRowIdValue.load(ordering: .relaxed) }
    /// Groups and calls run so far.
    var statistics: D1WriteStatistics {
        D1WriteStatistics(groups: self.groupsCommitted.load(ordering: .relaxed), calls: self.callsCommitted.load(ordering: .relaxed))
    }
    /// Calls waiting for the next group.
    var pendingCount: Int { self.state.withLock { $0.pending.count } }
    var hasTemporaryObjects: Bool { self.temporaryObjectsValue.load(ordering: .relaxed) }

    /// Runs `operation` in the next group and returns once that group is committed (or failed).
    func submit(_ operation: D1Operation) async -> Result<D1OperationResult, D1Error> {
        await withUnsafeContinuation { continuation in
            self.enqueue(operation) { continuation.resume(returning: $0) }
        }
    }

    /// Queues `operation`; `completion` is called on the writer's queue once its group is committed.
    func enqueue(_ operation: D1Operation, completion: @escaping Completion) {
        let action = self.state.withLock { state -> Bool? in
            if state.closed { return nil }
            state.pending.append(Job(operation: operation, completion: completion))
            if state.draining { return false }
            state.draining = true
            return true
        }
        switch action {
        case nil: completion(.failure(SQLiteConnection.closedError))
        case true?: self.queue.async { self.drain() }
        case false?: break
        }
    }

    /// Runs `body` on the writer's queue once the calls queued before it are done (maintenance, closing).
    func withConnection<T>(_ body: (SQLiteConnection) -> T) -> T {
        self.queue.sync { body(self.connection) }
    }

    /// Holds the writer's queue until the returned function is called, so that the calls submitted meanwhile form
    /// one group (tests use it to make grouping deterministic).
    func pause() -> @Sendable () -> Void {
        let gate = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        self.queue.async {
            entered.signal()
            gate.wait()
        }
        entered.wait()
        return { gate.signal() }
    }

    /// Refuses new calls, lets the queued ones finish, then closes the connection.
    func close() {
        self.state.withLock { $0.closed = true }
        self.queue.sync {
            // Calls queued before close are still committed.
            while let group = self.takeGroup() { self.commit(group) }
            self.connection.close()
        }
    }

    // MARK: - Queue side

    private func drain() {
        while let group = self.takeGroup() { self.commit(group) }
    }

    private func takeGroup() -> [Job]? {
        self.state.withLock { state -> [Job]? in
            guard !state.pending.isEmpty else {
                state.draining = false
                return nil
            }
            if state.pending.count <= Self.maximumGroup {
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
            let group = Array(state.pending.prefix(Self.maximumGroup))
            state.pending.removeFirst(Self.maximumGroup)
            return group
        }
    }

    private func commit(_ group: [Job]) {
        let connection = self.connection
        var outcomes = [Result<D1OperationResult, D1Error>](repeating: .failure(SQLiteConnection.closedError), count: group.count)
        /// Calls that succeeded in the open transaction.
        var succeeded: [Int] = []
        /// Calls to run (again) before the next new one: they lost their work when a failure ended the transaction.
        var redo: [Int] = []
        var next = 0
        var snapshot: SQLiteConnection.Snapshot?
        while next < group.count || !redo.isEmpty {
            if connection.isAutocommit {
                do throws(D1Error) {
                    try connection.executePrepared("BEGIN IMMEDIATE")
                } catch {
                    // Nothing can be written now (another process holds the write lock past the busy timeout,
                    // the disk failed): every call not yet answered gets this error.
                    for index in redo + Array(next..<group.count) { outcomes[index] = .failure(error) }
                    redo = []
                    next = group.count
                    break
                }
                snapshot = nil
            }
            let index: Int
            if redo.isEmpty {
                index = next
                next += 1
            } else {
                index = redo.removeFirst()
            }
            let outcome = self.runInSavepoint(group[index].operation, snapshot: &snapshot)
            outcomes[index] = outcome
            if connection.isAutocommit {
                // The failure rolled back the whole transaction.
                redo = succeeded + redo
                succeeded = []
            } else if case .success = outcome {
                succeeded.append(index)
            }
        }
        if !connection.isAutocommit {
            do throws(D1Error) {
                try connection.executePrepared("COMMIT")
            } catch {
                if !connection.isAutocommit { try? connection.execute("ROLLBACK") }
                for index in succeeded { outcomes[index] = .failure(error) }
            }
        }
        self.lastRowIdValue.store(connection.lastInsertRowId, ordering: .relaxed)
        self.groupsCommitted.add(1, ordering: .relaxed)
        self.callsCommitted.add(group.count, ordering: .relaxed)
        if connection.authorizer.createdTemporaryObject { self.temporaryObjectsValue.store(true, ordering: .relaxed) }
        for (job, outcome) in zip(group, outcomes) { job.completion(outcome) }
    }

    private func runInSavepoint(
        _ operation: D1Operation,
        snapshot: inout SQLiteConnection.Snapshot?
    ) -> Result<D1OperationResult, D1Error> {
        let connection = self.connection
        defer { connection.restoreSettingsIfChanged() }
        do throws(D1Error) {
            try connection.executePrepared("SAVEPOINT d1_call")
        } catch {
            return .failure(error)
        }
        do throws(D1Error) {
            let (result, after) = try connection.perform(operation, before: snapshot)
            try connection.executePrepared("RELEASE d1_call")
            snapshot = after
            return .success(result)
        } catch {
            if !connection.isAutocommit {
                try? connection.executePrepared("ROLLBACK TO d1_call")
                try? connection.executePrepared("RELEASE d1_call")
            }
            snapshot = nil
            return .failure(error)
        }
    }
}

/// How much the group writer of a database has done: ``groups`` transactions holding ``calls`` calls.
public struct D1WriteStatistics: Sendable, Hashable {
    public var groups: Int
    public var calls: Int

    public init(groups: Int, calls: Int) {
        self.groups = groups
        self.calls = calls
    }
}
