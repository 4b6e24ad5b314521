public import FlareletCore
import Foundation
import Synchronization

/// A D1 database stored in an SQLite file (or in memory), behaving like `wrangler dev`'s local D1.
///
/// Writes go through a ``D1GroupWriter``: one write connection on its own serial queue, and calls that arrive while
/// a commit is in flight are committed together, each in its own savepoint, so a group costs one fsync
/// (`synchronous=FULL`) and every call returns only after the commit that holds it is durable. A single read-only
/// statement (`SELECT`, `WITH … SELECT`, `VALUES`) on a file database runs on a read connection instead, on the
/// caller's thread, in its own WAL snapshot: reads never wait behind somebody else's fsync, and they see every write
/// that has returned. Each connection keeps its prepared statements between calls.
///
/// Several instances (also in other processes, such as the CLI next to `flarelet dev`) may share one file: it uses
/// WAL and a 5 s busy timeout.
///
/// Call ``close()`` when done; operations after that throw `D1_ERROR: database is closed: SQLITE_MISUSE`.
public final class SQLiteD1Database: D1Database {
    /// The path given to ``init(path:)``.
    public let path: String
    private let writer: D1GroupWriter
    /// `nil` for in-memory databases, whose other connections would be other databases.
    private let readers: D1ReaderPool?
    /// Texts that looked like reads but are not single read-only statements (e.g. `WITH … INSERT`).
    private let writeTexts = Mutex(Set<String>())

    /// Opens or creates a database.
    ///
    /// - Parameter path: a file path (missing parent directories are created), or `":memory:"` for a private
    ///   in-memory database.
    /// - Throws: `D1Error` when a directory or the database cannot be created or opened.
    public init(path: String) throws(D1Error) {
        let isFile = path != ":memory:" && !path.isEmpty
        if isFile {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw D1Error(.error, "unable to create directory \(directory.path): \(error.localizedDescription)")
            }
        }
        self.path = path
        let connection = try SQLiteConnection(path: path)
        // 1 MiB of page cache (SQLite's default is 2 MB): the dev server keeps a write connection per database.
        try connection.execute("PRAGMA cache_size=-1024")
        self.writer = D1GroupWriter(connection: connection)
        self.readers = isFile ? D1ReaderPool(path: path) : nil
    }

    /// Transactions (groups) and calls the writer has run so far; `calls / groups` is the average group size.
    public var writeStatistics: D1WriteStatistics { self.writer.statistics }

    /// The group writer (tests pause it to make grouping deterministic).
    var groupWriter: D1GroupWriter { self.writer }

    /// Closes the database after the calls already queued have finished. Later calls do nothing.
    public func close() {
        self.writer.close()
        self.readers?.close()
    }

    /// Runs one query (several statements allowed; only the last may have parameters) in an implicit
    /// transaction and returns the last statement's result.
    public func query(_ query: D1Query) async throws(D1Error) -> D1QueryResult {
        if let result = try self.read(query) { return result }
        guard case .query(let result) = try await self.writer.submit(.query(query)).get() else { preconditionFailure() }
        return result
    }

    /// Runs every query in one transaction; the first failure rolls all of them back and is thrown. An empty array
    /// throws `D1_ERROR: No SQL statements detected.`
    public func batch(queries: [D1Query]) async throws(D1Error) -> [D1QueryResult] {
        guard case .batch(let results) = try await self.writer.submit(.batch(queries)).get() else { preconditionFailure() }
        return results
    }

    /// `exec()`: one statement per non-blank line, all in one transaction; failures throw `D1_EXEC_ERROR`.
    public func exec(_ sql: String) async throws(D1Error) -> D1ExecResult {
        guard case .exec(let result) = try await self.writer.submit(.exec(sql)).get() else { preconditionFailure() }
        return result
    }

    /// Runs `query` on a read connection when it is a single read-only statement; `nil` when it must go to the
    /// writer.
    private func read(_ query: D1Query) throws(D1Error) -> D1QueryResult? {
        guard let readers = self.readers, Self.looksLikeRead(query.sql), !self.writer.hasTemporaryObjects,
            !self.writeTexts.withLock({ $0.contains(query.sql) })
        else { return nil }
        let lastRowId = self.writer.lastRowId
        if let result = try readers.withConnection({ (connection) throws(D1Error) in try connection.d1Read(query, lastRowId: lastRowId) }) {
            return result
        }
        self.writeTexts.withLock { texts in
            if texts.count >= 256 { texts.removeAll() }
            texts.insert(query.sql)
        }
        return nil
    }

    /// Whether the first keyword of `sql` (after white space and comments) is `SELECT`, `WITH` or `VALUES`: the
    /// texts worth trying on a read connection. The read connection then checks `sqlite3_stmt_readonly`.
    static func looksLikeRead(_ sql: String) -> Bool {
        var utf8 = sql.utf8[...]
        while let byte = utf8.first {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                utf8 = utf8.dropFirst()
            case UInt8(ascii: "-") where utf8.dropFirst().first == UInt8(ascii: "-"):
                utf8 = utf8.drop { $0 != UInt8(ascii: "\n") }
            case UInt8(ascii: "/") where utf8.dropFirst().first == UInt8(ascii: "*"):
                utf8 = utf8.dropFirst(2)
                while !utf8.isEmpty, !utf8.starts(with: "*/".utf8) { utf8 = utf8.dropFirst() }
                utf8 = utf8.dropFirst(2)
            default:
                let word = utf8.prefix { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }
                return Self.readKeywords.contains { keyword in
                    word.count == keyword.count && zip(word, keyword).allSatisfy { ($0 | 0x20) == $1 }
                }
            }
        }
        return false
    }

    private static let readKeywords: [[UInt8]] = [Array("select".utf8), Array("with".utf8), Array("values".utf8)]
}
