/// Parsing of the event `timestamp` (validation rule 6), the subset of JavaScript's `new Date(text)` the port
/// supports.
///
/// Accepted, all as in V8 running in UTC:
/// - `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (and six-digit signed years `±YYYYYY`), at midnight UTC;
/// - a full date, then `T` or a space, then `HH:MM`, optional `:SS`, optional `.` and one or more fraction digits
///   (truncated to milliseconds), then optionally `Z` or `±HH:MM`; no zone means UTC.
///
/// Months are 1–12, days 1–31 with JavaScript's roll-over (`2024-02-30` is 2024-03-01), hours 0–23 (`24:00` with
/// zero minutes, seconds and fraction is the next midnight), minutes and seconds 0–59. Everything else, including
/// leading or trailing white space, the basic format `20241214T103000Z` and V8's other legacy forms
/// (`Dec 14 2024`, `12/14/2024`, …), is rejected.
public enum TelemetryTimestamp {
    /// The largest absolute time value of a JavaScript `Date`, in milliseconds.
    static let maxMilliseconds: Int64 = 8_640_000_000_000_000

    /// Milliseconds since the Unix epoch, or `nil` when `text` is not a supported date (JavaScript `NaN`).
    public static func parse(_ text: String) -> Int64? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.year() else { return nil }
        var month: Int64 = 1
        var day: Int64 = 1
        var hour: Int64 = 0
        var minute: Int64 = 0
        var second: Int64 = 0
        var millisecond: Int64 = 0
        var offsetMinutes: Int64 = 0
        if scanner.take(UInt8(ascii: "-")) {
            guard let value = scanner.digits(2), (1...12).contains(value) else { return nil }
            month = value
            if scanner.take(UInt8(ascii: "-")) {
                guard let value = scanner.digits(2), (1...31).contains(value) else { return nil }
                day = value
                if scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: " ")) {
                    guard let time = scanner.time() else { return nil }
                    (hour, minute, second, millisecond, offsetMinutes) = time
                }
            }
        }
        guard scanner.atEnd else { return nil }
        let days = Self.daysFromCivil(year: year, month: month) + day - 1
        let milliseconds =
            days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millisecond - offsetMinutes * 60_000
        guard abs(milliseconds) <= Self.maxMilliseconds else { return nil }
        return milliseconds
    }

    /// Days from 1970-01-01 to the first day of `month` in `year` (proleptic Gregorian; Howard Hinnant).
    private static func daysFromCivil(year: Int64, month: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { self.index == self.bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard self.index < self.bytes.count, self.bytes[self.index] == byte else { return false }
            self.index += 1
            return true
        }

        /// Exactly `count` ASCII digits.
        mutating func digits(_ count: Int) -> Int64? {
            guard self.index + count <= self.bytes.count else { return nil }
            var value: Int64 = 0
            for byte in self.bytes[self.index..<(self.index + count)] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            self.index += count
            return value
        }

        /// `YYYY` or `±YYYYYY` (`-000000` is invalid).
        mutating func year() -> Int64? {
            if self.take(UInt8(ascii: "+")) { return self.digits(6) }
            if self.take(UInt8(ascii: "-")) {
                guard let value = self.digits(6), value != 0 else { return nil }
                return -value
            }
            return self.digits(4)
        }

        /// `HH:MM[:SS[.fff…]][Z|±HH:MM]` → (hour, minute, second, millisecond, zone offset in minutes).
        mutating func time() -> (Int64, Int64, Int64, Int64, Int64)? {
            guard let hour = self.digits(2), hour <= 24, self.take(UInt8(ascii: ":")), let minute = self.digits(2), minute <= 59 else {
                return nil
            }
            var second: Int64 = 0
            var millisecond: Int64 = 0
            var fractionIsZero = true
            if self.take(UInt8(ascii: ":")) {
                guard let value = self.digits(2), value <= 59 else { return nil }
                second = value
                if self.take(UInt8(ascii: ".")) {
                    var count = 0
                    while let digit = self.digits(1) {
                        if count < 3 { millisecond = millisecond * 10 + digit }
                        if digit != 0 { fractionIsZero = false }
                        count += 1
                    }
                    guard count > 0 else { return nil }
                    for _ in count..<max(count, 3) { millisecond *= 10 }
                }
            }
            if hour == 24 && (minute != 0 || second != 0 || !fractionIsZero) { return nil }
            var offset: Int64 = 0
            if self.take(UInt8(ascii: "Z")) {
                offset = 0
            } else if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-") {
                let sign: Int64 = self.bytes[self.index] == UInt8(ascii: "-") ? -1 : 1
                self.index += 1
                guard let offsetHour = self.digits(2), offsetHour <= 23, self.take(UInt8(ascii: ":")),
                    let offsetMinute = self.digits(2), offsetMinute <= 59
                else { return nil }
                offset = sign * (offsetHour * 60 + offsetMinute)
            }
            return (hour, minute, second, millisecond, offset)
        }
    }
}
