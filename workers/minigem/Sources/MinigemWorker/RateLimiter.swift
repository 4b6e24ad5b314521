/// `@fastify/rate-limit`'s in-memory store: one fixed window per key, starting at the key's first request, at
/// most ``capacity`` keys (the least recently used is evicted, which resets it). An actor, so concurrent
/// requests are counted exactly.
actor RateLimiter {
    struct Entry {
        var count: Double
        var start: Int64
        var lastUse: UInt64
    }

    /// The store's key limit.
    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var tick: UInt64 = 0

    init(capacity: Int = 5000) {
        self.capacity = capacity
    }

    /// Counts one request for `key` at `now` (Unix ms); returns the counter and the milliseconds left in its window.
    func hit(_ key: String, now: Int64, window: Double) -> (count: Double, timeLeft: Double) {
        self.tick += 1
        var entry: Entry
        if let existing = self.entries[key], Double(existing.start) + window > Double(now) {
            entry = existing
            entry.count += 1
        } else {
            entry = Entry(count: 1, start: now, lastUse: 0)
        }
        entry.lastUse = self.tick
        self.entries[key] = entry
        if self.entries.count > self.capacity, let oldest = self.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            self.entries[oldest.key] = nil
        }
        return (entry.count, window - Double(now - entry.start))
    }

    /// Number of keys held.
    var keyCount: Int { self.entries.count }
}
