/// An in-process async mutex per string key: an actor holding, for every held key, the FIFO queue of tasks
/// waiting for it. A key with no holder has no entry, so the table only holds keys in use.
actor KeyedLock {
    /// The table shared by every ``VoiceModeWorker`` of the process.
    static let shared = KeyedLock()

    /// Held keys and their waiters, oldest first.
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Suspends until `key` is free, then holds it.
    func acquire(_ key: String) async {
        guard self.waiters[key] != nil else {
            self.waiters[key] = []
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.waiters[key, default: []].append(continuation)
        }
    }

    /// Releases `key`, handing it straight to the oldest waiter if there is one.
    func release(_ key: String) {
        guard var queue = self.waiters[key] else { return }
        if queue.isEmpty {
            self.waiters[key] = nil
        } else {
            let next = queue.removeFirst()
            self.waiters[key] = queue
            next.resume()
        }
    }

    /// Number of keys currently held (for tests).
    var heldKeyCount: Int { self.waiters.count }

    /// Runs `body` while holding every key of `keys`, acquired in the given order and released in reverse order,
    /// also when `body` throws. Callers must list keys in one fixed global order so waits cannot form a cycle.
    /// A key listed twice is taken once.
    nonisolated func withLocks<T>(_ keys: [String], _ body: () async throws -> T) async throws -> T {
        var seen = Set<String>()
        let keys = keys.filter { seen.insert($0).inserted }
        for key in keys { await self.acquire(key) }
        do {
            let result = try await body()
            for key in keys.reversed() { await self.release(key) }
            return result
        } catch {
            for key in keys.reversed() { await self.release(key) }
            throw error
        }
    }
}
