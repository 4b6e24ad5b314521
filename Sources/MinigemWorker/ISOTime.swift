import Flarelet

/// Day arithmetic on Unix milliseconds for the statistics, with dates printed by the shared JavaScript layer.
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

    /// `YYYY-MM-DD` (or `±YYYYYY-MM-DD`) of a day number.
    static func date(days: Int64) -> String {
        JavaScript.isoDate(milliseconds: days * self.dayMilliseconds)
    }

    /// `toISOString()`.
    static func string(milliseconds ms: Int64) -> String {
        JavaScript.isoString(milliseconds: ms)
    }

    /// The date part (`YYYY-MM-DD`) of the instant.
    static func datePart(milliseconds ms: Int64) -> String {
        self.date(days: self.floorDiv(ms, self.dayMilliseconds))
    }
}
