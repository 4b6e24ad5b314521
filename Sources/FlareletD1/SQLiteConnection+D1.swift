import CSQLite
import FlareletCore
import Foundation

/// D1's execution rules on top of a ``SQLiteConnection``. Every entry point runs on the database's queue.
extension SQLiteConnection {
    static let noStatementsError = D1Error(.error, "No SQL statements detected.")
    static let wrongBindingCountError = D1Error(.error, "Wrong number of parameter bindings for SQL query.")
    static let parametersNotLastError = D1Error(
        .error,
        "When executing multiple SQL statements in a single call, only the last statement can have parameters."
    )

    // MARK: - Operations (one query, one batch, one exec)

    /// One query in its own implicit transaction: a single statement runs in autocommit mode, several statements
    /// are wrapped in `BEGIN IMMEDIATE` … `COMMIT`.
    func d1Query(_ query: D1Query) throws(D1Error) -> D1QueryResult {
        defer { self.restoreSettingsIfChanged() }
        return try self.run(query).result
    }

    /// Every query in one transaction; the first error rolls everything back and is thrown.
    func d1Batch(_ queries: [D1Query]) throws(D1Error) -> [D1QueryResult] {
        defer { self.restoreSettingsIfChanged() }
        guard !queries.isEmpty else { throw Self.noStatementsError }
        return try self.transaction { () throws(D1Error) -> [D1QueryResult] in
            var results: [D1QueryResult] = []
            results.reserveCapacity(queries.count)
            // Inside the transaction nothing else can change the database between two queries, so one
            // query's "after" is the next one's "before".
            var snapshot = self.snapshot()
            for query in queries {
                let (result, after) = try self.run(query, before: snapshot)
                results.append(result)
                snapshot = after
            }
            return results
        }
    }

    /// `exec()`: the trimmed text split on `"\n"`, each non-blank line one query, all in one transaction.
    /// Failures become `D1_EXEC_ERROR: Error in line 1: <first line>: <message>` (locally the whole transaction
    /// reports one failure, so the line is always the first).
    func d1Exec(_ sql: String) throws(D1Error) -> D1ExecResult {
        defer { self.restoreSettingsIfChanged() }
        let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        // Split on the byte: "\r\n" is a single Character in Swift and must still split.
        let lines = trimmed.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let runnable = lines.filter { !SQLSplitter.isBlank($0.utf8) }
        do throws(D1Error) {
            guard !runnable.isEmpty else { throw Self.noStatementsError }
            let results = try self.transaction { () throws(D1Error) -> [D1QueryResult] in
                var results: [D1QueryResult] = []
                var snapshot = self.snapshot()
                for line in runnable {
                    let (result, after) = try self.run(D1Query(sql: line), before: snapshot)
                    results.append(result)
                    snapshot = after
                }
                return results
            }
            return D1ExecResult(count: results.count, duration: results.reduce(0) { $0 + $1.meta.duration })
        } catch {
            throw D1Error(.exec, "Error in line 1: \(lines.first ?? ""): \(error.message)", sqliteCode: error.sqliteCode)
        }
    }

    /// Puts back the connection defaults after user SQL assigned a setting PRAGMA, so a PRAGMA only lasts for
    /// the operation that ran it ("PRAGMA settings only apply to the current transaction").
    private func restoreSettingsIfChanged() {
        guard self.authorizer.changedSetting, self.isOpen, self.isAutocommit else { return }
        self.authorizer.changedSetting = false
        try? self.execute(Self.defaultSettings)
    }

    // MARK: - One query

    /// Runs every statement of `query`; returns the last one's columns and rows, with `meta` for the whole text,
    /// and the snapshot taken after it. `before` is taken now unless the caller knows it.
    private func run(_ query: D1Query, before known: Snapshot? = nil) throws(D1Error) -> (result: D1QueryResult, after: Snapshot) {
        guard self.isOpen else { throw Self.closedError }
        let before = known ?? self.snapshot()
        let clock = ContinuousClock()
        let started = clock.now
        let text = query.sql.utf8CString
        let length = text.count - 1
        let outcome = try text.withUnsafeBufferPointer { (buffer) throws(D1Error) -> Outcome in
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
        let elapsed = started.duration(to: clock.now)
        let after = self.snapshot()
        var meta = D1Meta()
        meta.duration = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        meta.changes = Int(after.totalChanges - before.totalChanges)
        meta.lastRowId = after.lastRowId
        meta.changedDb = meta.changes != 0 || after.lastRowId != before.lastRowId || after.size != before.size
        meta.sizeAfter = after.size
        meta.rowsRead = outcome.rowsRead
        meta.rowsWritten = meta.changes
        return (D1QueryResult(columns: outcome.columns, rows: outcome.rows, meta: meta), after)
    }

    private struct Outcome {
        var columns: [String]
        var rows: [[D1Value]]
        var rowsRead: Int
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
        var rowsRead = 0
        while let statement = current {
            defer { statement.finalize() }
            let isLast = Self.isBlank(base + tail, length - tail)
            if isLast {
                guard statement.parameterCount == bindings.count else { throw Self.wrongBindingCountError }
                try statement.bind(bindings)
                let columns = statement.columnNames
                var rows: [[D1Value]] = []
                while try statement.step() { rows.append(statement.row(columnCount: columns.count)) }
                rowsRead += Self.rowsRead(statement, returned: rows.count)
                return Outcome(columns: columns, rows: rows, rowsRead: rowsRead)
            }
            guard statement.parameterCount == 0 else { throw Self.parametersNotLastError }
            var returned = 0
            while try statement.step() { returned += 1 }
            rowsRead += Self.rowsRead(statement, returned: returned)
            let start = tail
            current = try self.prepare(base + start, length: length - start, tail: &tail)
            tail += start
        }
        return Outcome(columns: [], rows: [], rowsRead: rowsRead)
    }

    /// An approximation of workerd's `rows_read`: the larger of the rows returned and the full-scan steps.
    private static func rowsRead(_ statement: SQLiteStatement, returned: Int) -> Int {
        guard let handle = statement.handle else { return returned }
        let scanned = sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0)
        return max(returned, Int(scanned))
    }

    private static func isBlank(_ pointer: UnsafePointer<CChar>, _ count: Int) -> Bool {
        SQLSplitter.isBlank(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
