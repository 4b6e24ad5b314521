import FlareletCore
import Synchronization

/// Read connections of a file database: single read-only statements run here, on the caller's thread, in their
/// own WAL snapshot, so a `SELECT` never waits behind another request's commit.
///
/// Connections are opened on demand and kept (at most ``maximumIdle``); each is used by one caller at a time.
/// They are opened with `PRAGMA query_only`, so a statement routed here by mistake fails instead of writing
/// outside the group writer, and with a 512 KiB page cache (the write connection keeps SQLite's default 2 MB).
final class D1ReaderPool: Sendable {
    private struct State {
        var idle: [SQLiteConnection] = []
        var closed = false
    }

    /// Idle connections kept for reuse; more may be open while many callers read at once.
    static let maximumIdle = 8

    let path: String
    private let state = Mutex(State())

    init(path: String) {
        self.path = path
    }

    /// Runs `body` with a read connection taken from the pool (opened if none is idle) and puts it back.
    func withConnection<T>(_ body: (SQLiteConnection) throws(D1Error) -> T) throws(D1Error) -> T {
        let connection = try self.take()
        defer { self.giveBack(connection) }
        return try body(connection)
    }

    /// Closes the idle connections; connections in use are closed when they come back.
    func close() {
        let idle = self.state.withLock { state -> [SQLiteConnection] in
            state.closed = true
            defer { state.idle = [] }
            return state.idle
        }
        for connection in idle { connection.close() }
    }

    private func take() throws(D1Error) -> SQLiteConnection {
        let taken = self.state.withLock { state -> (connection: SQLiteConnection?, closed: Bool) in
            if state.closed { return (nil, true) }
            return (state.idle.popLast(), false)
        }
        if taken.closed { throw SQLiteConnection.closedError }
        if let connection = taken.connection { return connection }
        let connection = try SQLiteConnection(path: self.path)
        do {
            // A small page cache each: reads here are short lookups, and every connection's cache is resident.
            try connection.execute("PRAGMA query_only=1; PRAGMA cache_size=-512")
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    private func giveBack(_ connection: SQLiteConnection) {
        let keep = self.state.withLock { state -> Bool in
            guard !state.closed, state.idle.count < Self.maximumIdle, connection.isOpen else { return false }
            state.idle.append(connection)
            return true
        }
        if !keep { connection.close() }
    }
}
