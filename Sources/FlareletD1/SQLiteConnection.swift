import CSQLite
import FlareletCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One SQLite connection configured the way workerd configures D1's: WAL (file databases), foreign keys on,
/// recursive triggers off, a 5 s busy timeout, extended result codes, the limits of local wrangler, defensive
/// mode and an authorizer.
///
/// The connection owns its `sqlite3` handle; ``close()`` releases it (and `deinit` does if nobody did).
/// It is not thread-safe: ``SQLiteD1Database`` uses it from one serial queue only, which is why it may be
/// marked `@unchecked Sendable`.
final class SQLiteConnection: @unchecked Sendable {
    /// The limits local wrangler applies (`sqlite3_limit`).
    static let limits: [(id: Int32, value: Int32)] = [
        (SQLITE_LIMIT_LENGTH, 4 * 1024 * 1024),
        (SQLITE_LIMIT_SQL_LENGTH, 100_000),
        (SQLITE_LIMIT_COLUMN, 100),
        (SQLITE_LIMIT_EXPR_DEPTH, 100),
        (SQLITE_LIMIT_COMPOUND_SELECT, 5),
        (SQLITE_LIMIT_VDBE_OP, 25_000),
        (SQLITE_LIMIT_FUNCTION_ARG, 127),
        (SQLITE_LIMIT_ATTACHED, 0),
        (SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50),
        (SQLITE_LIMIT_VARIABLE_NUMBER, 100),
        (SQLITE_LIMIT_TRIGGER_DEPTH, 10),
        (SQLITE_LIMIT_WORKER_THREADS, 0),
    ]

    /// Connection-level settings restored after any operation that assigned one of them, so that a PRAGMA only
    /// affects the operation (query, batch or exec) that ran it.
    static let defaultSettings =
        "PRAGMA foreign_keys=ON; PRAGMA defer_foreign_keys=OFF; PRAGMA recursive_triggers=OFF; "
        + "PRAGMA ignore_check_constraints=OFF; PRAGMA legacy_alter_table=OFF; "
        + "PRAGMA reverse_unordered_selects=OFF; PRAGMA case_sensitive_like=OFF"

    private(set) var handle: OpaquePointer?
    let path: String
    let authorizer = SQLiteAuthorizer()
    /// Whether `SQLITE_DBCONFIG_DEFENSIVE` could be switched on (see ``enableDefensiveMode()``).
    private(set) var isDefensive = false
    /// Trusted statements kept prepared by ``integer(_:)``; finalized by ``close()``.
    private var cachedStatements: [String: OpaquePointer] = [:]
    /// User statements kept prepared between calls (single-statement texts only); finalized by ``close()``.
    let statementCache = StatementCache(capacity: 64)
    /// `PRAGMA page_size`, read on first use.
    private var pageSize: Int64 = 0

    var isOpen: Bool { self.handle != nil }

    /// Opens (creating if needed) the database at `path`; `":memory:"` opens a private in-memory database.
    init(path: String) throws(D1Error) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            // A failed open can still hand back a handle that must be closed.
            sqlite3_close_v2(db)
            throw D1Error(.error, "\(message): \(SQLiteResultCode.describe(rc))", sqliteCode: rc)
        }
        self.handle = db
        do {
            try self.configure(db)
        } catch {
            self.close()
            throw error
        }
    }

    deinit {
        self.close()
    }

    /// Closes the connection. Later calls do nothing.
    func close() {
        guard let handle = self.handle else { return }
        self.checkpointBeforeClose()
        for statement in self.cachedStatements.values { sqlite3_finalize(statement) }
        self.cachedStatements.removeAll()
        self.statementCache.removeAll()
        sqlite3_set_authorizer(handle, nil, nil)
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    private func configure(_ db: OpaquePointer) throws(D1Error) {
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5000)
        for limit in Self.limits { sqlite3_limit(db, limit.id, limit.value) }
        self.isDefensive = self.enableDefensiveMode()
        if self.path != ":memory:" && !self.path.isEmpty {
            // FULL: a commit returns only once its WAL frames are synced, so an acknowledged write survives a crash.
            try self.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA journal_size_limit=\(Self.journalSizeLimit)")
        }
        try self.execute("PRAGMA foreign_keys=ON; PRAGMA recursive_triggers=OFF")
        let context = Unmanaged.passUnretained(self.authorizer).toOpaque()
        let rc = sqlite3_set_authorizer(
            db,
            { context, action, first, second, _, _ in
                guard let context else { return SQLITE_OK }
                let authorizer = Unmanaged<SQLiteAuthorizer>.fromOpaque(context).takeUnretainedValue()
                return authorizer.authorize(action: action, first, second)
            },
            context
        )
        guard rc == SQLITE_OK else { throw self.error(code: rc) }
        self.authorizer.isEnabled = true
    }

    /// Turns on `SQLITE_DBCONFIG_DEFENSIVE`.
    ///
    /// `sqlite3_db_config` is variadic, which Swift cannot call, and the system library module cannot carry a
    /// C wrapper. In the Linux calling conventions (System V x86-64, AAPCS64) variadic integer and pointer
    /// arguments travel in the same registers as fixed ones (on x86-64 the callee reads `%al` only to decide
    /// whether to spill vector registers), so the function is looked up with `dlsym` and called through a fixed
    /// `(sqlite3*, int, int, int*)` signature. Elsewhere (e.g. Apple arm64, where variadic arguments go on the
    /// stack) defensive mode stays off; ``isDefensive`` tells which.
    private func enableDefensiveMode() -> Bool {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        guard let handle = self.handle, let address = Self.dbConfigAddress,
            let symbol = UnsafeRawPointer(bitPattern: address)
        else { return false }
        typealias DBConfigInt = @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<Int32>?) -> Int32
        let dbConfig = unsafeBitCast(symbol, to: DBConfigInt.self)
        var enabled: Int32 = 0
        guard dbConfig(handle, SQLITE_DBCONFIG_DEFENSIVE, 1, &enabled) == SQLITE_OK else { return false }
        return enabled == 1
        #else
        return false
        #endif
    }

    /// The address of `sqlite3_db_config`, as an integer so that it can live in a `static let`.
    static let dbConfigAddress: UInt? = {
        #if os(Linux)
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "sqlite3_db_config") else { return nil }
        return UInt(bitPattern: Int(bitPattern: symbol))
        #else
        return nil
        #endif
    }()

    /// The current value of an `sqlite3_limit` category.
    func limit(_ id: Int32) -> Int32 {
        guard let handle = self.handle else { return -1 }
        return sqlite3_limit(handle, id, -1)
    }

    // MARK: - Errors

    /// The D1 error for an SQLite failure with result code `code`:
    /// `<errmsg>[ at offset <n>]: <PRIMARY>[ (extended: <EXTENDED>)]`.
    func error(code: Int32) -> D1Error {
        guard let handle = self.handle else { return Self.closedError }
        var message = String(cString: sqlite3_errmsg(handle))
        let offset = sqlite3_error_offset(handle)
        if offset >= 0 { message += " at offset \(offset)" }
        message += ": " + SQLiteResultCode.describe(code)
        return D1Error(.error, message, sqliteCode: code)
    }

    static let closedError = D1Error(.error, "database is closed: SQLITE_MISUSE", sqliteCode: SQLITE_MISUSE)

    // MARK: - Internal SQL (bypasses the authorizer)

    /// Runs trusted SQL (set-up, transaction control) with the authorizer switched off.
    func execute(_ sql: String) throws(D1Error) {
        guard let handle = self.handle else { throw Self.closedError }
        let wasEnabled = self.authorizer.isEnabled
        self.authorizer.isEnabled = false
        defer { self.authorizer.isEnabled = wasEnabled }
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw self.error(code: rc) }
    }

    /// `VACUUM` for the command line: outside any transaction, with one attached database allowed for the time of
    /// the statement (SQLite attaches a temporary copy). The binding never gets here: it refuses `VACUUM` (inside its
    /// transaction SQLite answers `cannot VACUUM from within a transaction`).
    func vacuum() throws(D1Error) {
        guard let handle = self.handle else { throw Self.closedError }
        let attached = sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 1)
        defer { sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, attached) }
        try self.execute("VACUUM")
    }

    /// Runs a trusted single-value query with the authorizer switched off; `nil` on any failure.
    /// The statement is prepared once and kept until ``close()`` (meta needs two of these per query).
    func integer(_ sql: String) -> Int64? {
        guard let handle = self.handle else { return nil }
        let wasEnabled = self.authorizer.isEnabled
        self.authorizer.isEnabled = false
        defer { self.authorizer.isEnabled = wasEnabled }
        let statement: OpaquePointer
        if let cached = self.cachedStatements[sql] {
            statement = cached
        } else {
            var prepared: OpaquePointer?
            let flags = UInt32(SQLITE_PREPARE_PERSISTENT)
            guard sqlite3_prepare_v3(handle, sql, -1, flags, &prepared, nil) == SQLITE_OK, let prepared else {
                sqlite3_finalize(prepared)
                return nil
            }
            self.cachedStatements[sql] = prepared
            statement = prepared
        }
        defer { sqlite3_reset(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { return nil }
        return sqlite3_column_int64(statement, 0)
    }

    /// Runs one trusted statement without result rows (transaction control: `BEGIN IMMEDIATE`, `SAVEPOINT`,
    /// `RELEASE`, `COMMIT`, …) with the authorizer switched off, keeping it prepared until ``close()``: the group
    /// writer runs several of these per call, and parsing them each time would cost more than running them.
    func executePrepared(_ sql: String) throws(D1Error) {
        guard let handle = self.handle else { throw Self.closedError }
        let wasEnabled = self.authorizer.isEnabled
        self.authorizer.isEnabled = false
        defer { self.authorizer.isEnabled = wasEnabled }
        let statement: OpaquePointer
        if let cached = self.cachedStatements[sql] {
            statement = cached
        } else {
            var prepared: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard rc == SQLITE_OK, let prepared else {
                sqlite3_finalize(prepared)
                throw self.error(code: rc)
            }
            self.cachedStatements[sql] = prepared
            statement = prepared
        }
        let rc = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw self.error(code: rc) }
    }

    /// Whether no transaction is open.
    var isAutocommit: Bool {
        guard let handle = self.handle else { return true }
        return sqlite3_get_autocommit(handle) != 0
    }

    /// Runs `body` in `BEGIN IMMEDIATE` … `COMMIT`; any error (including one from `COMMIT`) rolls back and is
    /// rethrown. Inside a transaction that is already open (the group writer's) `body` simply runs: the caller's
    /// savepoint makes it atomic.
    func transaction<T>(_ body: () throws(D1Error) -> T) throws(D1Error) -> T {
        guard self.isAutocommit else { return try body() }
        try self.execute("BEGIN IMMEDIATE")
        do throws(D1Error) {
            let result = try body()
            try self.execute("COMMIT")
            return result
        } catch {
            if !self.isAutocommit { try? self.execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: - User statements

    /// Prepares the first statement of `length` bytes at `sql` (user SQL, checked by the authorizer).
    /// Returns `nil` when the text holds no statement; `tail` receives the byte offset after the statement.
    func prepare(_ sql: UnsafePointer<CChar>, length: Int, tail: inout Int) throws(D1Error) -> SQLiteStatement? {
        guard let handle = self.handle else { throw Self.closedError }
        self.authorizer.deniedTransaction = false
        var statement: OpaquePointer?
        var end: UnsafePointer<CChar>?
        // An explicit length (no terminator) makes SQLite apply SQLITE_LIMIT_SQL_LENGTH to the remaining text,
        // as workerd does.
        let rc = sqlite3_prepare_v2(handle, sql, Int32(clamping: length), &statement, &end)
        guard rc == SQLITE_OK else {
            sqlite3_finalize(statement)
            if self.authorizer.deniedTransaction { throw Self.transactionError }
            throw self.error(code: rc)
        }
        tail = end.map { $0 - sql } ?? length
        return statement.map { SQLiteStatement(handle: $0, connection: self) }
    }

    /// The prepared statement for `sql` when the text holds exactly one statement, taken from (or added to) the
    /// statement cache; `nil` when the text holds no statement or several (the caller then prepares statement by
    /// statement). Statements that assign a connection setting are never cached (the authorizer must see them on
    /// every use, so that the setting is put back afterwards).
    func singleStatement(_ sql: String) throws(D1Error) -> SQLiteStatement? {
        switch self.statementCache.lookup(sql) {
        case .single(let handle)?:
            return SQLiteStatement(handle: handle, connection: self, isCached: true)
        case .multiple?:
            return nil
        case nil:
            break
        }
        let hadChangedSetting = self.authorizer.changedSetting
        self.authorizer.changedSetting = false
        defer { self.authorizer.changedSetting = hadChangedSetting || self.authorizer.changedSetting }
        let text = sql.utf8CString
        let length = text.count - 1
        return try text.withUnsafeBufferPointer { (buffer) throws(D1Error) -> SQLiteStatement? in
            guard let base = buffer.baseAddress, length > 0 else { return nil }
            var tail = 0
            guard let statement = try self.prepare(base, length: length, tail: &tail) else { return nil }
            guard SQLSplitter.isBlank(UnsafeRawBufferPointer(start: base + tail, count: length - tail)) else {
                statement.finalize()
                self.statementCache.insert(sql, .multiple)
                return nil
            }
            guard !self.authorizer.changedSetting, let handle = statement.handle else { return statement }
            self.statementCache.insert(sql, .single(handle))
            // The cache owns the handle now; this use borrows it.
            statement.disown()
            return SQLiteStatement(handle: handle, connection: self, isCached: true)
        }
    }

    /// D1's refusal of `BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT` and `RELEASE`.
    static let transactionError = D1Error(
        .error,
        "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs "
            + "instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will "
            + "automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic "
            + "atomic write coalescing.",
        sqliteCode: SQLITE_AUTH
    )

    // MARK: - Meta

    /// What `meta` is computed from.
    struct Snapshot {
        var totalChanges: Int64
        var lastRowId: Int64
        var size: Int
    }

    func snapshot() -> Snapshot {
        guard let handle = self.handle else { return Snapshot(totalChanges: 0, lastRowId: 0, size: 0) }
        return Snapshot(
            totalChanges: sqlite3_total_changes64(handle),
            lastRowId: sqlite3_last_insert_rowid(handle),
            size: self.databaseSize()
        )
    }

    /// `sqlite3_total_changes64`: rows changed on this connection so far (triggers included).
    var totalChanges: Int64 {
        guard let handle = self.handle else { return 0 }
        return sqlite3_total_changes64(handle)
    }

    /// `page_count × page_size` in bytes.
    func databaseSize() -> Int {
        let pageCount = self.integer("PRAGMA page_count") ?? 0
        // User SQL cannot change the page size (the PRAGMA is read-only for it, VACUUM is denied, and WAL
        // databases cannot change it at all), so it is read once.
        if self.pageSize == 0 { self.pageSize = self.integer("PRAGMA page_size") ?? 0 }
        return Int(pageCount * self.pageSize)
    }

    /// `sqlite3_last_insert_rowid`.
    var lastInsertRowId: Int64 {
        guard let handle = self.handle else { return 0 }
        return sqlite3_last_insert_rowid(handle)
    }
}
