/// A 1-based line and column in a text file.
struct SourcePosition: Sendable, Hashable {
    var line: Int
    var column: Int
}

/// Key paths as rendered in messages: `env.staging.d1_databases[0].binding`; keys that are not bare are quoted.
enum KeyPathText {
    static func child(_ parent: String, _ key: String) -> String {
        let rendered = self.isBare(key) ? key : self.quoted(key)
        return parent.isEmpty ? rendered : parent + "." + rendered
    }

    static func index(_ parent: String, _ index: Int) -> String {
        "\(parent)[\(index)]"
    }

    static func isBare(_ key: String) -> Bool {
        !key.isEmpty
            && key.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
                default: false
                }
            }
    }

    static func quoted(_ key: String) -> String {
        var out = "\""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Where each key, table header and array element of a TOML document was written.
///
/// TOMLKit gives values but no positions, and its tables are sorted by key. This scanner re-reads the (already
/// validated) text lexically and records, for every key path, the position of the key and of its value plus the
/// order of first appearance, so that errors can name a line and tables can keep document order.
struct SourceLocator: Sendable {
    struct Entry: Sendable, Hashable {
        /// Where the key (or table header, or array element) starts.
        var key: SourcePosition
        /// Where the value starts (the header for tables declared with `[...]`).
        var value: SourcePosition
        /// Order of first appearance in the document.
        var order: Int
    }

    private(set) var entries: [String: Entry] = [:]

    init(text: String) {
        var scanner = Scanner(text: text)
        scanner.run()
        self.entries = scanner.entries
    }

    /// The entry recorded for `path`, or, when the path was only created implicitly, the earliest entry below it.
    func entry(for path: String) -> Entry? {
        if let entry = self.entries[path] { return entry }
        var best: Entry?
        for (candidate, entry) in self.entries
        where candidate.hasPrefix(path + ".") || candidate.hasPrefix(path + "[") {
            if best.map({ entry.order < $0.order }) ?? true {
                best = entry
            }
        }
        return best
    }

    /// The order of first appearance of `path`, if it was seen.
    func order(of path: String) -> Int? {
        self.entry(for: path)?.order
    }
}

// MARK: - Scanner

private struct Scanner {
    let scalars: [Unicode.Scalar]
    var index = 0
    var line = 1
    var column = 1
    var currentTable = ""
    var arrayOfTablesCounts: [String: Int] = [:]
    var entries: [String: SourceLocator.Entry] = [:]
    var counter = 0

    init(text: String) {
        self.scalars = Array(text.unicodeScalars)
    }

    var current: Unicode.Scalar? {
        self.index < self.scalars.count ? self.scalars[self.index] : nil
    }

    func peek(_ offset: Int) -> Unicode.Scalar? {
        let position = self.index + offset
        return position < self.scalars.count ? self.scalars[position] : nil
    }

    var position: SourcePosition { SourcePosition(line: self.line, column: self.column) }

    mutating func advance() {
        guard let scalar = self.current else { return }
        if scalar == "\n" {
            self.line += 1
            self.column = 1
        } else {
            self.column += 1
        }
        self.index += 1
    }

    mutating func record(_ path: String, key: SourcePosition, value: SourcePosition, replace: Bool) {
        if var existing = self.entries[path] {
            guard replace else { return }
            existing.key = key
            existing.value = value
            self.entries[path] = existing
            return
        }
        self.entries[path] = SourceLocator.Entry(key: key, value: value, order: self.counter)
        self.counter += 1
    }

    // MARK: Document level

    mutating func run() {
        if self.current == "\u{FEFF}" { self.advance() }
        while self.current != nil {
            let before = self.index
            self.skipTrivia()
            guard let scalar = self.current else { break }
            if scalar == "[" {
                self.header()
            } else {
                self.keyValue(base: self.currentTable)
                self.skipRestOfLine()
            }
            if self.index == before { self.advance() }
        }
    }

    /// Skips spaces, tabs, newlines and comments.
    mutating func skipTrivia() {
        while let scalar = self.current {
            switch scalar {
            case " ", "\t", "\r", "\n":
                self.advance()
            case "#":
                while let c = self.current, c != "\n" { self.advance() }
            default:
                return
            }
        }
    }

    mutating func skipInlineSpace() {
        while self.current == " " || self.current == "\t" { self.advance() }
    }

    mutating func skipRestOfLine() {
        while let scalar = self.current, scalar != "\n" { self.advance() }
    }

    mutating func header() {
        let start = self.position
        self.advance()
        let isArray = self.current == "["
        if isArray { self.advance() }
        self.skipInlineSpace()
        let keys = self.key()
        self.skipRestOfLine()

        var path = ""
        for (offset, key) in keys.enumerated() {
            path = KeyPathText.child(path, key)
            if offset == keys.count - 1 && isArray {
                let next = self.arrayOfTablesCounts[path, default: 0]
                self.arrayOfTablesCounts[path] = next + 1
                self.record(path, key: start, value: start, replace: false)
                path = KeyPathText.index(path, next)
                self.record(path, key: start, value: start, replace: false)
            } else {
                if let count = self.arrayOfTablesCounts[path] {
                    path = KeyPathText.index(path, count - 1)
                }
                // An explicit `[table]` header is the best place to point at, even after implicit creation.
                self.record(path, key: start, value: start, replace: offset == keys.count - 1)
            }
        }
        self.currentTable = path
    }

    /// Reads a dotted key and returns its decoded parts.
    mutating func key() -> [String] {
        var parts: [String] = []
        while true {
            self.skipInlineSpace()
            switch self.current {
            case "\"":
                parts.append(self.singleLineString(quote: "\"", escapes: true))
            case "'":
                parts.append(self.singleLineString(quote: "'", escapes: false))
            default:
                var bare = ""
                while let scalar = self.current, !" \t=.]#\r\n\"'".unicodeScalars.contains(scalar) {
                    bare.unicodeScalars.append(scalar)
                    self.advance()
                }
                parts.append(bare)
            }
            self.skipInlineSpace()
            if self.current == "." {
                self.advance()
                continue
            }
            return parts
        }
    }

    mutating func keyValue(base: String) {
        let keyStart = self.position
        let keys = self.key()
        self.skipInlineSpace()
        guard self.current == "=" else { return }
        self.advance()
        self.skipInlineSpace()
        var path = base
        for (offset, key) in keys.enumerated() {
            path = KeyPathText.child(path, key)
            if offset < keys.count - 1 {
                self.record(path, key: keyStart, value: keyStart, replace: false)
            }
        }
        self.record(path, key: keyStart, value: self.position, replace: false)
        self.value(path: path)
    }

    // MARK: Values

    mutating func value(path: String) {
        switch self.current {
        case "\"":
            if self.peek(1) == "\"" && self.peek(2) == "\"" {
                self.multiLineString(quote: "\"")
            } else {
                _ = self.singleLineString(quote: "\"", escapes: true)
            }
        case "'":
            if self.peek(1) == "'" && self.peek(2) == "'" {
                self.multiLineString(quote: "'")
            } else {
                _ = self.singleLineString(quote: "'", escapes: false)
            }
        case "[":
            self.advance()
            var elementIndex = 0
            while self.current != nil {
                let before = self.index
                self.skipTrivia()
                guard let next = self.current else { break }
                if next == "]" {
                    self.advance()
                    return
                }
                if next == "," {
                    self.advance()
                    continue
                }
                let elementPath = KeyPathText.index(path, elementIndex)
                self.record(elementPath, key: self.position, value: self.position, replace: false)
                self.value(path: elementPath)
                elementIndex += 1
                if self.index == before { self.advance() }
            }
        case "{":
            self.advance()
            while self.current != nil {
                let before = self.index
                self.skipTrivia()
                guard let next = self.current else { break }
                if next == "}" {
                    self.advance()
                    return
                }
                if next == "," {
                    self.advance()
                    continue
                }
                self.keyValue(base: path)
                if self.index == before { self.advance() }
            }
        default:
            while let scalar = self.current, !",]}#\r\n".unicodeScalars.contains(scalar) {
                self.advance()
            }
        }
    }

    /// Reads a one-line string starting at its opening quote and returns its decoded content.
    mutating func singleLineString(quote: Unicode.Scalar, escapes: Bool) -> String {
        self.advance()
        var out = ""
        while let scalar = self.current, scalar != "\n" {
            if scalar == quote {
                self.advance()
                return out
            }
            if escapes && scalar == "\\" {
                self.advance()
                out += self.escape()
                continue
            }
            out.unicodeScalars.append(scalar)
            self.advance()
        }
        return out
    }

    /// Decodes the escape after a backslash (the backslash already consumed).
    mutating func escape() -> String {
        guard let scalar = self.current else { return "" }
        self.advance()
        switch scalar {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "e": return "\u{1B}"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let length = scalar == "u" ? 4 : 8
            var hex = ""
            for _ in 0..<length {
                guard let digit = self.current, digit.properties.isASCIIHexDigit else { break }
                hex.unicodeScalars.append(digit)
                self.advance()
            }
            if let code = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(code) {
                return String(Character(decoded))
            }
            return ""
        default:
            return String(Character(scalar))
        }
    }

    /// Skips a `"""` or `'''` string, starting at the first of its opening quotes.
    mutating func multiLineString(quote: Unicode.Scalar) {
        self.advance()
        self.advance()
        self.advance()
        while let scalar = self.current {
            if quote == "\"" && scalar == "\\" {
                self.advance()
                self.advance()
                continue
            }
            if scalar == quote && self.peek(1) == quote && self.peek(2) == quote {
                self.advance()
                self.advance()
                self.advance()
                // Up to two more quotes belong to the content (`""""` closes after one content quote).
                var extra = 0
                while self.current == quote && extra < 2 {
                    self.advance()
                    extra += 1
                }
                return
            }
            self.advance()
        }
    }
}
