import Flarelet
import Foundation

/// Timestamps as the port stores them: microseconds since the Unix epoch, written as
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, exactly six fraction digits, PostgreSQL's precision).
public enum Timestamp {
    /// Parses an RFC 3339 date-time the way chrono's `DateTime<Utc>` deserializer does: `YYYY-MM-DD`, then `T`, `t`
    /// or a space, `HH:MM:SS`, an optional fraction (any number of digits, truncated to microseconds), then `Z`,
    /// `z` or a `±HH:MM` / `±HHMM` offset, converted to UTC. A leap second (`:60`) counts as the next second.
    /// - Returns: microseconds since the Unix epoch, or `nil` when `text` is not such a date-time.
    public static func parseRFC3339(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func digits(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }
        func take(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2),
            take("Tt "), let hour = digits(2), take(":"), let minute = digits(2), take(":"), let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= self.daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var micros: Int64 = 0
        if take(".") {
            var count = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                if count < 6 { micros = micros * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 6) { micros *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if take("Zz") {
            offsetSeconds = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let negative = bytes[index] == UInt8(ascii: "-")
            index += 1
            guard let offsetHours = digits(2) else { return nil }
            _ = take(":")
            guard let offsetMinutes = digits(2), offsetHours <= 23, offsetMinutes <= 59 else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (negative ? -1 : 1)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = self.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return seconds * 1_000_000 + micros
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for microseconds since the Unix epoch.
    public static func format(microseconds: Int64) -> String {
        let micros = ((microseconds % 1_000_000) + 1_000_000) % 1_000_000
        let totalSeconds = (microseconds - micros) / 1_000_000
        let secondOfDay = ((totalSeconds % 86400) + 86400) % 86400
        let days = (totalSeconds - secondOfDay) / 86400
        let (year, month, day) = self.civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(abs(value))
            return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):"
            + "\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    /// The instant `date` in microseconds since the Unix epoch (rounded to the nearest microsecond).
    public static func microseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// `format(microseconds:)` of `date`.
    public static func format(_ date: Date) -> String {
        self.format(microseconds: self.microseconds(date))
    }

    private static func isLeapYear(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: self.isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (proleptic Gregorian), via ``CivilCalendar``.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        Int64(CivilCalendar.days(year: Int(year), month: Int(month), day: Int(day)))
    }

    static func civilFromDays(_ value: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let civil = CivilCalendar.date(days: Int(value))
        return (Int64(civil.year), Int64(civil.month), Int64(civil.day))
    }
}
