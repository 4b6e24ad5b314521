public import FlareletJSON

// MARK: White space

extension JavaScript {
    /// ECMAScript `WhiteSpace` or `LineTerminator` (what `trim()`, `parseInt` and `Number()` skip): TAB, LF, VT,
    /// FF, CR, SPACE, NBSP, ZWNBSP (U+FEFF), U+1680, U+2000–U+200A, LS, PS, U+202F, U+205F and U+3000. Not U+0085 or
    /// U+180E.
    public static func isWhitespace(_ unit: UInt16) -> Bool {
        switch unit {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }

    /// `String.prototype.trim()`.
    public static func trim(_ text: JSString) -> JSString {
        let units = text.codeUnits
        var start = 0
        var end = units.count
        while start < end, self.isWhitespace(units[start]) { start += 1 }
        while end > start, self.isWhitespace(units[end - 1]) { end -= 1 }
        if start == 0 && end == units.count { return text }
        return JSString(codeUnits: units[start..<end])
    }
}

// MARK: String()

extension JavaScript {
    /// `String(array)` (`Array.prototype.join`) recurses once per nesting level in V8 and throws
    /// `RangeError: Maximum call stack size exceeded` when the stack runs out: about 3,200 levels with Node's default
    /// stack. Flarelet throws ``JavaScriptError/stackOverflow`` for arrays nested deeper than this.
    public static let maximumJoinDepth = 3_200

    /// `String(value)` (`ToString`) of a JSON value; `nil` is `undefined`.
    ///
    /// Numbers print as `Number.prototype.toString()` (`Infinity`, `-0` → `0`, `1e+21`); arrays join their
    /// elements with `,` (`null` → empty); objects print `[object Object]`.
    /// - Throws: ``JavaScriptError/cannotConvertToPrimitive`` for an object (or an array holding one) with an own
    ///   `toString` property, ``JavaScriptError/stackOverflow`` for arrays nested deeper than ``maximumJoinDepth``.
    public static func toString(_ value: JSONValue?) throws(JavaScriptError) -> JSString {
        guard let value else { return "undefined" }
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number): return JSString(self.numberToString(number))
        case .integer(let integer): return JSString(String(integer))
        case .string(let text): return text
        case .array(let elements): return try self.join(elements)
        case .object(let object): return try self.objectToPrimitive(object)
        }
    }

    /// `Number.prototype.toString()` (radix 10): `NaN`, `Infinity`, `-Infinity`, `0` for `-0`, otherwise the
    /// shortest round-trip digits laid out as ECMAScript `Number::toString` does.
    public static func numberToString(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
        return JSONValue.number(number).stringify()
    }

    /// `OrdinaryToPrimitive` of a plain object: `Object.prototype.toString` gives `[object Object]` unless an own
    /// `toString` property (never callable in JSON) hides it; then `valueOf` returns the object itself and the
    /// conversion fails.
    static func objectToPrimitive(_ object: JSONObject) throws(JavaScriptError) -> JSString {
        if object["toString"] != nil { throw .cannotConvertToPrimitive }
        return "[object Object]"
    }

    /// `Array.prototype.join(",")`, iteratively, with V8's recursion limit.
    static func join(_ root: JSONArray) throws(JavaScriptError) -> JSString {
        var builder = StringBuilder()
        var stack: [(array: JSONArray, next: Int)] = [(root, 0)]
        while let (array, index) = stack.last {
            guard index < array.count else {
                stack.removeLast()
                continue
            }
            stack[stack.count - 1].next = index + 1
            if index > 0 { builder.append(",") }
            switch array[index] {
            case .null:
                break
            case .array(let nested):
                guard stack.count < self.maximumJoinDepth else { throw .stackOverflow }
                stack.append((nested, 0))
            case let element:
                builder.append(try self.toString(element))
            }
        }
        return builder.string
    }
}

/// Concatenates JavaScript strings, as Swift text while every piece is well-formed.
struct StringBuilder {
    private var text = ""
    private var units: [UInt16]?

    mutating func append(_ piece: JSString) {
        if self.units == nil, piece.isWellFormed {
            self.text += piece.string
        } else {
            if self.units == nil { self.units = Array(self.text.utf16) }
            self.units!.append(contentsOf: piece.codeUnits)
        }
    }

    var string: JSString {
        if let units { return JSString(codeUnits: units) }
        return JSString(self.text)
    }
}

// MARK: ToPrimitive, +, truthiness

extension JavaScript {
    /// `ToPrimitive(value)`: arrays become their joined string, objects `[object Object]`; primitives unchanged.
    public static func toPrimitive(_ value: JSONValue) throws(JavaScriptError) -> JSONValue {
        switch value {
        case .array(let elements): .string(try self.join(elements))
        case .object(let object): .string(try self.objectToPrimitive(object))
        default: value
        }
    }

    /// The `+` operator: string concatenation when either primitive is a string, otherwise numeric addition
    /// (`undefined` is `NaN`, `null` is 0, booleans 0/1).
    public static func add(_ lhs: JSONValue?, _ rhs: JSONValue?) throws(JavaScriptError) -> JSONValue {
        let left = try lhs.map { (value) throws(JavaScriptError) in try self.toPrimitive(value) }
        let right = try rhs.map { (value) throws(JavaScriptError) in try self.toPrimitive(value) }
        if case .string(let a)? = left {
            return .string(a + (try self.toString(right)))
        }
        if case .string(let b)? = right {
            return .string((try self.toString(left)) + b)
        }
        return .number(try self.toNumber(left) + self.toNumber(right))
    }

    /// JavaScript truthiness; `nil` (`undefined`) is falsy.
    public static func isTruthy(_ value: JSONValue?) -> Bool {
        value?.isTruthy ?? false
    }
}

// MARK: Number()

extension JavaScript {
    /// `Number(value)` (`ToNumber`) of a JSON value; `nil` is `undefined` (→ `NaN`).
    ///
    /// `null` → 0, booleans → 0/1, strings by ``stringToNumber(_:)``, arrays through their joined string (`[]` → 0,
    /// `[5]` → 5, `[1,2]` → `NaN`), objects → `NaN`.
    /// - Throws: what ``toString(_:)`` throws for an array or object that cannot be converted.
    public static func toNumber(_ value: JSONValue?) throws(JavaScriptError) -> Double {
        guard let value else { return .nan }
        switch value {
        case .null: return 0
        case .bool(let flag): return flag ? 1 : 0
        case .number(let number): return number
        case .integer(let integer): return Double(integer)
        case .string(let text): return self.stringToNumber(text)
        case .array, .object: return try self.toNumber(self.toPrimitive(value))
        }
    }

    /// `StringToNumber`: white space around is ignored; empty → 0; `Infinity` with an optional sign; unsigned
    /// `0x`/`0o`/`0b` integers; decimal literals (`1`, `-1.5e3`, `.5`, `5.`); anything else → `NaN`.
    public static func stringToNumber(_ text: JSString) -> Double {
        let units = self.trim(text).codeUnits
        if units.isEmpty { return 0 }
        // Only ASCII can be part of a numeric literal.
        guard units.allSatisfy({ $0 < 0x80 }) else { return .nan }
        let bytes = units.map { UInt8($0) }
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
            let bitsPerDigit: Int? =
                switch bytes[1] {
                case UInt8(ascii: "x"), UInt8(ascii: "X"): 4
                case UInt8(ascii: "o"), UInt8(ascii: "O"): 3
                case UInt8(ascii: "b"), UInt8(ascii: "B"): 1
                default: nil
                }
            if let bitsPerDigit {
                var digits: [UInt8] = []
                for byte in bytes[2...] {
                    guard let digit = self.digitValue(byte), digit < 1 << bitsPerDigit else { return .nan }
                    digits.append(digit)
                }
                return self.binaryDigitsToDouble(digits, bitsPerDigit: bitsPerDigit)
            }
        }
        switch bytes {
        case Array("Infinity".utf8), Array("+Infinity".utf8): return .infinity
        case Array("-Infinity".utf8): return -.infinity
        default: break
        }
        guard self.isDecimalLiteral(bytes) else { return .nan }
        return Double(String(decoding: bytes, as: UTF8.self)) ?? .nan
    }

    /// `StrDecimalLiteral` without `Infinity`: `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
    private static func isDecimalLiteral(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        var mantissa = digits()
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    /// The value of an ASCII digit or letter (`a`/`A` = 10 … `z`/`Z` = 35), or `nil`.
    static func digitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The integer written with `digits` in radix 2^`bitsPerDigit`, correctly rounded (ties to even) like V8.
    static func binaryDigitsToDouble(_ digits: [UInt8], bitsPerDigit: Int) -> Double {
        // Skip leading zeros, then collect the bits.
        guard let first = digits.firstIndex(where: { $0 != 0 }) else { return 0 }
        var bits: [Bool] = []
        bits.reserveCapacity((digits.count - first) * bitsPerDigit)
        for digit in digits[first...] {
            for shift in stride(from: bitsPerDigit - 1, through: 0, by: -1) { bits.append(digit >> UInt8(shift) & 1 == 1) }
        }
        guard let leading = bits.firstIndex(of: true) else { return 0 }
        let significant = bits[leading...]
        if significant.count <= 53 {
            var value: UInt64 = 0
            for bit in significant { value = value << 1 | (bit ? 1 : 0) }
            return Double(value)
        }
        let exponent = significant.count - 53
        var mantissa: UInt64 = 0
        for bit in significant.prefix(53) { mantissa = mantissa << 1 | (bit ? 1 : 0) }
        let rest = significant.dropFirst(53)
        let half = rest.first!
        let sticky = rest.dropFirst().contains(true)
        if half && (sticky || mantissa & 1 == 1) { mantissa += 1 }
        // `mantissa` may now be 2^53, which is still exact.
        return Double(sign: .plus, exponent: exponent, significand: Double(mantissa))
    }
}

// MARK: parseInt

extension JavaScript {
    /// `parseInt(value, radix)`: `ToString(value)` first (so an array parses its joined text), `ToInt32(radix)`.
    /// - Throws: what ``toString(_:)`` and ``toNumber(_:)`` throw.
    public static func parseInt(_ value: JSONValue?, radix: JSONValue? = nil) throws(JavaScriptError) -> Double {
        let text = try self.toString(value)
        let radixNumber = try radix.map { (radix) throws(JavaScriptError) in try self.toNumber(radix) } ?? 0
        return self.parseInt(text, radix: self.toInt32(radixNumber))
    }

    /// `parseInt(text, radix)` with `radix` 0 meaning "not given".
    ///
    /// Leading white space, then an optional sign, then `0x`/`0X` (radix 0 or 16), then the longest run of digits
    /// of the radix; `NaN` without any digit or for a radix outside 2–36. Radix 10 and powers of two convert exactly
    /// (correctly rounded); other radices accumulate like V8. `parseInt("-0")` is `-0`.
    public static func parseInt(_ text: JSString, radix: Int32 = 0) -> Double {
        let units = text.codeUnits
        var index = 0
        while index < units.count, self.isWhitespace(units[index]) { index += 1 }
        var negative = false
        if index < units.count, units[index] == 0x2D || units[index] == 0x2B {
            negative = units[index] == 0x2D
            index += 1
        }
        var radix = Int(radix)
        var stripPrefix = true
        if radix != 0 {
            guard (2...36).contains(radix) else { return .nan }
            if radix != 16 { stripPrefix = false }
        } else {
            radix = 10
        }
        if stripPrefix, index + 1 < units.count, units[index] == 0x30, units[index + 1] == 0x78 || units[index + 1] == 0x58 {
            index += 2
            radix = 16
        }
        var digits: [UInt8] = []
        while index < units.count, units[index] < 0x80, let digit = self.digitValue(UInt8(units[index])), Int(digit) < radix {
            digits.append(digit)
            index += 1
        }
        guard !digits.isEmpty else { return .nan }
        let magnitude: Double
        switch radix {
        case 10:
            magnitude = Double(String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)) ?? .nan
        case 2, 4, 8, 16, 32:
            magnitude = self.binaryDigitsToDouble(digits, bitsPerDigit: radix.trailingZeroBitCount)
        default:
            magnitude = self.accumulate(digits, radix: radix)
        }
        return negative ? -magnitude : magnitude
    }

    /// V8's conversion for radices other than 10 and powers of two: 32-bit parts, each folded into a double.
    private static func accumulate(_ digits: [UInt8], radix: Int) -> Double {
        let maximumMultiplier = UInt32.max / 36
        var value = 0.0
        // V8 skips leading zeros first, which fixes where the 32-bit parts start.
        var index = digits.firstIndex { $0 != 0 } ?? digits.count
        while index < digits.count {
            var part: UInt32 = 0
            var multiplier: UInt32 = 1
            while index < digits.count {
                let next = multiplier * UInt32(radix)
                if next > maximumMultiplier { break }
                part = part * UInt32(radix) + UInt32(digits[index])
                multiplier = next
                index += 1
            }
            value = value * Double(multiplier) + Double(part)
        }
        return value
    }

    /// `ToInt32(number)`.
    public static func toInt32(_ number: Double) -> Int32 {
        guard number.isFinite else { return 0 }
        let truncated = number.rounded(.towardZero)
        let modulo = truncated.truncatingRemainder(dividingBy: 4_294_967_296)
        let unsigned = modulo < 0 ? modulo + 4_294_967_296 : modulo
        return Int32(truncatingIfNeeded: UInt32(unsigned))
    }
}

// MARK: Swift-text conveniences and Math

extension JavaScript {
    /// `String.prototype.trim()` of Swift text.
    public static func trim(_ text: String) -> String {
        self.trim(JSString(text)).string
    }

    /// `Number(text)` of Swift text (see ``stringToNumber(_:)-(JSString)``).
    public static func stringToNumber(_ text: String) -> Double {
        self.stringToNumber(JSString(text))
    }

    /// `parseInt(text, radix)` of Swift text (`NaN` when there is no digit).
    public static func parseInt(_ text: String, radix: Int32 = 0) -> Double {
        self.parseInt(JSString(text), radix: radix)
    }

    /// `Math.round(x)`: the nearest integer, halves toward +∞; `-0` for −0.5 ≤ x < 0.
    public static func mathRound(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x }
        if x > 0 && x < 0.5 { return 0 }
        if x < 0 && x >= -0.5 { return -0.0 }
        let floor = x.rounded(.down)
        return x - floor >= 0.5 ? floor + 1 : floor
    }
}
