/// Serialises a ``JSONValue`` exactly as JavaScript's `JSON.stringify(value, null, indent)` does.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// The indentation unit (`gap`); empty for compact output.
    private let gap: [UInt8]

    /// - Parameter indent: spaces per level; clamped to 0...10 like `JSON.stringify`.
    init(indent: Int = 0) {
        self.gap = Array(repeating: UInt8(ascii: " "), count: min(10, max(0, indent)))
        self.bytes.reserveCapacity(256)
    }

    /// Writes `root` without recursion: open containers are kept on an explicit stack, so any nesting depth is
    /// fine (like V8's iterative `JSON.stringify` fast path).
    mutating func write(_ root: JSONValue) {
        // Open containers: their members, and the position of the member written last.
        var keys: [[JSString]?] = []
        var members: [[JSONValue]] = []
        var positions: [Int] = []
        var value = root
        nextValue: while true {
            switch value {
            case .null: self.appendASCII("null")
            case .bool(let flag): self.appendASCII(flag ? "true" : "false")
            case .number(let number): Self.appendNumber(number, to: &self.bytes)
            case .integer(let integer): Self.appendInteger(integer, to: &self.bytes)
            case .string(let string): Self.appendQuoted(string, to: &self.bytes)
            case .array(let array):
                let elements = array.storage.elements
                if elements.isEmpty {
                    self.appendASCII("[]")
                } else {
                    self.bytes.append(UInt8(ascii: "["))
                    keys.append(nil)
                    members.append(elements)
                    positions.append(0)
                    self.newline(depth: positions.count)
                    value = elements[0]
                    continue nextValue
                }
            case .object(let object):
                let objectKeys = object.storage.keys
                if objectKeys.isEmpty {
                    self.appendASCII("{}")
                } else {
                    let values = object.storage.values
                    self.bytes.append(UInt8(ascii: "{"))
                    keys.append(objectKeys)
                    members.append(values)
                    positions.append(0)
                    self.newline(depth: positions.count)
                    self.writeKey(objectKeys[0])
                    value = values[0]
                    continue nextValue
                }
            }
            // The value is written: move to the next member of the innermost open container, closing finished ones.
            while let position = positions.last {
                let next = position + 1
                let level = positions.count - 1
                if next < members[level].count {
                    positions[level] = next
                    self.bytes.append(UInt8(ascii: ","))
                    self.newline(depth: positions.count)
                    if let objectKeys = keys[level] { self.writeKey(objectKeys[next]) }
                    value = members[level][next]
                    continue nextValue
                }
                let isObject = keys[level] != nil
                positions.removeLast()
                members.removeLast()
                keys.removeLast()
                self.newline(depth: positions.count)
                self.bytes.append(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
            }
            return
        }
    }

    private mutating func appendASCII(_ text: StaticString) {
        self.bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func writeKey(_ key: JSString) {
        Self.appendQuoted(key, to: &self.bytes)
        self.bytes.append(UInt8(ascii: ":"))
        if !self.gap.isEmpty { self.bytes.append(UInt8(ascii: " ")) }
    }

    /// In indented mode, a line break and `depth` indentation units; nothing in compact mode.
    private mutating func newline(depth: Int) {
        guard !self.gap.isEmpty else { return }
        self.bytes.append(0x0A)
        for _ in 0..<depth { self.bytes.append(contentsOf: self.gap) }
    }

    // MARK: Strings

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// ECMAScript `QuoteJSONString`: lone surrogates are written as lower-case `\udXXX` escapes (well-formed
    /// `JSON.stringify`, ES2019).
    static func appendQuoted(_ string: JSString, to bytes: inout [UInt8]) {
        switch string.storage {
        case .text(let text):
            self.appendQuoted(text, to: &bytes)
        case .units(let units):
            bytes.append(UInt8(ascii: "\""))
            var position = 0
            while position < units.count {
                let unit = units[position]
                position += 1
                switch unit {
                case 0xD800...0xDBFF:
                    if position < units.count, (0xDC00...0xDFFF).contains(units[position]) {
                        let scalar = 0x10000 + (UInt32(unit - 0xD800) << 10) + UInt32(units[position] - 0xDC00)
                        position += 1
                        Self.appendUTF8(scalar, to: &bytes)
                    } else {
                        Self.appendUnicodeEscape(unit, to: &bytes)
                    }
                case 0xDC00...0xDFFF:
                    Self.appendUnicodeEscape(unit, to: &bytes)
                case 0..<0x80:
                    let byte = UInt8(unit)
                    if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                        Self.appendEscape(byte, to: &bytes)
                    } else {
                        bytes.append(byte)
                    }
                default:
                    Self.appendUTF8(UInt32(unit), to: &bytes)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private static func appendUnicodeEscape(_ unit: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(Self.hexDigits[Int(unit >> UInt16(shift) & 0xF)])
        }
    }

    /// The escape of an ASCII byte that `QuoteJSONString` escapes (`"`, `\` and control characters).
    private static func appendEscape(_ byte: UInt8, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xF)])
        }
    }

    static func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | scalar >> 6))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | scalar >> 12))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        default:
            buffer.append(UInt8(0xF0 | scalar >> 18))
            buffer.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// ECMAScript `QuoteJSONString` for a well-formed string (no lone surrogates).
    static func appendQuoted(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for position in utf8.indices {
                let byte = utf8[position]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<position]))
                runStart = position + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    // MARK: Numbers

    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// ECMAScript `Number::toString(x)` (radix 10), with `null` for NaN and the infinities as in `JSON.stringify`.
    static func appendNumber(_ value: Double, to bytes: inout [UInt8]) {
        guard value.isFinite else {
            bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
            return
        }
        // Integers up to 2^53 in magnitude (including -0) print as their exact digits, which are the shortest.
        if value.magnitude <= 9_007_199_254_740_992, value == value.rounded(.towardZero) {
            self.appendInteger(Int64(value), to: &bytes)
            return
        }
        // Swift's description has the shortest round-trip digits (closest to the value); only the layout differs
        // (`1e+16`, `100.0`, `1e-05`). Extract the digits and the decimal exponent, then lay them out as JavaScript.
        var digits: [UInt8] = []
        digits.reserveCapacity(17)
        var pointPosition: Int?  // digits before the decimal point in the description
        var exponent = 0
        var negative = false
        var exponentNegative = false
        var inExponent = false
        for byte in value.description.utf8 {
            switch byte {
            case UInt8(ascii: "-"):
                if inExponent { exponentNegative = true } else { negative = true }
            case UInt8(ascii: "+"):
                break
            case UInt8(ascii: "."):
                pointPosition = digits.count
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                inExponent = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inExponent {
                    exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                } else {
                    digits.append(byte)
                }
            default:
                break
            }
        }
        if exponentNegative { exponent = -exponent }
        // n: the value is 0.d1d2…dk × 10^n.
        var n = (pointPosition ?? digits.count) + exponent
        let firstSignificant = digits.firstIndex { $0 != UInt8(ascii: "0") } ?? digits.count
        n -= firstSignificant
        digits.removeFirst(firstSignificant)
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        if negative { bytes.append(UInt8(ascii: "-")) }
        Self.appendLayout(digits: digits, n: n, to: &bytes)
    }

    /// Steps 6–10 of ECMAScript `Number::toString` for the digits `s` (k of them) and the exponent `n`.
    private static func appendLayout(digits: [UInt8], n: Int, to bytes: inout [UInt8]) {
        let k = digits.count
        let zero = UInt8(ascii: "0")
        if k <= n, n <= 21 {
            bytes.append(contentsOf: digits)
            bytes.append(contentsOf: repeatElement(zero, count: n - k))
        } else if 0 < n, n <= 21 {
            bytes.append(contentsOf: digits[..<n])
            bytes.append(UInt8(ascii: "."))
            bytes.append(contentsOf: digits[n...])
        } else if -6 < n, n <= 0 {
            bytes.append(zero)
            bytes.append(UInt8(ascii: "."))
            bytes.append(contentsOf: repeatElement(zero, count: -n))
            bytes.append(contentsOf: digits)
        } else {
            bytes.append(digits[0])
            if k > 1 {
                bytes.append(UInt8(ascii: "."))
                bytes.append(contentsOf: digits[1...])
            }
            bytes.append(UInt8(ascii: "e"))
            bytes.append(n - 1 >= 0 ? UInt8(ascii: "+") : UInt8(ascii: "-"))
            self.appendInteger(Int64((n - 1).magnitude), to: &bytes)
        }
    }
}
