public import FlareletCore
import Foundation

/// A source of SQL statements for ``D1LocalDatabase/runScript(_:onResult:)``, pulled one at a time so that a
/// script can be streamed from a file with memory bounded by its largest statement.
public protocol SQLStatementSource {
    /// The next statement, or `nil` at the end of the script.
    /// - Throws: ``D1ScriptError`` when the script cannot be read (the transaction is then rolled back).
    mutating func nextStatement() throws(D1ScriptError) -> SQLSplitter.Statement?
}

/// The statements of an SQL text in memory, split with ``SQLSplitter``.
public struct SQLTextStatements: SQLStatementSource {
    private var statements: IndexingIterator<[SQLSplitter.Statement]>

    /// Splits `text` into statements (line numbers count from 1 at the start of `text`).
    public init(_ text: String) {
        self.statements = SQLSplitter.statements(text).makeIterator()
    }

    /// Uses statements that were already split.
    public init(statements: [SQLSplitter.Statement]) {
        self.statements = statements.makeIterator()
    }

    public mutating func nextStatement() throws(D1ScriptError) -> SQLSplitter.Statement? {
        self.statements.next()
    }
}

/// What one statement of a script produced.
public struct D1ScriptResult: Sendable, Hashable {
    /// The 1-based position of the statement in the script.
    public var ordinal: Int
    /// The statement as the splitter returned it, with the line it starts on.
    public var statement: SQLSplitter.Statement
    /// The result columns (empty for statements that return no rows).
    public var columns: [String]
    /// Every row, values in column order.
    public var rows: [[D1Value]]
    /// Milliseconds spent on the statement.
    public var duration: Double

    /// Creates a result.
    public init(ordinal: Int, statement: SQLSplitter.Statement, columns: [String], rows: [[D1Value]], duration: Double) {
        self.ordinal = ordinal
        self.statement = statement
        self.columns = columns
        self.rows = rows
        self.duration = duration
    }
}

/// A script that failed; nothing of it was applied.
///
/// ``description`` names the statement when one failed:
/// `Statement 3 (line 12) failed: no such table: nope: SQLITE_ERROR`.
public struct D1ScriptError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based position of the failing statement, when a statement failed.
    public var ordinal: Int?
    /// The line on which the failing statement starts, when a statement failed.
    public var line: Int?
    /// The message without the statement location: SQLite's (or D1's) message, or why the script could not be read.
    public var message: String
    /// SQLite's extended result code when the failure came from SQLite.
    public var sqliteCode: Int32?

    /// Creates an error.
    public init(ordinal: Int? = nil, line: Int? = nil, message: String, sqliteCode: Int32? = nil) {
        self.ordinal = ordinal
        self.line = line
        self.message = message
        self.sqliteCode = sqliteCode
    }

    public var description: String {
        guard let ordinal = self.ordinal else { return self.message }
        let line = self.line.map { " (line \($0))" } ?? ""
        return "Statement \(ordinal)\(line) failed: \(self.message)"
    }
}

/// A direct connection to a D1 state file for command-line work (`d1 execute`, `d1 migrations`, `d1 export`),
/// configured exactly like the connections ``SQLiteD1Database`` opens (limits, authorizer, WAL, 5 s busy timeout),
/// so that it may be used while `flarelet dev` has the same file open.
///
/// Not thread-safe: use one instance from one thread at a time; every method blocks until SQLite is done.
public final class D1LocalDatabase {
    /// The database file.
    public let path: String
    let connection: SQLiteConnection

    /// Opens (creating, with missing parent directories) the database file at `path`.
    /// - Throws: `D1Error` when the directory or the database cannot be created or opened.
    public init(path: String) throws(D1Error) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw D1Error(.error, "unable to create directory \(directory.path): \(error.localizedDescription)")
        }
        self.path = path
        self.connection = try SQLiteConnection(path: path)
    }

    deinit {
        self.connection.close()
    }

    /// Closes the connection; later calls fail with `database is closed`.
    public func close() {
        self.connection.close()
    }

    /// Runs every statement of `source` in order in **one** transaction (`BEGIN IMMEDIATE` … `COMMIT`), as
    /// `wrangler d1 execute` runs a file as one batch: the first failure rolls everything back. A script of a single
    /// statement runs without an explicit transaction (it is atomic by itself), so that `VACUUM` works.
    ///
    /// Statements are checked by D1's authorizer (so `BEGIN`, `COMMIT`, `SAVEPOINT` … fail with D1's message) and
    /// must not have parameters. Statements are pulled from `source` one at a time, so memory is bounded by the
    /// largest statement plus what `onResult` keeps.
    ///
    /// - Parameters:
    ///   - source: The statements.
    ///   - onResult: Called after each statement, in order, with what it produced. An error thrown here rolls the
    ///     transaction back and is rethrown as a ``D1ScriptError`` with its description as the message.
    /// - Returns: The number of statements run.
    /// - Throws: ``D1ScriptError`` naming the failing statement's ordinal and starting line, or a read error of
    ///   `source`; nothing was applied.
    @discardableResult
    public func runScript(
        _ source: inout some SQLStatementSource,
        onResult: (D1ScriptResult) throws -> Void = { _ in }
    ) throws(D1ScriptError) -> Int {
        defer { self.restoreSettings() }
        var count = 0
        var failure: D1ScriptError?
        // Pulls the next statement, remembering a read failure.
        func next() throws(D1Error) -> SQLSplitter.Statement? {
            do throws(D1ScriptError) {
                return try source.nextStatement()
            } catch {
                failure = error
                throw D1Error(.error, error.message)
            }
        }
        // Runs one statement and reports it, remembering which statement failed.
        func step(_ statement: SQLSplitter.Statement) throws(D1Error) {
            count += 1
            let result: D1ScriptResult
            do throws(D1Error) {
                result = try self.run(statement, ordinal: count)
            } catch {
                failure = D1ScriptError(ordinal: count, line: statement.line, message: error.message, sqliteCode: error.sqliteCode)
                throw error
            }
            do {
                try onResult(result)
            } catch {
                failure = D1ScriptError(message: "\(error)")
                throw D1Error(.error, "\(error)")
            }
        }
        do throws(D1Error) {
            guard let first = try next() else { return 0 }
            let second = try next()
            // One statement is atomic by itself and runs without a transaction, except VACUUM: in a script it fails
            // like upstream's (`cannot VACUUM from within a transaction`); only ``vacuum()`` runs it.
            if second == nil && !Self.isVacuumCommand(first.text) {
                try step(first)
                return count
            }
            try self.connection.transaction { () throws(D1Error) in
                try step(first)
                if let second { try step(second) }
                while let statement = try next() { try step(statement) }
            }
        } catch {
            throw failure ?? D1ScriptError(message: error.message, sqliteCode: error.sqliteCode)
        }
        return count
    }

    /// Runs `VACUUM` on the file (outside any transaction), for `flarelet d1 execute --command "VACUUM"`: an
    /// operator's maintenance command on a local file, which the worker binding keeps refusing as workerd does.
    /// - Returns: milliseconds spent.
    /// - Throws: `D1Error` from SQLite (e.g. the database is busy).
    @discardableResult
    public func vacuum() throws(D1Error) -> Double {
        let clock = ContinuousClock()
        let started = clock.now
        try self.connection.vacuum()
        return SQLiteConnection.milliseconds(started.duration(to: clock.now))
    }

    /// Whether `text` is a `VACUUM` statement alone (any case, surrounding white space, an optional `;`).
    public static func isVacuumCommand(_ text: String) -> Bool {
        var trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasSuffix(";") { trimmed = String(trimmed.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        return trimmed.lowercased() == "vacuum"
    }

    // MARK: - One statement

    private func run(_ statement: SQLSplitter.Statement, ordinal: Int) throws(D1Error) -> D1ScriptResult {
        let clock = ContinuousClock()
        let started = clock.now
        let text = statement.text.utf8CString
        let length = text.count - 1
        let (columns, rows) = try text.withUnsafeBufferPointer { (buffer) throws(D1Error) -> ([String], [[D1Value]]) in
            guard let base = buffer.baseAddress, length > 0 else { return ([], []) }
            var columns: [String] = []
            var rows: [[D1Value]] = []
            var offset = 0
            // A statement text normally holds one statement; if it holds several, the last one's rows count.
            while offset < length {
                var tail = 0
                guard let prepared = try self.connection.prepare(base + offset, length: length - offset, tail: &tail) else { break }
                defer { prepared.finalize() }
                offset += tail
                guard prepared.parameterCount == 0 else { throw SQLiteConnection.wrongBindingCountError }
                columns = prepared.columnNames
                rows = []
                while try prepared.step() { rows.append(prepared.row(columnCount: columns.count)) }
                if tail == 0 { break }
            }
            return (columns, rows)
        }
        let elapsed = started.duration(to: clock.now)
        let duration = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return D1ScriptResult(ordinal: ordinal, statement: statement, columns: columns, rows: rows, duration: duration)
    }

    /// Puts back the connection defaults after a script assigned a setting PRAGMA.
    private func restoreSettings() {
        guard self.connection.authorizer.changedSetting, self.connection.isOpen, self.connection.isAutocommit else { return }
        self.connection.authorizer.changedSetting = false
        try? self.connection.execute(SQLiteConnection.defaultSettings)
    }
}
