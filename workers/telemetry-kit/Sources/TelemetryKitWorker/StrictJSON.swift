/// A JSON document parsed the way `serde_json` reads it: numbers keep their integer/float nature and their text,
/// every value knows where it ends (for serde's `at line L column C` suffixes), and errors use serde's wording.
///
/// The telemetry body is decoded from this tree into typed values (``IngestBatch``); `event.data` is written back
/// as compact JSON from it.
struct JSONNode: Sendable {
    indirect enum Value: Sendable {
        case null
        case bool(Bool)
        case number(JSONNumber)
        case string(String)
        case array([JSONNode])
        case object([(key: String, value: JSONNode)])
    }

    var value: Value
    /// Byte offset just after the value.
    var end: Int
}

/// A JSON number as serde_json classifies it: non-negative integers that fit `u64`, negative integers that fit
/// `i64`, and everything else as a double. `text` is the number as written.
struct JSONNumber: Sendable {
    enum Kind: Sendable {
        case unsigned(UInt64)
        case negative(Int64)
        case float(Double)
    }

    var kind: Kind
    var text: String
}

/// A serde_json error message, without the `Invalid JSON: ` prefix the handler adds.
struct StrictJSONError: Error, Sendable, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}

/// The parser. `parse(_:)` reads one document and rejects trailing characters.
struct StrictJSONParser {
    /// serde_json's recursion limit.
    static let maximumDepth = 128

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses a whole document.
    static func parse(_ bytes: [UInt8]) throws(StrictJSONError) -> JSONNode {
        var parser = StrictJSONParser(bytes)
        let node = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count { throw parser.error("trailing characters", at: parser.index + 1) }
        return node
    }

    /// `message at line L column C` for a position given as a count of consumed bytes.
    static func locate(_ message: String, in bytes: [UInt8], consumed: Int) -> StrictJSONError {
        var line = 1
        var lineStart = 0
        for position in 0..<min(consumed, bytes.count) where bytes[position] == UInt8(ascii: "\n") {
            line += 1
            lineStart = position + 1
        }
        return StrictJSONError(message: "\(message) at line \(line) column \(max(0, consumed - lineStart))")
    }

    private func error(_ message: String, at consumed: Int) -> StrictJSONError {
        Self.locate(message, in: self.bytes, consumed: consumed)
    }

    private var eofPosition: Int { self.bytes.count }

    private mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): self.index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(StrictJSONError) -> JSONNode {
        self.skipWhitespace()
        guard self.index < self.bytes.count else { throw self.error("EOF while parsing a value", at: self.eofPosition) }
        switch self.bytes[self.index] {
        case UInt8(ascii: "n"):
            try self.literal("null")
            return JSONNode(value: .null, end: self.index)
        case UInt8(ascii: "t"):
            try self.literal("true")
            return JSONNode(value: .bool(true), end: self.index)
        case UInt8(ascii: "f"):
            try self.literal("false")
            return JSONNode(value: .bool(false), end: self.index)
        case UInt8(ascii: "\""):
            let text = try self.parseString()
            return JSONNode(value: .string(text), end: self.index)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let number = try self.parseNumber()
            return JSONNode(value: .number(number), end: self.index)
        case UInt8(ascii: "["):
            return try self.nested { parser throws(StrictJSONError) in try parser.parseArray() }
        case UInt8(ascii: "{"):
            return try self.nested { parser throws(StrictJSONError) in try parser.parseObject() }
        default:
            throw self.error("expected value", at: self.index + 1)
        }
    }

    private mutating func nested(
        _ body: (inout StrictJSONParser) throws(StrictJSONError) -> JSONNode
    ) throws(StrictJSONError) -> JSONNode {
        self.depth += 1
        guard self.depth <= Self.maximumDepth else { throw self.error("recursion limit exceeded", at: self.index + 1) }
        let node = try body(&self)
        self.depth -= 1
        return node
    }

    private mutating func literal(_ word: StaticString) throws(StrictJSONError) {
        let expected = word.withUTF8Buffer { Array($0) }
        for byte in expected {
            guard self.index < self.bytes.count else { throw self.error("EOF while parsing a value", at: self.eofPosition) }
            guard self.bytes[self.index] == byte else { throw self.error("expected ident", at: self.index + 1) }
            self.index += 1
        }
    }

    private mutating func parseArray() throws(StrictJSONError) -> JSONNode {
        self.index += 1
        var elements: [JSONNode] = []
        self.skipWhitespace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
            self.index += 1
            return JSONNode(value: .array(elements), end: self.index)
        }
        while true {
            elements.append(try self.parseValue())
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw self.error("EOF while parsing a list", at: self.eofPosition) }
            switch self.bytes[self.index] {
            case UInt8(ascii: ","):
                self.index += 1
                self.skipWhitespace()
                if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
                    throw self.error("trailing comma", at: self.index + 1)
                }
            case UInt8(ascii: "]"):
                self.index += 1
                return JSONNode(value: .array(elements), end: self.index)
            default:
                throw self.error("expected `,` or `]`", at: self.index + 1)
            }
        }
    }

    private mutating func parseObject() throws(StrictJSONError) -> JSONNode {
        self.index += 1
        var members: [(key: String, value: JSONNode)] = []
        self.skipWhitespace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
            self.index += 1
            return JSONNode(value: .object(members), end: self.index)
        }
        while true {
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw self.error("EOF while parsing an object", at: self.eofPosition) }
            guard self.bytes[self.index] == UInt8(ascii: "\"") else {
                if self.bytes[self.index] == UInt8(ascii: "}") { throw self.error("trailing comma", at: self.index + 1) }
                throw self.error("key must be a string", at: self.index + 1)
            }
            let key = try self.parseString()
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw self.error("EOF while parsing an object", at: self.eofPosition) }
            guard self.bytes[self.index] == UInt8(ascii: ":") else { throw self.error("expected `:`", at: self.index + 1) }
            self.index += 1
            members.append((key, try self.parseValue()))
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw self.error("EOF while parsing an object", at: self.eofPosition) }
            switch self.bytes[self.index] {
            case UInt8(ascii: ","):
                self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return JSONNode(value: .object(members), end: self.index)
            default:
                throw self.error("expected `,` or `}`", at: self.index + 1)
            }
        }
    }

    private mutating func parseNumber() throws(StrictJSONError) -> JSONNumber {
        let start = self.index
        let negative = self.bytes[self.index] == UInt8(ascii: "-")
        if negative { self.index += 1 }
        func isDigit(_ position: Int) -> Bool {
            position < self.bytes.count && self.bytes[position] >= UInt8(ascii: "0") && self.bytes[position] <= UInt8(ascii: "9")
        }
        guard self.index < self.bytes.count else { throw self.error("EOF while parsing a value", at: self.eofPosition) }
        guard isDigit(self.index) else { throw self.error("invalid number", at: self.index + 1) }
        if self.bytes[self.index] == UInt8(ascii: "0") {
            self.index += 1
            if isDigit(self.index) { throw self.error("invalid number", at: self.index + 1) }
        } else {
            while isDigit(self.index) { self.index += 1 }
        }
        var isFloat = false
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
            isFloat = true
            self.index += 1
            guard self.index < self.bytes.count else { throw self.error("EOF while parsing a value", at: self.eofPosition) }
            guard isDigit(self.index) else { throw self.error("invalid number", at: self.index + 1) }
            while isDigit(self.index) { self.index += 1 }
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "e") || self.bytes[self.index] == UInt8(ascii: "E") {
            isFloat = true
            self.index += 1
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-") {
                self.index += 1
            }
            guard self.index < self.bytes.count else { throw self.error("EOF while parsing a value", at: self.eofPosition) }
            guard isDigit(self.index) else { throw self.error("invalid number", at: self.index + 1) }
            while isDigit(self.index) { self.index += 1 }
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if !isFloat {
            let digits = negative ? String(text.dropFirst()) : text
            if let magnitude = UInt64(digits) {
                if !negative { return JSONNumber(kind: .unsigned(magnitude), text: text) }
                if magnitude <= UInt64(Int64.max) + 1 {
                    return JSONNumber(kind: .negative(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)), text: text)
                }
            }
        }
        guard let value = Double(text), value.isFinite else { throw self.error("number out of range", at: self.index) }
        return JSONNumber(kind: .float(value), text: text)
    }

    private mutating func parseString() throws(StrictJSONError) -> String {
        self.index += 1
        var output: [UInt8] = []
        while true {
            guard self.index < self.bytes.count else { throw self.error("EOF while parsing a string", at: self.eofPosition) }
            let byte = self.bytes[self.index]
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: output, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard self.index < self.bytes.count else { throw self.error("EOF while parsing a string", at: self.eofPosition) }
                let escape = self.bytes[self.index]
                self.index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"): output.append(contentsOf: try self.unicodeEscape())
                default: throw self.error("invalid escape", at: self.index)
                }
            case 0x00..<0x20:
                throw self.error("control character (\\u0000-\\u001F) found while parsing a string", at: self.index)
            default:
                output.append(byte)
            }
        }
    }

    private mutating func hex4() throws(StrictJSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard self.index < self.bytes.count else { throw self.error("EOF while parsing a string", at: self.eofPosition) }
            let byte = self.bytes[self.index]
            self.index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.error("invalid escape", at: self.index)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// The UTF-8 bytes of a `\uXXXX` escape (with its low surrogate when it is a high one); lone surrogates fail.
    private mutating func unicodeEscape() throws(StrictJSONError) -> [UInt8] {
        let first = try self.hex4()
        var scalarValue = first
        if (0xDC00...0xDFFF).contains(first) {
            throw self.error("lone leading surrogate in hex escape", at: self.index)
        }
        if (0xD800...0xDBFF).contains(first) {
            guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                self.bytes[self.index + 1] == UInt8(ascii: "u")
            else { throw self.error("unexpected end of hex escape", at: self.index) }
            self.index += 2
            let second = try self.hex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw self.error("lone leading surrogate in hex escape", at: self.index) }
            scalarValue = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(scalarValue) else { throw self.error("invalid unicode code point", at: self.index) }
        return Array(String(Character(scalar)).utf8)
    }
}

// MARK: - Writing and inspecting

extension JSONNode {
    /// Compact JSON text as serde_json writes a `Value`: duplicate object keys collapsed (first position, last value),
    /// numbers as written, strings with serde's escapes.
    var compactText: String {
        var output = ""
        self.write(into: &output)
        return output
    }

    private func write(into output: inout String) {
        switch self.value {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let number): output += number.text
        case .string(let text): Self.writeString(text, into: &output)
        case .array(let elements):
            output += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { output += "," }
                element.write(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (position, member) in Self.collapsed(members).enumerated() {
                if position > 0 { output += "," }
                Self.writeString(member.key, into: &output)
                output += ":"
                member.value.write(into: &output)
            }
            output += "}"
        }
    }

    /// Members with duplicate keys collapsed: the first position, the last value.
    static func collapsed(_ members: [(key: String, value: JSONNode)]) -> [(key: String, value: JSONNode)] {
        var positions: [String: Int] = [:]
        var result: [(key: String, value: JSONNode)] = []
        for member in members {
            if let position = positions[member.key] {
                result[position].value = member.value
            } else {
                positions[member.key] = result.count
                result.append(member)
            }
        }
        return result
    }

    private static func writeString(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// Whether any string or key in the value holds U+0000 (PostgreSQL's JSONB refuses it).
    var containsNUL: Bool {
        switch self.value {
        case .null, .bool, .number: false
        case .string(let text): text.unicodeScalars.contains("\u{00}")
        case .array(let elements): elements.contains { $0.containsNUL }
        case .object(let members): members.contains { $0.key.unicodeScalars.contains("\u{00}") || $0.value.containsNUL }
        }
    }
}
