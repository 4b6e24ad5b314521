/// Splits SQL text into statements in one linear pass, the way `wrangler d1 execute --file` does.
///
/// The splitter understands `'…'` strings, `"…"`, `` `…` `` and `[…]` quoted identifiers, `--` line comments and
/// `/* … */` block comments, and the `BEGIN … END` body of `CREATE [TEMP] TRIGGER` (semicolons inside the body,
/// including inside nested `CASE … END`, do not end the statement). Statements are returned without their
/// terminating `;`, starting at their first token and without trailing whitespace; statements that are empty or
/// hold only comments are dropped. Comments inside a statement are kept.
///
/// Use ``split(_:)`` for a whole text, or feed chunks with ``append(_:)`` and call ``finish()`` to split a
/// stream with memory bounded by the largest statement.
public struct SQLSplitter: Sendable {
    /// One statement and the 1-based line on which its first token starts.
    public struct Statement: Sendable, Hashable {
        public var text: String
        public var line: Int

        public init(text: String, line: Int) {
            self.text = text
            self.line = line
        }
    }

    private enum Mode: Sendable {
        case normal, singleQuote, doubleQuote, backtick, bracket, lineComment, blockComment
    }

    private enum Header: Sendable {
        case start, afterCreate, afterTemp, trigger, other
    }

    private var mode = Mode.normal
    /// A `-` or `/` seen in normal mode that may open a comment.
    private var pending: UInt8?
    private var pendingLine = 1
    /// In a block comment: the previous byte was `*`.
    private var commentStar = false
    private var buffer: [UInt8] = []
    private var hasContent = false
    private var line = 1
    private var startLine = 1
    private var word: [UInt8] = []
    /// The current word is longer than any keyword the splitter looks for.
    private var wordTooLong = false
    private var header = Header.start
    /// `BEGIN`/`CASE` nesting inside a trigger body.
    private var depth = 0

    public init() {}

    /// Splits `sql` into statement texts.
    public static func split(_ sql: String) -> [String] {
        self.statements(sql).map(\.text)
    }

    /// Splits `sql` into statements with their starting line numbers.
    public static func statements(_ sql: String) -> [Statement] {
        var splitter = SQLSplitter()
        var result = splitter.append(sql.utf8)
        result += splitter.finish()
        return result
    }

    /// Feeds the next chunk of UTF-8 text; returns the statements completed by it.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [Statement] {
        var out: [Statement] = []
        for byte in bytes { self.process(byte, into: &out) }
        return out
    }

    /// Ends the input; returns the last statement if it was not terminated by `;`. The splitter is reset.
    public mutating func finish() -> [Statement] {
        var out: [Statement] = []
        if self.mode == .normal, let pending = self.pending {
            self.pending = nil
            self.content(pending, line: self.pendingLine, into: &out)
        }
        self.endWord()
        self.emit(into: &out)
        self = SQLSplitter()
        return out
    }

    // MARK: - State machine

    private mutating func process(_ byte: UInt8, into out: inout [Statement]) {
        switch self.mode {
        case .lineComment:
            if self.hasContent { self.buffer.append(byte) }
            if byte == UInt8(ascii: "\n") { self.mode = .normal }
        case .blockComment:
            if self.hasContent { self.buffer.append(byte) }
            if self.commentStar && byte == UInt8(ascii: "/") {
                self.mode = .normal
            }
            self.commentStar = byte == UInt8(ascii: "*")
        case .singleQuote:
            self.buffer.append(byte)
            if byte == UInt8(ascii: "'") { self.mode = .normal }
        case .doubleQuote:
            self.buffer.append(byte)
            if byte == UInt8(ascii: "\"") { self.mode = .normal }
        case .backtick:
            self.buffer.append(byte)
            if byte == UInt8(ascii: "`") { self.mode = .normal }
        case .bracket:
            self.buffer.append(byte)
            if byte == UInt8(ascii: "]") { self.mode = .normal }
        case .normal:
            self.normal(byte, into: &out)
        }
        if byte == UInt8(ascii: "\n") { self.line += 1 }
    }

    private mutating func normal(_ byte: UInt8, into out: inout [Statement]) {
        if let pending = self.pending {
            self.pending = nil
            if pending == UInt8(ascii: "-") && byte == UInt8(ascii: "-") {
                self.endWord()
                if self.hasContent { self.buffer.append(contentsOf: [pending, byte]) }
                self.mode = .lineComment
                return
            }
            if pending == UInt8(ascii: "/") && byte == UInt8(ascii: "*") {
                self.endWord()
                if self.hasContent { self.buffer.append(contentsOf: [pending, byte]) }
                self.mode = .blockComment
                self.commentStar = false
                return
            }
            self.content(pending, line: self.pendingLine, into: &out)
        }
        if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/") {
            self.pending = byte
            self.pendingLine = self.line
            return
        }
        self.content(byte, line: self.line, into: &out)
    }

    /// A byte in normal mode that is not part of a comment opener.
    private mutating func content(_ byte: UInt8, line: Int, into out: inout [Statement]) {
        if Self.isWhitespace(byte) {
            self.endWord()
            if self.hasContent { self.buffer.append(byte) }
            return
        }
        if byte == UInt8(ascii: ";") {
            self.endWord()
            if self.header == .trigger && self.depth > 0 {
                self.buffer.append(byte)
            } else {
                self.emit(into: &out)
            }
            return
        }
        if !self.hasContent {
            self.hasContent = true
            self.startLine = line
        }
        self.buffer.append(byte)
        if Self.isWordByte(byte) {
            if self.word.count < 16 { self.word.append(byte) } else { self.wordTooLong = true }
            return
        }
        self.endWord()
        self.token(word: nil)
        switch byte {
        case UInt8(ascii: "'"): self.mode = .singleQuote
        case UInt8(ascii: "\""): self.mode = .doubleQuote
        case UInt8(ascii: "`"): self.mode = .backtick
        case UInt8(ascii: "["): self.mode = .bracket
        default: break
        }
    }

    private mutating func endWord() {
        guard !self.word.isEmpty else { return }
        let upper =
            self.wordTooLong ? "" : String(decoding: self.word.map { $0 >= 0x61 && $0 <= 0x7a ? $0 - 0x20 : $0 }, as: UTF8.self)
        self.word.removeAll(keepingCapacity: true)
        self.wordTooLong = false
        self.token(word: upper)
    }

    /// Advances the `CREATE [TEMP] TRIGGER … BEGIN … END` tracking by one token (`nil` for a non-word token).
    private mutating func token(word: String?) {
        switch self.header {
        case .start:
            self.header = word == "CREATE" ? .afterCreate : .other
        case .afterCreate:
            switch word {
            case "TEMP", "TEMPORARY": self.header = .afterTemp
            case "TRIGGER": self.header = .trigger
            default: self.header = .other
            }
        case .afterTemp:
            self.header = word == "TRIGGER" ? .trigger : .other
        case .trigger:
            switch word {
            case "BEGIN" where self.depth == 0: self.depth = 1
            case "CASE" where self.depth > 0: self.depth += 1
            case "END" where self.depth > 0: self.depth -= 1
            default: break
            }
        case .other:
            break
        }
    }

    private mutating func emit(into out: inout [Statement]) {
        if self.hasContent {
            var end = self.buffer.count
            while end > 0, Self.isWhitespace(self.buffer[end - 1]) { end -= 1 }
            out.append(Statement(text: String(decoding: self.buffer[..<end], as: UTF8.self), line: self.startLine))
        }
        self.buffer.removeAll(keepingCapacity: true)
        self.hasContent = false
        self.header = .start
        self.depth = 0
        self.word.removeAll(keepingCapacity: true)
        self.wordTooLong = false
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0c || byte == 0x0d
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "_"), UInt8(ascii: "$"), 0x80...0xff:
            true
        default:
            false
        }
    }
}

extension SQLSplitter {
    /// Whether `bytes` hold no SQL statement for SQLite: only whitespace, comments and semicolons.
    static func isBlank(_ bytes: some Collection<UInt8>) -> Bool {
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if Self.isWhitespace(byte) || byte == UInt8(ascii: ";") {
                index = bytes.index(after: index)
                continue
            }
            let next = bytes.index(after: index)
            guard next != bytes.endIndex else { return false }
            if byte == UInt8(ascii: "-") && bytes[next] == UInt8(ascii: "-") {
                // Line comment: up to the newline (or the end).
                index = bytes[next...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
                continue
            }
            if byte == UInt8(ascii: "/") && bytes[next] == UInt8(ascii: "*") {
                // Block comment: up to `*/`; an unterminated one runs to the end, as in SQLite's tokenizer.
                var cursor = bytes.index(after: next)
                var closed = false
                while cursor != bytes.endIndex {
                    let after = bytes.index(after: cursor)
                    if bytes[cursor] == UInt8(ascii: "*"), after != bytes.endIndex, bytes[after] == UInt8(ascii: "/") {
                        cursor = bytes.index(after: after)
                        closed = true
                        break
                    }
                    cursor = after
                }
                index = closed ? cursor : bytes.endIndex
                continue
            }
            return false
        }
        return true
    }
}
