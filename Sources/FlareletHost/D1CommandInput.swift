import FlareletD1
import Foundation

/// The SQL text `d1 execute` reads: a file (streamed) or text in memory (`--command`, migrations).
enum SQLInput {
    case file(String)
    case bytes([UInt8])

    static let chunkSize = 1 << 16

    /// The number of bytes.
    func size() throws -> Int {
        switch self {
        case .bytes(let bytes):
            return bytes.count
        case .file(let path):
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.intValue ?? 0
        }
    }

    /// The bytes in `range` (clamped to the text).
    func bytes(in range: Range<Int>) throws -> [UInt8] {
        switch self {
        case .bytes(let bytes):
            let lower = max(0, min(range.lowerBound, bytes.count))
            let upper = max(lower, min(range.upperBound, bytes.count))
            return Array(bytes[lower..<upper])
        case .file(let path):
            guard range.lowerBound >= 0, !range.isEmpty, let handle = FileHandle(forReadingAtPath: path) else { return [] }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(range.lowerBound))
            return Array(try handle.read(upToCount: range.count) ?? Data())
        }
    }
}

/// wrangler's `trimSqlQuery` on a stream: when the text contains `BEGIN TRANSACTION`, the first literal
/// `BEGIN TRANSACTION;` and then the first literal `COMMIT;` are removed (the wrapper `sqlite3 .dump` writes);
/// if `BEGIN TRANSACTION` still occurs, the text holds several transactions and is refused.
///
/// Instead of building the trimmed text, this finds the byte ranges to leave out, scanning the input a few
/// times with `memmem` (memory bounded by one chunk). Neither pattern contains a newline, so leaving the ranges
/// out keeps every line number.
enum SQLTransactionTrim {
    static let severalTransactions =
        "Wrangler could not process the provided SQL file, as it contains several transactions.\n"
        + "D1 runs your SQL in a transaction for you.\nPlease export an SQL file from your SQLite database and try again."

    private static let beginTransaction = Array("BEGIN TRANSACTION".utf8)
    private static let beginTransactionStatement = Array("BEGIN TRANSACTION;".utf8)
    private static let commit = Array("COMMIT;".utf8)

    /// The sorted, disjoint byte ranges of `input` to leave out.
    /// - Throws: ``CLIFailure`` with wrangler's several-transactions message.
    static func removals(_ input: SQLInput) throws -> [Range<Int>] {
        guard try self.firstMatch(self.beginTransaction, in: input, avoiding: []) != nil else { return [] }
        var removals: [Range<Int>] = []
        if let begin = try self.firstMatch(self.beginTransactionStatement, in: input, avoiding: []) {
            removals += begin
        }
        if let commit = try self.firstMatch(self.commit, in: input, avoiding: removals) {
            removals = self.merge(removals + commit)
        }
        if try self.firstMatch(self.beginTransaction, in: input, avoiding: removals) != nil {
            throw CLIFailure(self.severalTransactions)
        }
        return removals
    }

    /// The original byte ranges of the first occurrence of `pattern` in the text with `avoiding` left out.
    static func firstMatch(_ pattern: [UInt8], in input: SQLInput, avoiding: [Range<Int>]) throws -> [Range<Int>]? {
        var best: [Range<Int>]?
        // Occurrences made only of kept bytes.
        var start = 0
        while let found = try self.nextRaw(pattern, in: input, from: start) {
            let range = found..<found + pattern.count
            if avoiding.contains(where: { $0.overlaps(range) }) {
                start = found + 1
                continue
            }
            best = [range]
            break
        }
        // Occurrences that span a removed range (their bytes meet once the range is gone).
        for gap in avoiding {
            if let bestStart = best?.first?.lowerBound, bestStart < gap.lowerBound - pattern.count { break }
            var window: [(byte: UInt8, offset: Int)] = []
            var before: [(byte: UInt8, offset: Int)] = []
            var cursor = gap.lowerBound
            while before.count < pattern.count - 1 && cursor > 0 {
                cursor -= 1
                if avoiding.contains(where: { $0.contains(cursor) }) { continue }
                before.insert((try input.bytes(in: cursor..<cursor + 1).first ?? 0, cursor), at: 0)
            }
            window += before
            cursor = gap.upperBound
            var after = 0
            let size = try input.size()
            while after < pattern.count - 1 && cursor < size {
                if !avoiding.contains(where: { $0.contains(cursor) }) {
                    window.append((try input.bytes(in: cursor..<cursor + 1).first ?? 0, cursor))
                    after += 1
                }
                cursor += 1
            }
            guard window.count >= pattern.count else { continue }
            for index in 0...(window.count - pattern.count) {
                let slice = window[index..<index + pattern.count]
                guard slice.map(\.byte) == pattern else { continue }
                let offsets = slice.map(\.offset)
                // Only matches that really span the gap; the others were found above.
                guard let first = offsets.first, let last = offsets.last, first < gap.lowerBound, last >= gap.upperBound else {
                    continue
                }
                let ranges = self.merge(offsets.map { $0..<$0 + 1 })
                if let current = best?.first, current.lowerBound <= first { break }
                best = ranges
                break
            }
        }
        return best
    }

    /// The offset of the first occurrence of `pattern` at or after `from`, ignoring removals.
    private static func nextRaw(_ pattern: [UInt8], in input: SQLInput, from: Int) throws -> Int? {
        var carry: [UInt8] = []
        var carryStart = 0
        var result: Int?
        try self.scanChunks(input, from: from) { offset, chunk in
            let haystack = carry + chunk
            let base = carry.isEmpty ? offset : carryStart
            if let index = self.memoryFind(pattern, in: haystack) {
                result = base + index
                return false
            }
            let keep = min(pattern.count - 1, haystack.count)
            carry = Array(haystack.suffix(keep))
            carryStart = base + haystack.count - keep
            return true
        }
        return result
    }

    private static func scanChunks(_ input: SQLInput, from: Int, _ body: (Int, [UInt8]) -> Bool) throws {
        switch input {
        case .bytes(let bytes):
            guard from < bytes.count else { return }
            _ = body(from, Array(bytes[from...]))
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw CLIFailure("Unable to read SQL text file \"\(path)\". Please check the file path and try again.")
            }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(from))
            var offset = from
            while let data = try handle.read(upToCount: SQLInput.chunkSize), !data.isEmpty {
                if !body(offset, Array(data)) { return }
                offset += data.count
            }
        }
    }

    private static func memoryFind(_ pattern: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= pattern.count else { return nil }
        // Foundation's search is compiled code, fast even in debug builds of this package.
        let data = Data(haystack)
        return data.range(of: Data(pattern)).map { $0.lowerBound - data.startIndex }
    }

    static func merge(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var merged: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, last.upperBound >= range.lowerBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }
}

/// The statements of an ``SQLInput`` with some byte ranges left out, split by ``SQLSplitter`` one chunk at a
/// time: memory is bounded by the largest statement (plus one chunk).
struct SQLInputStatements: SQLStatementSource {
    private let input: SQLInput
    private let removals: [Range<Int>]
    private var splitter = SQLSplitter()
    private var pending: [SQLSplitter.Statement] = []
    private var pendingIndex = 0
    private var handle: FileHandle?
    private var offset = 0
    private var finished = false

    init(_ input: SQLInput, removing removals: [Range<Int>] = []) {
        self.input = input
        self.removals = removals
    }

    mutating func nextStatement() throws(D1ScriptError) -> SQLSplitter.Statement? {
        while self.pendingIndex >= self.pending.count {
            if self.finished { return nil }
            self.pending = []
            self.pendingIndex = 0
            guard let chunk = try self.readChunk() else {
                self.finished = true
                try? self.handle?.close()
                self.pending = self.splitter.finish()
                continue
            }
            self.pending = self.splitter.append(self.keep(chunk, at: self.offset - chunk.count))
        }
        defer { self.pendingIndex += 1 }
        return self.pending[self.pendingIndex]
    }

    private mutating func readChunk() throws(D1ScriptError) -> [UInt8]? {
        switch self.input {
        case .bytes(let bytes):
            guard self.offset < bytes.count else { return nil }
            let end = min(self.offset + SQLInput.chunkSize, bytes.count)
            defer { self.offset = end }
            return Array(bytes[self.offset..<end])
        case .file(let path):
            if self.handle == nil {
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    throw D1ScriptError(message: "Unable to read SQL text file \"\(path)\". Please check the file path and try again.")
                }
                self.handle = handle
            }
            do {
                guard let data = try self.handle?.read(upToCount: SQLInput.chunkSize), !data.isEmpty else { return nil }
                self.offset += data.count
                return Array(data)
            } catch {
                throw D1ScriptError(message: "Unable to read SQL text file \"\(path)\": \(error.localizedDescription)")
            }
        }
    }

    /// `chunk` (starting at `start`) without the removed bytes.
    private func keep(_ chunk: [UInt8], at start: Int) -> [UInt8] {
        let end = start + chunk.count
        let relevant = self.removals.filter { $0.overlaps(start..<end) }
        guard !relevant.isEmpty else { return chunk }
        var out: [UInt8] = []
        out.reserveCapacity(chunk.count)
        var cursor = start
        for range in relevant {
            if range.lowerBound > cursor { out += chunk[(cursor - start)..<(range.lowerBound - start)] }
            cursor = max(cursor, range.upperBound)
        }
        if cursor < end { out += chunk[(cursor - start)...] }
        return out
    }
}
