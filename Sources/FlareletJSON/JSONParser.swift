/// A non-recursive JSON parser over UTF-8 bytes that accepts exactly what `JSON.parse` accepts and reports
/// errors with V8's messages (positions in UTF-16 code units, as V8 counts them).
///
/// Containers are tracked on explicit stacks, so hostile nesting cannot overflow the call stack. V8 has no nesting
/// limit at all; this parser accepts up to ``maximumDepth`` levels (every consumer of ``JSONValue`` is iterative),
/// which answers like JavaScript for any realistic body.
struct JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    static let maximumDepth = 100_000

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// Reused buffer for strings that contain escapes.
    private var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: Document

    /// Parses the whole input as one JSON text.
    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        // One entry per open container: `nil` for an array, the pending member key for an object.
        var containers: [JSString?] = []
        var arrays: [[JSONValue]] = []
        var objectKeys: [[JSString]] = []
        var objectValues: [[JSONValue]] = []
        var value: JSONValue

        parseValue: while true {
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw self.error(.unexpectedToken, at: self.index) }
            switch self.bytes[self.index] {
            case UInt8(ascii: "["):
                guard containers.count < Self.maximumDepth else { throw self.error(.tooDeep, at: self.index) }
                self.index += 1
                self.skipWhitespace()
                if self.peek(UInt8(ascii: "]")) {
                    self.index += 1
                    value = .array(JSONArray())
                } else {
                    containers.append(nil)
                    arrays.append([])
                    continue parseValue
                }
            case UInt8(ascii: "{"):
                guard containers.count < Self.maximumDepth else { throw self.error(.tooDeep, at: self.index) }
                self.index += 1
                self.skipWhitespace()
                if self.peek(UInt8(ascii: "}")) {
                    self.index += 1
                    value = .object(JSONObject())
                } else {
                    guard self.peek(UInt8(ascii: "\"")) else {
                        throw self.error(.expectedPropertyNameOrRightBrace, at: self.index)
                    }
                    let key = try self.parseString()
                    self.skipWhitespace()
                    guard self.peek(UInt8(ascii: ":")) else {
                        throw self.error(.expectedColonAfterPropertyName, at: self.index)
                    }
                    self.index += 1
                    containers.append(key)
                    objectKeys.append([])
                    objectValues.append([])
                    continue parseValue
                }
            case UInt8(ascii: "\""):
                value = .string(try self.parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try self.parseNumber())
            case UInt8(ascii: "t"):
                try self.scanLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try self.scanLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try self.scanLiteral("null")
                value = .null
            default:
                throw self.error(.unexpectedToken, at: self.index)
            }

            // Attach the finished value to the enclosing containers, closing those that end here.
            while let container = containers.last {
                self.skipWhitespace()
                if let key = container {
                    objectKeys[objectKeys.count - 1].append(key)
                    objectValues[objectValues.count - 1].append(value)
                    if self.peek(UInt8(ascii: ",")) {
                        self.index += 1
                        self.skipWhitespace()
                        guard self.peek(UInt8(ascii: "\"")) else {
                            throw self.error(.expectedDoubleQuotedPropertyName, at: self.index)
                        }
                        containers[containers.count - 1] = try self.parseString()
                        self.skipWhitespace()
                        // V8 has no specific message for a missing colon after a later key.
                        guard self.peek(UInt8(ascii: ":")) else { throw self.error(.unexpectedToken, at: self.index) }
                        self.index += 1
                        continue parseValue
                    }
                    guard self.peek(UInt8(ascii: "}")) else {
                        throw self.error(.expectedCommaOrRightBrace, at: self.index)
                    }
                    self.index += 1
                    containers.removeLast()
                    value = .object(JSONObject(parsedKeys: objectKeys.removeLast(), values: objectValues.removeLast()))
                } else {
                    arrays[arrays.count - 1].append(value)
                    if self.peek(UInt8(ascii: ",")) {
                        self.index += 1
                        continue parseValue
                    }
                    guard self.peek(UInt8(ascii: "]")) else {
                        throw self.error(.expectedCommaOrRightBracket, at: self.index)
                    }
                    self.index += 1
                    containers.removeLast()
                    value = .array(JSONArray(arrays.removeLast()))
                }
            }

            self.skipWhitespace()
            guard self.index == self.bytes.count else {
                throw self.error(.nonWhitespaceAfterJSON, at: self.index)
            }
            return value
        }
    }

    // MARK: Tokens

    @inline(__always)
    private func peek(_ byte: UInt8) -> Bool {
        self.index < self.bytes.count && self.bytes[self.index] == byte
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x0A, 0x0D, 0x09: self.index += 1
            default: return
            }
        }
    }

    /// Matches `true`, `false` or `null`; the first character has been checked.
    private mutating func scanLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        for offset in 1..<count {
            let position = self.index + offset
            guard position < self.bytes.count else { throw self.error(.unexpectedToken, at: position) }
            guard self.bytes[position] == start[offset] else { throw self.error(.unexpectedToken, at: position) }
        }
        self.index += count
    }

    // MARK: Numbers

    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    @inline(__always)
    private static func digitValue(_ byte: UInt8) -> UInt8? {
        let digit = byte &- UInt8(ascii: "0")
        return digit < 10 ? digit : nil
    }

    /// Validates a number token (RFC 8259 grammar) and converts it with correct rounding.
    private mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = self.index
        let negative = self.bytes[self.index] == UInt8(ascii: "-")
        if negative { self.index += 1 }

        var mantissa: UInt64 = 0
        var digitCount = 0
        var fractionDigitCount = 0

        guard self.index < self.bytes.count, let first = Self.digitValue(self.bytes[self.index]) else {
            throw self.error(.noNumberAfterMinusSign, at: self.index)
        }
        self.index += 1
        if first == 0 {
            // A leading zero must stand alone before the fraction or exponent.
            if self.index < self.bytes.count, Self.digitValue(self.bytes[self.index]) != nil {
                throw self.error(.unexpectedToken, at: self.index)
            }
        } else {
            mantissa = UInt64(first)
            digitCount = 1
            while self.index < self.bytes.count, let digit = Self.digitValue(self.bytes[self.index]) {
                if digitCount < 19 { mantissa = mantissa * 10 + UInt64(digit) }
                digitCount += 1
                self.index += 1
            }
        }

        if self.peek(UInt8(ascii: ".")) {
            self.index += 1
            guard self.index < self.bytes.count, Self.digitValue(self.bytes[self.index]) != nil else {
                throw self.error(.unterminatedFractionalNumber, at: self.index)
            }
            while self.index < self.bytes.count, let digit = Self.digitValue(self.bytes[self.index]) {
                if digitCount < 19 { mantissa = mantissa * 10 + UInt64(digit) }
                digitCount += 1
                fractionDigitCount += 1
                self.index += 1
            }
        }

        var exponent = 0
        if self.peek(UInt8(ascii: "e")) || self.peek(UInt8(ascii: "E")) {
            self.index += 1
            var exponentNegative = false
            if self.peek(UInt8(ascii: "-")) {
                exponentNegative = true
                self.index += 1
            } else if self.peek(UInt8(ascii: "+")) {
                self.index += 1
            }
            guard self.index < self.bytes.count, Self.digitValue(self.bytes[self.index]) != nil else {
                throw self.error(.exponentPartMissingNumber, at: self.index)
            }
            while self.index < self.bytes.count, let digit = Self.digitValue(self.bytes[self.index]) {
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(digit) }
                self.index += 1
            }
            if exponentNegative { exponent = -exponent }
        }

        // Exact fast path (Clinger): an exactly representable mantissa scaled by an exactly representable power
        // of ten is correctly rounded by a single multiplication or division.
        let scale = exponent - fractionDigitCount
        if digitCount <= 19, mantissa <= 1 << 53, scale >= -22, scale <= 22 {
            let magnitude =
                scale >= 0
                ? Double(mantissa) * Self.exactPowersOfTen[scale]
                : Double(mantissa) / Self.exactPowersOfTen[-scale]
            return negative ? -magnitude : magnitude
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
        guard let value = Double(text) else { throw self.error(.unexpectedToken, at: start) }
        return value
    }

    // MARK: Strings

    /// Parses a string token; `index` is at the opening quote. Invalid UTF-8 becomes U+FFFD; `\u` escapes of
    /// lone surrogates are kept as code units.
    private mutating func parseString() throws(JSONParseError) -> JSString {
        self.index += 1
        let start = self.index
        // Fast path: no escapes.
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
                self.index += 1
                return JSString(text)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            self.index += 1
        }

        // Slow path: UTF-8 in `scratch`; after the first lone surrogate, UTF-16 code units in `units`.
        self.scratch.removeAll(keepingCapacity: true)
        self.scratch.append(contentsOf: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]))
        var units: [UInt16]?
        while true {
            guard self.index < self.bytes.count else { throw self.error(.unterminatedString, at: self.index) }
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                if let units { return JSString(codeUnits: units) }
                return JSString(String(decoding: self.scratch, as: UTF8.self))
            case UInt8(ascii: "\\"):
                self.index += 1
                guard self.index < self.bytes.count else { throw self.error(.unexpectedToken, at: self.index) }
                let escaped = self.bytes[self.index]
                self.index += 1
                let simple: UInt8
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): simple = escaped
                case UInt8(ascii: "b"): simple = 0x08
                case UInt8(ascii: "f"): simple = 0x0C
                case UInt8(ascii: "n"): simple = 0x0A
                case UInt8(ascii: "r"): simple = 0x0D
                case UInt8(ascii: "t"): simple = 0x09
                case UInt8(ascii: "u"):
                    try self.parseUnicodeEscape(units: &units)
                    continue
                default: throw self.error(.badEscapedCharacter, at: self.index - 1)
                }
                if units != nil {
                    units!.append(UInt16(simple))
                } else {
                    self.scratch.append(simple)
                }
            case 0..<0x20:
                throw self.error(.badControlCharacter, at: self.index)
            default:
                let runStart = self.index
                while self.index < self.bytes.count {
                    let next = self.bytes[self.index]
                    if next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") || next < 0x20 { break }
                    self.index += 1
                }
                let run = UnsafeBufferPointer(rebasing: self.bytes[runStart..<self.index])
                if units != nil {
                    units!.append(contentsOf: String(decoding: run, as: UTF8.self).utf16)
                } else {
                    self.scratch.append(contentsOf: run)
                }
            }
        }
    }

    /// Reads the four hex digits of a `\u` escape (`index` just after the `u`) and appends the character; a
    /// surrogate pair written as two escapes is combined, a lone surrogate switches the string to code units.
    private mutating func parseUnicodeEscape(units: inout [UInt16]?) throws(JSONParseError) {
        let unit = try self.readHex4()
        var scalar = UInt32(unit)
        var lone = false
        if (0xD800...0xDBFF).contains(unit) {
            lone = true
            if self.index + 6 <= self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                self.bytes[self.index + 1] == UInt8(ascii: "u"),
                let low = self.hex4(at: self.index + 2), (0xDC00...0xDFFF).contains(low)
            {
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                self.index += 6
                lone = false
            }
        } else if (0xDC00...0xDFFF).contains(unit) {
            lone = true
        }
        if lone && units == nil {
            units = Array(String(decoding: self.scratch, as: UTF8.self).utf16)
        }
        if units != nil {
            if lone {
                units!.append(unit)
            } else if scalar >= 0x10000 {
                units!.append(UInt16(0xD800 + ((scalar - 0x10000) >> 10)))
                units!.append(UInt16(0xDC00 + ((scalar - 0x10000) & 0x3FF)))
            } else {
                units!.append(UInt16(scalar))
            }
        } else {
            JSONWriter.appendUTF8(scalar, to: &self.scratch)
        }
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard self.index < self.bytes.count, let digit = Self.hexValue(self.bytes[self.index]) else {
                throw self.error(.badUnicodeEscape, at: self.index)
            }
            value = value << 4 | UInt16(digit)
            self.index += 1
        }
        return value
    }

    private func hex4(at position: Int) -> UInt16? {
        var value: UInt16 = 0
        for offset in 0..<4 {
            guard let digit = Self.hexValue(self.bytes[position + offset]) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: Errors

    /// What went wrong; each case carries V8's message.
    enum Problem {
        /// V8's generic message, chosen by the character at the position (end of input, string, number, token).
        case unexpectedToken
        case expectedPropertyNameOrRightBrace
        case expectedCommaOrRightBracket
        case expectedCommaOrRightBrace
        case expectedColonAfterPropertyName
        case expectedDoubleQuotedPropertyName
        case unterminatedString
        case badControlCharacter
        case badEscapedCharacter
        case badUnicodeEscape
        case noNumberAfterMinusSign
        case exponentPartMissingNumber
        case unterminatedFractionalNumber
        case nonWhitespaceAfterJSON
        case tooDeep
    }

    /// Builds the error for `problem` at byte `offset` (only on the failure path, so it may be slow).
    private func error(_ problem: Problem, at offset: Int) -> JSONParseError {
        let prefix = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[..<offset]), as: UTF8.self)
        let position = prefix.utf16.count
        let specific: String
        switch problem {
        case .unexpectedToken:
            return JSONParseError(message: self.unexpectedTokenMessage(at: offset, position: position), offset: offset)
        case .expectedPropertyNameOrRightBrace: specific = "Expected property name or '}'"
        case .expectedCommaOrRightBracket: specific = "Expected ',' or ']' after array element"
        case .expectedCommaOrRightBrace: specific = "Expected ',' or '}' after property value"
        case .expectedColonAfterPropertyName: specific = "Expected ':' after property name"
        case .expectedDoubleQuotedPropertyName: specific = "Expected double-quoted property name"
        case .unterminatedString: specific = "Unterminated string"
        case .badControlCharacter: specific = "Bad control character in string literal"
        case .badEscapedCharacter: specific = "Bad escaped character"
        case .badUnicodeEscape: specific = "Bad Unicode escape"
        case .noNumberAfterMinusSign: specific = "No number after minus sign"
        case .exponentPartMissingNumber: specific = "Exponent part is missing a number"
        case .unterminatedFractionalNumber: specific = "Unterminated fractional number"
        case .nonWhitespaceAfterJSON:
            return JSONParseError(message: "Unexpected non-whitespace character after JSON at position \(position)", offset: offset)
        case .tooDeep: specific = "Nesting deeper than \(Self.maximumDepth) levels"
        }
        return JSONParseError(message: "\(specific) in JSON at position \(position)", offset: offset)
    }

    /// V8's `LookUpErrorMessageForJsonToken`: the message depends on the token starting at `offset`.
    private func unexpectedTokenMessage(at offset: Int, position: Int) -> String {
        guard offset < self.bytes.count else { return "Unexpected end of JSON input" }
        let byte = self.bytes[offset]
        if byte == UInt8(ascii: "\"") { return "Unexpected string in JSON at position \(position)" }
        if byte == UInt8(ascii: "-") || Self.digitValue(byte) != nil {
            return "Unexpected number in JSON at position \(position)"
        }
        let source = String(decoding: self.bytes, as: UTF8.self)
        if ["NaN", "Infinity", "undefined", "[object Object]"].contains(source) {
            return "\"\(source)\" is not valid JSON"
        }
        let rest = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[offset...]), as: UTF8.self)
        let token = rest.unicodeScalars.first.map { String($0) } ?? ""
        // Context: the whole source when short, else 10 UTF-16 units either side of the position.
        let units = Array(source.utf16)
        let context = 10
        func slice(_ range: Range<Int>) -> String { String(decoding: units[range], as: UTF16.self) }
        let excerpt: String
        if units.count <= 2 * context + 1 {
            excerpt = "\"\(source)\""
        } else if position < context {
            excerpt = "\"\(slice(0..<position + context))\"..."
        } else if position < units.count - context {
            excerpt = "...\"\(slice(position - context..<position + context))\"..."
        } else {
            excerpt = "...\"\(slice(position - context..<units.count))\""
        }
        return "Unexpected token '\(token)', \(excerpt) is not valid JSON"
    }
}
