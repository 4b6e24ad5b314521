import CSQLite

/// Prepared user statements of one connection, kept between calls and keyed by their SQL text.
///
/// Only texts holding exactly one statement are kept; a text found to hold several is remembered as such, so it is
/// not prepared twice per call. At most ``capacity`` texts are kept; the least recently used one is finalized
/// first. Confined to its connection's thread, like the connection.
final class StatementCache {
    enum Entry {
        /// The text is one statement, prepared and reset, ready to bind.
        case single(OpaquePointer)
        /// The text holds several statements; it runs through the general path.
        case multiple
    }

    let capacity: Int
    private var entries: [String: (entry: Entry, lastUse: UInt64)] = [:]
    private var uses: UInt64 = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    deinit {
        self.removeAll()
    }

    func lookup(_ sql: String) -> Entry? {
        guard var found = self.entries[sql] else { return nil }
        self.uses &+= 1
        found.lastUse = self.uses
        self.entries[sql] = found
        return found.entry
    }

    func insert(_ sql: String, _ entry: Entry) {
        if self.entries.count >= self.capacity, self.entries[sql] == nil,
            let oldest = self.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            self.remove(oldest.key)
        }
        self.uses &+= 1
        self.entries[sql] = (entry, self.uses)
    }

    /// Forgets `sql`, finalizing its statement.
    func remove(_ sql: String) {
        if case .single(let handle)? = self.entries.removeValue(forKey: sql)?.entry { sqlite3_finalize(handle) }
    }

    /// Finalizes every kept statement (before the connection closes, or when the schema changed).
    func removeAll() {
        for value in self.entries.values {
            if case .single(let handle) = value.entry { sqlite3_finalize(handle) }
        }
        self.entries.removeAll()
    }
}
