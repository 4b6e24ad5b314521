import Foundation

/// A parser for dotenv files (`.dev.vars`, `.env`), following the `dotenv` package wrangler uses.
///
/// - `KEY=VALUE` (or `KEY: VALUE`), optional `export ` prefix, keys of letters, digits, `_`, `.` and `-`;
/// - blank lines and `#` comments; an unquoted value ends at ` #` and is trimmed;
/// - values in `'…'`, `"…"` or `` `…` `` may span lines; in double quotes `\n` and `\r` become newline and CR;
/// - a later assignment of the same key wins; lines that are not assignments are skipped with a warning.
enum DotEnv {
    struct Entry: Sendable, Hashable {
        var key: String
        var value: String
        /// The quote the value was written in (`'`, `"`, `` ` ``), if any; single-quoted values are not expanded.
        var quote: Character?
        var line: Int
    }

    struct Parsed: Sendable {
        var entries: [Entry] = []
        /// `file:line: …` warnings for skipped lines.
        var warnings: [String] = []
    }

    static func parse(_ text: String, file: String) -> Parsed {
        var parsed = Parsed()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        var line = 1

        func skip(while predicate: (Unicode.Scalar) -> Bool) {
            while index < scalars.count, predicate(scalars[index]) {
                if scalars[index] == "\n" { line += 1 }
                index += 1
            }
        }
        func restOfLine() -> String {
            var out = ""
            while index < scalars.count, scalars[index] != "\n" {
                out.unicodeScalars.append(scalars[index])
                index += 1
            }
            return out
        }

        while index < scalars.count {
            skip { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
            guard index < scalars.count else { break }
            let startLine = line
            if scalars[index] == "#" {
                _ = restOfLine()
                continue
            }
            // `export ` prefix.
            if self.hasPrefix(scalars, at: index, "export"), index + 6 < scalars.count,
                scalars[index + 6] == " " || scalars[index + 6] == "\t"
            {
                index += 6
                skip { $0 == " " || $0 == "\t" }
            }
            var key = ""
            while index < scalars.count, self.isKeyScalar(scalars[index]) {
                key.unicodeScalars.append(scalars[index])
                index += 1
            }
            skip { $0 == " " || $0 == "\t" }
            var isAssignment = false
            if !key.isEmpty, index < scalars.count {
                if scalars[index] == "=" {
                    isAssignment = true
                    index += 1
                } else if scalars[index] == ":", index + 1 < scalars.count, scalars[index + 1] == " " || scalars[index + 1] == "\t" {
                    isAssignment = true
                    index += 1
                }
            }
            guard isAssignment else {
                let text = restOfLine()
                let shown = (key + text).trimmingSpaces()
                if !shown.isEmpty {
                    parsed.warnings.append("\(file):\(startLine): skipped a line that is not KEY=VALUE")
                }
                continue
            }
            skip { $0 == " " || $0 == "\t" }
            var value = ""
            var quote: Character?
            if index < scalars.count, ["'", "\"", "`"].contains(scalars[index]) {
                let opening = scalars[index]
                // Find the closing quote (a backslash-escaped quote does not close); the rest of that line may hold
                // only spaces and a comment.
                var probe = index + 1
                var probeLine = line
                var closing: Int?
                while probe < scalars.count {
                    let scalar = scalars[probe]
                    if scalar == "\\" && probe + 1 < scalars.count && scalars[probe + 1] == opening {
                        probe += 2
                        continue
                    }
                    if scalar == opening {
                        closing = probe
                        break
                    }
                    if scalar == "\n" { probeLine += 1 }
                    probe += 1
                }
                if let closing, self.onlyCommentFollows(scalars, after: closing) {
                    for scalar in scalars[(index + 1)..<closing] { value.unicodeScalars.append(scalar) }
                    quote = Character(opening)
                    index = closing + 1
                    line = probeLine
                    _ = restOfLine()
                    if opening == "\"" {
                        value = value.replacingEscapes()
                    }
                } else {
                    value = self.unquoted(restOfLine())
                }
            } else {
                value = self.unquoted(restOfLine())
            }
            parsed.entries.append(Entry(key: key, value: value, quote: quote, line: startLine))
        }
        return parsed
    }

    /// `${NAME}`, `${NAME:-default}` and `$NAME` replaced by `lookup(NAME)` (empty when unknown); `\$` is a literal `$`.
    static func expand(_ value: String, lookup: (String) -> String?) -> String {
        let scalars = Array(value.unicodeScalars)
        var out = ""
        var index = 0
        func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", "_": true
            default: false
            }
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\" && index + 1 < scalars.count && scalars[index + 1] == "$" {
                out += "$"
                index += 2
                continue
            }
            guard scalar == "$", index + 1 < scalars.count else {
                out.unicodeScalars.append(scalar)
                index += 1
                continue
            }
            if scalars[index + 1] == "{", let close = scalars[(index + 2)...].firstIndex(of: "}") {
                var inner = ""
                for s in scalars[(index + 2)..<close] { inner.unicodeScalars.append(s) }
                var name = inner
                var fallback: String?
                if let range = inner.range(of: ":-") {
                    name = String(inner[..<range.lowerBound])
                    fallback = String(inner[range.upperBound...])
                }
                let found = lookup(name)
                out += (found?.isEmpty == false ? found : nil) ?? fallback ?? found ?? ""
                index = close + 1
                continue
            }
            var end = index + 1
            while end < scalars.count, isNameScalar(scalars[end]) { end += 1 }
            if end == index + 1 {
                out += "$"
                index += 1
                continue
            }
            var name = ""
            for s in scalars[(index + 1)..<end] { name.unicodeScalars.append(s) }
            out += lookup(name) ?? ""
            index = end
        }
        return out
    }

    // MARK: Helpers

    private static func isKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", ".", "-": true
        default: false
        }
    }

    private static func hasPrefix(_ scalars: [Unicode.Scalar], at index: Int, _ prefix: String) -> Bool {
        var position = index
        for scalar in prefix.unicodeScalars {
            guard position < scalars.count, scalars[position] == scalar else { return false }
            position += 1
        }
        return true
    }

    private static func onlyCommentFollows(_ scalars: [Unicode.Scalar], after index: Int) -> Bool {
        var position = index + 1
        while position < scalars.count {
            switch scalars[position] {
            case " ", "\t", "\r": position += 1
            case "\n", "#": return true
            default: return false
            }
        }
        return true
    }

    /// An unquoted value: up to a `#` comment, trimmed.
    private static func unquoted(_ raw: String) -> String {
        var text = raw
        if let hash = text.firstIndex(of: "#") {
            text = String(text[..<hash])
        }
        return text.trimmingSpaces()
    }
}

extension String {
    /// Trims spaces, tabs and carriage returns at both ends.
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = self.firstIndex(where: { !isSpace($0) }), let end = self.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }

    /// dotenv's double-quote processing: `\n` → newline, `\r` → carriage return; nothing else is unescaped.
    fileprivate func replacingEscapes() -> String {
        var out = ""
        var iterator = self.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "\\" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            guard let next = iterator.next() else {
                out += "\\"
                break
            }
            switch next {
            case "n": out += "\n"
            case "r": out += "\r"
            default:
                out += "\\"
                out.unicodeScalars.append(next)
            }
        }
        return out
    }
}
