import CSQLite
import FlareletCore

/// `SQLITE_TRANSIENT`: SQLite copies bound text and blobs before the bind call returns.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One use of a `sqlite3_stmt`. An owned statement is finalized by ``finalize()`` or, on any other path, by
/// `deinit`; a statement borrowed from the connection's ``StatementCache`` is only reset (the cache owns it).
///
/// Not thread-safe: used only by the thread that holds its connection, and never outlives the connection's
/// `close()` (every statement is scoped to one call).
final class SQLiteStatement {
    private(set) var handle: OpaquePointer?
    private unowned let connection: SQLiteConnection
    /// Whether the handle belongs to the connection's statement cache.
    let isCached: Bool

    init(handle: OpaquePointer, connection: SQLiteConnection, isCached: Bool = false) {
        self.handle = handle
        self.connection = connection
        self.isCached = isCached
    }

    /// Gives up the handle without finalizing it (its new owner is the statement cache).
    func disown() {
        self.handle = nil
    }

    deinit {
        self.finalize()
    }

    /// Ends this use: finalizes an owned statement, resets a cached one. Later calls do nothing.
    func finalize() {
        guard let handle = self.handle else { return }
        if self.isCached {
            sqlite3_reset(handle)
        } else {
            sqlite3_finalize(handle)
        }
        self.handle = nil
    }

    /// How many parameters the statement has (the largest `?NNN` index, or the number of `?`).
    var parameterCount: Int {
        guard let handle = self.handle else { return 0 }
        return Int(sqlite3_bind_parameter_count(handle))
    }

    /// Whether the statement leaves the database unchanged by itself.
    var isReadOnly: Bool {
        guard let handle = self.handle else { return true }
        return sqlite3_stmt_readonly(handle) != 0
    }

    /// The result column names, in order (duplicates kept).
    var columnNames: [String] {
        guard let handle = self.handle else { return [] }
        let count = sqlite3_column_count(handle)
        return (0..<count).map { index in
            sqlite3_column_name(handle, index).map { String(cString: $0) } ?? ""
        }
    }

    /// Binds `values` to parameters 1…n.
    func bind(_ values: [D1Value]) throws(D1Error) {
        guard let handle = self.handle else { return }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null:
                rc = sqlite3_bind_null(handle, index)
            case .integer(let i):
                rc = sqlite3_bind_int64(handle, index, i)
            case .real(let d):
                rc = sqlite3_bind_double(handle, index, d)
            case .text(let s):
                // `withCString` exposes every UTF-8 byte (including embedded NULs) plus a terminator.
                rc = s.withCString { pointer in
                    sqlite3_bind_text64(
                        handle,
                        index,
                        pointer,
                        sqlite3_uint64(s.utf8.count),
                        transientDestructor,
                        UInt8(SQLITE_UTF8)
                    )
                }
            case .blob(let bytes):
                if bytes.isEmpty {
                    // A nil pointer would bind NULL; an empty BLOB is a zero-length blob.
                    rc = sqlite3_bind_zeroblob(handle, index, 0)
                } else {
                    rc = bytes.withUnsafeBytes { raw in
                        sqlite3_bind_blob64(handle, index, raw.baseAddress, sqlite3_uint64(raw.count), transientDestructor)
                    }
                }
            }
            guard rc == SQLITE_OK else { throw self.connection.error(code: rc) }
        }
    }

    /// `SQLITE_STMTSTATUS_FULLSCAN_STEP` since the last call (the counter is reset, so a cached statement reports
    /// each use on its own).
    func takeFullScanSteps() -> Int {
        guard let handle = self.handle else { return 0 }
        return Int(sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1))
    }

    /// Steps once: `true` when a row is available, `false` when done.
    func step() throws(D1Error) -> Bool {
        guard let handle = self.handle else { return false }
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw self.connection.error(code: rc)
        }
    }

    /// The current row's values by storage class.
    func row(columnCount: Int) -> [D1Value] {
        guard let handle = self.handle else { return [] }
        var values: [D1Value] = []
        values.reserveCapacity(columnCount)
        for column in 0..<Int32(columnCount) {
            values.append(Self.value(handle, column))
        }
        return values
    }

    private static func value(_ handle: OpaquePointer, _ column: Int32) -> D1Value {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            // Ask for the pointer first, then the length (SQLite's documented order).
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            guard let blob = sqlite3_column_blob(handle, column) else { return .blob([]) }
            let count = Int(sqlite3_column_bytes(handle, column))
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        default:
            return .null
        }
    }
}
