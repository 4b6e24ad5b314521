import Flarelet

/// The JavaScript conversions upstream's behaviour depends on.
enum JavaScript {
    /// JavaScript's `StrWhiteSpaceChar` (white space and line terminators), used by `Number()` and `trim()`.
    static func isWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }

    /// `String.prototype.trim()`.
    static func trim(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var start = 0
        var end = scalars.count
        while start < end, self.isWhiteSpace(scalars[start]) { start += 1 }
        while end > start, self.isWhiteSpace(scalars[end - 1]) { end -= 1 }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<end])
        return String(view)
    }

    /// `Number(text)`: surrounding white space ignored, blank → 0, decimal literals with sign, fraction and
    /// exponent, unsigned `0x`/`0o`/`0b` integers, `Infinity`; anything else is NaN.
    static func number(_ text: String) -> Double {
        let body = self.trim(text)
        if body.isEmpty { return 0 }
        let bytes = Array(body.utf8)
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
            let radix: Double? =
                switch bytes[1] {
                case UInt8(ascii: "x"), UInt8(ascii: "X"): 16
                case UInt8(ascii: "o"), UInt8(ascii: "O"): 8
                case UInt8(ascii: "b"), UInt8(ascii: "B"): 2
                default: nil
                }
            if let radix {
                var value = 0.0
                for byte in bytes[2...] {
                    guard let digit = self.digitValue(byte), Double(digit) < radix else { return .nan }
                    value = value * radix + Double(digit)
                }
                return value
            }
        }
        switch body {
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: break
        }
        guard self.isDecimalLiteral(bytes) else { return .nan }
        return Double(body) ?? .nan
    }

    /// `StrDecimalLiteral`: `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
    private static func isDecimalLiteral(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
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

    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    /// `parseInt(text, 10)`: leading white space, optional sign, then the longest run of decimal digits;
    /// `nil` (NaN) when there is no digit.
    static func parseInt(_ text: String) -> Double? {
        var scalars = Substring(text).unicodeScalars.drop { self.isWhiteSpace($0) }
        var sign = 1.0
        if let first = scalars.first, first == "-" || first == "+" {
            if first == "-" { sign = -1 }
            scalars = scalars.dropFirst()
        }
        var value = 0.0
        var count = 0
        for scalar in scalars {
            guard scalar.value >= 0x30, scalar.value <= 0x39 else { break }
            value = value * 10 + Double(scalar.value - 0x30)
            count += 1
        }
        return count == 0 ? nil : sign * value
    }

    /// `String(number)` for a finite number (`12.5`, `1e+21`, `-0` → `0`).
    static func string(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
        return JSONValue.number(number).stringify()
    }

    /// `Math.round`: the nearest integer, halves toward +∞.
    static func round(_ value: Double) -> Double {
        let floor = value.rounded(.down)
        return value - floor >= 0.5 ? floor + 1 : floor
    }
}

/// Dates as JavaScript prints them, from Unix milliseconds (valid for the whole ±8.64e15 ms range).
enum ISOTime {
    static let maxMilliseconds: Int64 = 8_640_000_000_000_000
    static let dayMilliseconds: Int64 = 86_400_000

    /// Floor division.
    static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (month 1–12; day may overflow the month).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        Int64(CivilCalendar.days(year: Int(year), month: Int(month), day: 1)) + (day - 1)
    }

    /// Year, month and day of a day number.
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let civil = CivilCalendar.date(days: Int(days))
        return (Int64(civil.year), Int64(civil.month), Int64(civil.day))
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// `YYYY-MM-DD` (or `±YYYYYY-MM-DD`) of a day number.
    static func date(days: Int64) -> String {
        let (year, month, day) = self.civil(days: days)
        let yearText = (0...9999).contains(year) ? self.pad(year, 4) : (year < 0 ? "-" : "+") + self.pad(abs(year), 6)
        return "\(yearText)-\(self.pad(month, 2))-\(self.pad(day, 2))"
    }

    /// `toISOString()`.
    static func string(milliseconds ms: Int64) -> String {
        let days = self.floorDiv(ms, self.dayMilliseconds)
        let time = ms - days * self.dayMilliseconds
        return "\(self.date(days: days))T\(self.pad(time / 3_600_000, 2)):\(self.pad(time / 60000 % 60, 2)):"
            + "\(self.pad(time / 1000 % 60, 2)).\(self.pad(time % 1000, 3))Z"
    }

    /// The date part (`YYYY-MM-DD`) of the instant.
    static func datePart(milliseconds ms: Int64) -> String {
        self.date(days: self.floorDiv(ms, self.dayMilliseconds))
    }

    /// JavaScript's date parser for `<date>T00:00:00Z`-shaped input: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or the same with
    /// a signed six-digit year; days 01–31 in any month (overflow rolls on). Returns the day number, or `nil`.
    static func parseDateOnly(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }
        let year: Int64
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            index = 1
            guard let value = number(6) else { return nil }
            if first == UInt8(ascii: "-") && value == 0 { return nil }
            year = first == UInt8(ascii: "-") ? -value : value
        } else {
            guard let value = number(4) else { return nil }
            year = value
        }
        var month: Int64 = 1
        var day: Int64 = 1
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "-") else { return nil }
            index += 1
            guard let value = number(2), (1...12).contains(value) else { return nil }
            month = value
            if index < bytes.count {
                guard bytes[index] == UInt8(ascii: "-") else { return nil }
                index += 1
                guard let value = number(2), (1...31).contains(value) else { return nil }
                day = value
            }
        }
        guard index == bytes.count else { return nil }
        return self.days(year: year, month: month, day: day)
    }
}
