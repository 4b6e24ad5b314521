import Foundation

/// The patterns of a top-level `.assetsignore` file: gitignore rules as the `ignore` npm package reads them
/// (platform-next.md 8.7), matched against paths relative to the assets directory.
struct AssetIgnore: Sendable {
    private struct Rule: @unchecked Sendable {
        var regex: NSRegularExpression
        var negated: Bool
        var directoryOnly: Bool
    }

    private var rules: [Rule] = []

    /// No patterns: nothing is ignored.
    init() {}

    /// Parses the text of an `.assetsignore` file, one pattern per line (split on `"\n"`).
    init(text: String) {
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            // Trailing spaces are ignored unless escaped with a backslash.
            while line.hasSuffix(" ") && !line.hasSuffix("\\ ") { line = line.dropLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            var negated = false
            if line.hasPrefix("!") {
                negated = true
                line = line.dropFirst()
            } else if line.hasPrefix("\\!") || line.hasPrefix("\\#") {
                line = line.dropFirst()
            }
            var directoryOnly = false
            if line.hasSuffix("/") {
                directoryOnly = true
                line = line.dropLast()
            }
            guard !line.isEmpty, let regex = Self.regex(for: line) else { continue }
            self.rules.append(Rule(regex: regex, negated: negated, directoryOnly: directoryOnly))
        }
    }

    /// Whether `path` (relative, `/`-separated, no leading slash) is ignored: the last rule matching the file or one
    /// of its parent directories decides, and a file inside an ignored directory stays ignored.
    func ignores(_ path: String) -> Bool {
        guard !self.rules.isEmpty else { return false }
        let components = path.split(separator: "/")
        var prefix = ""
        for component in components.dropLast() {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            if self.decision(for: prefix, isDirectory: true) { return true }
        }
        return self.decision(for: path, isDirectory: false)
    }

    private func decision(for path: String, isDirectory: Bool) -> Bool {
        var ignored = false
        let range = NSRange(path.startIndex..<path.endIndex, in: path)
        for rule in self.rules where !rule.directoryOnly || isDirectory {
            if rule.regex.firstMatch(in: path, range: range) != nil {
                ignored = !rule.negated
            }
        }
        return ignored
    }

    /// Translates one gitignore pattern (without `!` and trailing `/`) into an anchored regular expression.
    private static func regex(for pattern: Substring) -> NSRegularExpression? {
        var text = Array(pattern)
        // A slash at the start or in the middle anchors the pattern to the directory root.
        let anchored = text.first == "/" || text.dropLast().contains("/")
        if text.first == "/" { text.removeFirst() }
        var body = ""
        var index = 0
        while index < text.count {
            let character = text[index]
            switch character {
            case "*":
                if index + 1 < text.count, text[index + 1] == "*" {
                    let atStart = index == 0
                    let followedBySlash = index + 2 < text.count && text[index + 2] == "/"
                    let atEnd = index + 2 == text.count
                    if atStart && followedBySlash {
                        body += "(?:.*/)?"
                        index += 3
                    } else if followedBySlash && index > 0 && text[index - 1] == "/" {
                        body += "(?:.*/)?"
                        index += 3
                    } else if atEnd {
                        body += ".*"
                        index += 2
                    } else {
                        body += "[^/]*"
                        index += 2
                    }
                } else {
                    body += "[^/]*"
                    index += 1
                }
            case "?":
                body += "[^/]"
                index += 1
            case "[":
                if let close = text[(index + 1)...].firstIndex(of: "]"), close > index + 1 {
                    var set = String(text[(index + 1)..<close])
                    if set.hasPrefix("!") { set = "^" + set.dropFirst() }
                    body += "[" + set.replacingOccurrences(of: "\\", with: "\\\\") + "]"
                    index = close + 1
                } else {
                    body += "\\["
                    index += 1
                }
            case "\\":
                if index + 1 < text.count {
                    body += NSRegularExpression.escapedPattern(for: String(text[index + 1]))
                    index += 2
                } else {
                    index += 1
                }
            default:
                body += NSRegularExpression.escapedPattern(for: String(character))
                index += 1
            }
        }
        let full = anchored ? "^" + body + "$" : "^(?:.*/)?" + body + "$"
        return try? NSRegularExpression(pattern: full)
    }
}
