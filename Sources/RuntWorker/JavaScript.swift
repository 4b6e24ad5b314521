import Flarelet

/// The few JavaScript semantics the upstream handler relies on implicitly.
enum JavaScript {
    // MARK: Request

    /// `await request.text()`: UTF-8 with replacement characters, a leading byte-order mark dropped.
    static func bodyText(_ body: [UInt8]) -> String {
        if body.starts(with: [0xEF, 0xBB, 0xBF]) {
            return String(decoding: body.dropFirst(3), as: UTF8.self)
        }
        return String(decoding: body, as: UTF8.self)
    }

    /// `new URL(url).pathname` for an `http(s)` URL: tabs and newlines removed, `\` read as `/`, and `.` / `..`
    /// segments (also percent-encoded as `%2e`) resolved as the WHATWG URL parser does.
    static func pathname(of url: String) -> String {
        let cleaned = url.filter { $0 != "\t" && $0 != "\n" && $0 != "\r" }
        let raw = String(URLParts(cleaned).pathname.map { $0 == "\\" ? "/" : $0 })
        var segments: [Substring] = []
        let parts = raw.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            let isLast = index == parts.count - 1
            switch part.lowercased() {
            case "..", ".%2e", "%2e.", "%2e%2e":
                if !segments.isEmpty { segments.removeLast() }
                if isLast { segments.append("") }
            case ".", "%2e":
                if isLast { segments.append("") }
            default:
                segments.append(part)
            }
        }
        return "/" + segments.joined(separator: "/")
    }

    // MARK: Values

    /// `value.length > limit` for any JSON value: arrays by element count, strings by UTF-16 length, objects by
    /// their `length` property converted with `ToNumber`; numbers, booleans have no `length` (`undefined > n` is
    /// false).
    static func lengthExceeds(_ value: JSONValue, _ limit: Int) -> Bool {
        switch value {
        case .array(let elements): elements.count > limit
        case .string(let text): text.utf16.count > limit
        case .object(let object): object["length"].map { self.toNumber($0) > Double(limit) } ?? false
        default: false
        }
    }

    /// `ToNumber(value)` for JSON values (arrays and objects through `ToPrimitive`, i.e. their string form).
    static func toNumber(_ value: JSONValue) -> Double {
        switch value {
        case .null: 0
        case .bool(let b): b ? 1 : 0
        case .number(let d): d
        case .integer(let i): Double(i)
        case .string(let s): self.stringToNumber(s)
        case .array: self.stringToNumber(self.toString(value))
        case .object: .nan
        }
    }

    /// `String(value)` for the values `toNumber` needs (arrays join their elements with `,`).
    private static func toString(_ value: JSONValue) -> String {
        switch value {
        case .null: ""  // inside an array, null and undefined join as empty strings
        case .bool(let b): b ? "true" : "false"
        case .string(let s): s
        case .array(let elements): elements.map { self.toString($0) }.joined(separator: ",")
        case .object: "[object Object]"
        case .number, .integer: value.stringify()
        }
    }

    /// `StringToNumber`: trimmed; empty is 0; `0x`/`0o`/`0b` integers; `Infinity` with an optional sign; otherwise
    /// a decimal literal, or `NaN`.
    private static func stringToNumber(_ text: String) -> Double {
        let units = Array(text.utf16)
        var start = 0
        var end = units.count
        while start < end, self.isWhitespace(units[start]) { start += 1 }
        while end > start, self.isWhitespace(units[end - 1]) { end -= 1 }
        guard start < end else { return 0 }
        let body = String(decoding: units[start..<end], as: UTF16.self)
        let lower = body.lowercased()
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) {
            let digits = lower.dropFirst(2)
            guard !digits.isEmpty else { return .nan }
            var result = 0.0
            for character in digits {
                guard let digit = character.hexDigitValue, digit < radix else { return .nan }
                result = result * Double(radix) + Double(digit)
            }
            return result
        }
        switch body {
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: break
        }
        // A decimal literal: sign, digits with an optional fraction, optional exponent. Swift's parser also takes
        // `inf`, `nan` and hex floats, which JavaScript does not, so check the shape first.
        let allowed = Set("0123456789+-.eE".utf8)
        guard body.utf8.allSatisfy({ allowed.contains($0) }), body.utf8.contains(where: { $0 >= 48 && $0 <= 57 }) else {
            return .nan
        }
        return Double(body) ?? .nan
    }

    // MARK: parseInt

    /// `parseInt(text, 16)` stored into a `Uint8Array` (`NaN` → 0, negatives wrap modulo 256).
    static func uint8(parseIntHex units: ArraySlice<UInt16>) -> UInt8 {
        var index = units.startIndex
        let end = units.endIndex
        while index < end, self.isWhitespace(units[index]) { index += 1 }
        var negative = false
        if index < end, units[index] == 0x2D {  // -
            negative = true
            index += 1
        } else if index < end, units[index] == 0x2B {  // +
            index += 1
        }
        if end - index >= 2, units[index] == 0x30, units[index + 1] == 0x78 || units[index + 1] == 0x58 {  // 0x, 0X
            index += 2
        }
        var value = 0
        var digits = 0
        while index < end, let digit = self.hexDigit(units[index]) {
            value = value &* 16 &+ Int(digit)
            digits += 1
            index += 1
        }
        guard digits > 0 else { return 0 }
        return UInt8(truncatingIfNeeded: negative ? -value : value)
    }

    /// The value of one hex digit (either case), or `nil`.
    static func hexDigit(_ unit: UInt16) -> UInt8? {
        switch unit {
        case 0x30...0x39: UInt8(unit - 0x30)
        case 0x41...0x46: UInt8(unit - 0x41 + 10)
        case 0x61...0x66: UInt8(unit - 0x61 + 10)
        default: nil
        }
    }

    /// JavaScript's `WhiteSpace` and `LineTerminator` code points (what `String.prototype.trim` removes).
    static func isWhitespace(_ unit: UInt16) -> Bool {
        switch unit {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
            0x3000, 0xFEFF:
            true
        default:
            false
        }
    }
}
