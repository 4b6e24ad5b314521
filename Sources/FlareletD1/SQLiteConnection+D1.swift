import CSQLite
import FlareletCore
import Foundation

/// One D1 call: what the group writer (and, for reads, a read connection) runs.
enum D1Operation: Sendable {
    case query(D1Query)
    case batch([D1Query])
    case exec(String)
}

/// What a ``D1Operation`` produced.
enum D1OperationResult: Sendable {
    case query(D1QueryResult)
    case batch([D1QueryResult])
    case exec(D1ExecResult)
}

/// D1's execution rules on top of a ``SQLiteConnection``. Every entry point runs on the thread that holds the
/// connection (the group writer's queue, or the caller holding a read connection).
extension SQLiteConnection {
    static let noStatementsError = D1Error(.error, "No SQL statements detected.")
    static let wrongBindingCountError = D1Error(.error, "Wrong number of parameter bindings for SQL query.")
    static let parametersNotLastError = D1Error(
        .error,
        "When executing multiple SQL statements in a single call, only the last statement can have parameters."
    )
    /// What a statement gets when it leaves a deferred foreign key unresolved (as SQLite reports it when the
    /// statement's own transaction commits).
    static let foreignKeyError = D1Error(
        .error,
        "FOREIGN KEY constraint failed: " + SQLiteResultCode.describe(787),
        sqliteCode: 787  // SQLITE_CONSTRAINT_FOREIGNKEY (a macro Swift does not import)
    )

    // MARK: - Operations (one query, one batch, one exec)

    /// Runs one operation. Outside a transaction it opens its own (as D1 does for every call); inside one (the
    /// group writer's savepoint) it just runs. `before` is the snapshot taken after the previous operation of the
    /// same transaction, when the caller knows it.
    /// - Returns: the result and the snapshot after it.
    func perform(_ operation: D1Operation, before: Snapshot?) throws(D1Error) -> (D1OperationResult, Snapshot) {
        switch operation {
        case .query(let query):
            let (result, after) = try self.d1Query(query, before: before)
            return (.query(result), after)
        case .batch(let queries):
            let (results, after) = try self.d1Batch(queries, before: before)
            return (.batch(results), after)
        case .exec(let sql):
            let (result, after) = try self.d1Exec(sql, before: before)
            return (.exec(result), after)
        }
    }

    /// One query in its own implicit transaction: a single statement runs in autocommit mode, several statements
    /// are wrapped in `BEGIN IMMEDIATE` … `COMMIT`.
    func d1Query(_ query: D1Query, before: Snapshot? = nil) throws(D1Error) -> (D1QueryResult, Snapshot) {
        let (result, after) = try self.run(query, before: before)
        try self.checkForeignKeys()
        return (result, after)
    }

    /// Every query in one transaction; the first error rolls everything back and is thrown.
    func d1Batch(_ queries: [D1Query], before: Snapshot? = nil) throws(D1Error) -> ([D1QueryResult], Snapshot) {
        guard !queries.isEmpty else { throw Self.noStatementsError }
        return try self.transaction { () throws(D1Error) -> ([D1QueryResult], Snapshot) in
            var results: [D1QueryResult] = []
            results.reserveCapacity(queries.count)
            // Inside the transaction nothing else can change the database between two queries, so one
            // query's "after" is the next one's "before".
            var snapshot = before ?? self.snapshot()
            for query in queries {
                let (result, after) = try self.run(query, before: snapshot)
                results.append(result)
                snapshot = after
            }
            try self.checkForeignKeys()
            return (results, snapshot)
        }
    }

    /// `exec()`: the trimmed text split on `"\n"`, each non-blank line one query, all in one transaction.
    /// Failures become `D1_EXEC_ERROR: Error in line 1: <first line>: <message>` (locally the whole transaction
    /// reports one failure, so the line is always the first).
    func d1Exec(_ sql: String, before: Snapshot? = nil) throws(D1Error) -> (D1ExecResult, Snapshot) {
        let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        // Split on the byte: "\r\n" is a single Character in Swift and must still split.
        let lines = trimmed.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let runnable = lines.filter { !SQLSplitter.isBlank($0.utf8) }
        do throws(D1Error) {
            guard !runnable.isEmpty else { throw Self.noStatementsError }
            let (results, after) = try self.transaction { () throws(D1Error) -> ([D1QueryResult], Snapshot) in
                var results: [D1QueryResult] = []
                var snapshot = before ?? self.snapshot()
                for line in runnable {
                    let (result, after) = try self.run(D1Query(sql: line), before: snapshot)
                    results.append(result)
                    snapshot = after
                }
                try self.checkForeignKeys()
                return (results, snapshot)
            }
            return (D1ExecResult(count: results.count, duration: results.reduce(0) { $0 + $1.meta.duration }), after)
        } catch {
            throw D1Error(.exec, "Error in line 1: \(lines.first ?? ""): \(error.message)", sqliteCode: error.sqliteCode)
        }
    }

    /// Inside a transaction deferred foreign keys are only checked at `COMMIT`; a D1 call is its own transaction,
    /// so a call that leaves one unresolved fails the way its own `COMMIT` would have.
    private func checkForeignKeys() throws(D1Error) {
        guard let handle = self.handle, !self.isAutocommit else { return }
        var current: Int32 = 0
        var highest: Int32 = 0
        sqlite3_db_status(handle, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highest, 0)
        if current != 0 { throw Self.foreignKeyError }
    }

    /// Puts back the connection defaults after user SQL assigned a setting PRAGMA, so a PRAGMA only lasts for
    /// the operation that ran it ("PRAGMA settings only apply to the current transaction").
    func restoreSettingsIfChanged() {
        guard self.authorizer.changedSetting, self.isOpen else { return }
        self.authorizer.changedSetting = false
        try? self.execute(Self.defaultSettings)
    }

    // MARK: - Reads on a read connection

    /// Runs `query` when it is exactly one read-only statement; `nil` when it is not (it must go to the writer).
    ///
    /// `lastRowId` is the database's last insert rowid as the writer left it: D1 reports it connection-wide, and a
    /// read connection never inserts. A read changes nothing, so `changes` is 0 and `changed_db` false.
    func d1Read(_ query: D1Query, lastRowId: Int64) throws(D1Error) -> D1QueryResult? {
        guard self.isOpen else { throw Self.closedError }
        guard let statement = try self.singleStatement(query.sql) else { return nil }
        guard statement.isReadOnly else {
            statement.finalize()
            return nil
        }
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try self.runSingle(statement, sql: query.sql, bindings: query.bindings)
        let elapsed = started.duration(to: clock.now)
        var meta = D1Meta()
        meta.duration = Self.milliseconds(elapsed)
        meta.lastRowId = lastRowId
        meta.sizeAfter = self.databaseSize()
        meta.rowsRead = outcome.rowsRead
        return D1QueryResult(columns: outcome.columns, rows: outcome.rows, meta: meta)
    }

    // MARK: - One query

    /// Runs every statement of `query`; returns the last one's columns and rows, with `meta` for the whole text,
    /// and the snapshot taken after it. `before` is taken now unless the caller knows it.
    private func run(_ query: D1Query, before known: Snapshot? = nil) throws(D1Error) -> (result: D1QueryResult, after: Snapshot) {
        guard self.isOpen else { throw Self.closedError }
        let before = known ?? self.snapshot()
        let clock = ContinuousClock()
        let started = clock.now
        let outcome: Outcome
        if let statement = try self.singleStatement(query.sql) {
            outcome = try self.runSingle(statement, sql: query.sql, bindings: query.bindings)
        } else {
            outcome = try self.runMultiple(query)
        }
        let elapsed = started.duration(to: clock.now)
        let after = self.snapshot()
        var meta = D1Meta()
        meta.duration = Self.milliseconds(elapsed)
        meta.changes = Int(after.totalChanges - before.totalChanges)
        meta.lastRowId = after.lastRowId
        meta.changedDb = meta.changes != 0 || after.lastRowId != before.lastRowId || after.size != before.size
        meta.sizeAfter = after.size
        // Like Miniflare, `rows_read` / `rows_written` are the last statement's while `changes` covers the text.
        meta.rowsRead = outcome.rowsRead
        meta.rowsWritten = outcome.rowsWritten
        return (D1QueryResult(columns: outcome.columns, rows: outcome.rows, meta: meta), after)
    }

    /// The last statement's columns and rows, and its `rows_read` / `rows_written`.
    private struct Outcome {
        var columns: [String]
        var rows: [[D1Value]]
        var rowsRead: Int
        var rowsWritten: Int = 0
    }

    /// Binds and steps a text's only statement (cached or not).
    ///
    /// A cached statement whose first step fails with `SQLITE_ERROR` or `SQLITE_SCHEMA` may be stale (another
    /// connection changed the schema, and re-preparing it failed): it is dropped from the cache and the text is
    /// prepared afresh, so the error is exactly the one a fresh prepare reports. A failed statement changed nothing,
    /// so running it again is safe.
    private func runSingle(_ statement: SQLiteStatement, sql: String, bindings: [D1Value]) throws(D1Error) -> Outcome {
        do {
            return try self.step(statement, bindings: bindings)
        } catch {
            let primary = (error.sqliteCode ?? 0) & 0xff
            guard statement.isCached, primary == SQLITE_ERROR || primary == SQLITE_SCHEMA else { throw error }
            self.statementCache.remove(sql)
            guard let fresh = try self.singleStatement(sql) else { return try self.runMultiple(D1Query(sql: sql, bindings: bindings)) }
            return try self.step(fresh, bindings: bindings)
        }
    }

    private func step(_ statement: SQLiteStatement, bindings: [D1Value]) throws(D1Error) -> Outcome {
        defer { statement.finalize() }
        guard statement.parameterCount == bindings.count else { throw Self.wrongBindingCountError }
        try statement.bind(bindings)
        // Columns are read after the first step: a cached statement is prepared again there when the schema
        // changed, and its columns may differ from the last use.
        let changesBefore = self.totalChanges
        var hasRow = try statement.step()
        let columns = statement.columnNames
        var rows: [[D1Value]] = []
        while hasRow {
            rows.append(statement.row(columnCount: columns.count))
            hasRow = try statement.step()
        }
        let written = Int(self.totalChanges - changesBefore)
        return Outcome(
            columns: columns,
            rows: rows,
            rowsRead: Self.rowsRead(
                returned: rows.count,
                written: written,
                fullScanSteps: statement.takeFullScanSteps(),
                readOnly: statement.isReadOnly
            ),
            rowsWritten: written
        )
    }

    /// `rows_read` of one statement, approximating workerd's instrumented SQLite (which the system SQLite lacks):
    /// a read counts the rows it stepped or returned; a write also reads each row it writes, and its `RETURNING`
    /// rows once more. So a plain one-row `INSERT` reads 1 row and `INSERT … RETURNING` 2, as Miniflare reports.
    static func rowsRead(returned: Int, written: Int, fullScanSteps: Int, readOnly: Bool) -> Int {
        readOnly ? max(returned, fullScanSteps) : max(written, fullScanSteps) + returned
    }

    /// The general path: prepares and runs statement by statement. Several statements outside a transaction are
    /// wrapped in one.
    private func runMultiple(_ query: D1Query) throws(D1Error) -> Outcome {
        let text = query.sql.utf8CString
        let length = text.count - 1
        return try text.withUnsafeBufferPointer { (buffer) throws(D1Error) -> Outcome in
            guard let base = buffer.baseAddress, length > 0 else { throw Self.noStatementsError }
            var tail = 0
            guard let first = try self.prepare(base, length: length, tail: &tail) else { throw Self.noStatementsError }
            let isMultiple = !Self.isBlank(base + tail, length - tail)
            if isMultiple && self.isAutocommit {
                return try self.transaction { () throws(D1Error) -> Outcome in
                    try self.runStatements(first: first, tail: tail, base: base, length: length, bindings: query.bindings)
                }
            }
            return try self.runStatements(first: first, tail: tail, base: base, length: length, bindings: query.bindings)
        }
    }

    /// Steps `first` and every following statement; only the last may have parameters, and it must have exactly
    /// `bindings.count` of them.
    private func runStatements(
        first: SQLiteStatement,
        tail: Int,
        base: UnsafePointer<CChar>,
        length: Int,
        bindings: [D1Value]
    ) throws(D1Error) -> Outcome {
        var current: SQLiteStatement? = first
        var tail = tail
        while let statement = current {
            let isLast = Self.isBlank(base + tail, length - tail)
            if isLast {
                // Only the last statement's rows and counters are reported (`changes` still covers all of them).
                return try self.step(statement, bindings: bindings)
            }
            defer { statement.finalize() }
            guard statement.parameterCount == 0 else { throw Self.parametersNotLastError }
            while try statement.step() {}
            let start = tail
            current = try self.prepare(base + start, length: length - start, tail: &tail)
            tail += start
        }
        return Outcome(columns: [], rows: [], rowsRead: 0)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    private static func isBlank(_ pointer: UnsafePointer<CChar>, _ count: Int) -> Bool {
        SQLSplitter.isBlank(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
