import CSQLite
public import FlareletCore

/// Operator-side checks of a database file, outside D1's rules (no authorizer, no limits): what the reliability
/// suite uses to verify a database after `kill -9` or a full disk, while no process has the file open.
public enum SQLiteInspection {
    /// The rows of `PRAGMA integrity_check` (`["ok"]` for a sound file), with the WAL's committed frames taken
    /// into account as any connection would.
    /// - Parameter path: The database file.
    /// - Throws: ``D1Error`` when the file cannot be opened or the check cannot run.
    public static func integrityCheck(path: String) throws(D1Error) -> [String] {
        try self.rows(path: path, sql: "PRAGMA integrity_check").map { $0.first.flatMap { $0 } ?? "" }
    }

    /// Runs one trusted statement and returns every row, each column as text (`nil` for SQL NULL).
    /// - Parameters:
    ///   - path: The database file (it must exist).
    ///   - sql: One statement.
    /// - Throws: ``D1Error`` with SQLite's message when opening, preparing or stepping fails.
    public static func rows(path: String, sql: String) throws(D1Error) -> [[String?]] {
        var db: OpaquePointer?
        // An exclusive lock keeps the WAL index in memory (no -shm file to create on a full disk) and closing does
        // not checkpoint, so looking changes nothing on disk. The file must not be in use.
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        defer { sqlite3_close_v2(db) }
        guard rc == SQLITE_OK, let db else {
            throw D1Error(.error, "cannot open \(path): \(SQLiteResultCode.describe(rc))", sqliteCode: rc)
        }
        SQLiteConnection.setNoCheckpointOnClose(db)
        sqlite3_busy_timeout(db, 5000)
        sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE", nil, nil, nil)
        var statement: OpaquePointer?
        let prepared = sqlite3_prepare_v2(db, sql, -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        guard prepared == SQLITE_OK, let statement else {
            throw D1Error(.error, "\(String(cString: sqlite3_errmsg(db))): \(SQLiteResultCode.describe(prepared))", sqliteCode: prepared)
        }
        var rows: [[String?]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                throw D1Error(.error, "\(String(cString: sqlite3_errmsg(db))): \(SQLiteResultCode.describe(step))", sqliteCode: step)
            }
            var row: [String?] = []
            for column in 0..<sqlite3_column_count(statement) {
                row.append(sqlite3_column_text(statement, column).map { String(cString: $0) })
            }
            rows.append(row)
        }
        return rows
    }
}
