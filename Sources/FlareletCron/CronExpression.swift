import FlareletCore
import Foundation

/// A Cloudflare Cron Trigger expression: five whitespace-separated fields (minute, hour, day of month, month, day of
/// week), evaluated in UTC at minute resolution.
///
/// The accepted syntax is Cloudflare's (its parser is `cloudflare/saffron`):
///
/// | field | values | operators |
/// | --- | --- | --- |
/// | minute | 0–59 | `*` `,` `-` `/` |
/// | hour | 0–23 | `*` `,` `-` `/` |
/// | day of month | 1–31 | `*` `,` `-` `/`, `L`, `LW`, `L-n`, `L-nW`, `nW` |
/// | month | 1–12 or `JAN`–`DEC` (any case) | `*` `,` `-` `/` |
/// | day of week | 1–7 with **1 = Sunday**, or `SUN`–`SAT` (any case) | `*` `,` `-` `/`, `L`, `nL`, `n#k` |
///
/// Ranges may wrap (`FRI-SUN`, `50-10`); steps are `*/n`, `a/n` and `a-b/n` with `n` from 1 to the field's span. When
/// both the day of month and the day of week are restricted (neither is a bare `*`), a day matches if either matches.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The expression exactly as configured, character for character (this is `controller.cron`).
    public let text: String

    let minutes: UInt64
    let hours: UInt32
    let dayOfMonth: DayOfMonthRule
    let months: UInt16
    let dayOfWeek: DayOfWeekRule

    /// Parses a Cloudflare cron expression.
    ///
    /// - Parameter text: The expression, e.g. `"*/15 * * * *"`. Leading and trailing whitespace is ignored for
    ///   parsing; ``text`` keeps the string as given.
    /// - Throws: ``CronParseError`` naming the field and token at fault.
    public init(parsing text: String) throws(CronParseError) {
        let parsed = try CronParser(text: text).parse()
        self.text = text
        self.minutes = parsed.minutes
        self.hours = parsed.hours
        self.dayOfMonth = parsed.dayOfMonth
        self.months = parsed.months
        self.dayOfWeek = parsed.dayOfWeek
    }

    public var description: String { self.text }

    /// Whether the minute containing `date` (in UTC) matches the expression; seconds are ignored.
    public func matches(_ date: Date) -> Bool {
        guard let minute = Self.minuteNumber(containing: date) else { return false }
        let days = CivilCalendar.floorDivide(minute, 1440)
        let minuteOfDay = minute - days * 1440
        let civil = CivilCalendar.date(days: days)
        return self.months & (1 << civil.month) != 0
            && self.hours & (1 << (minuteOfDay / 60)) != 0
            && self.minutes & (1 << (minuteOfDay % 60)) != 0
            && self.dayMatches(year: civil.year, month: civil.month, day: civil.day)
    }

    /// The first whole minute strictly after `date` that matches the expression, in UTC.
    ///
    /// From `01:59:30` the next minute considered is `02:00`; from `02:00:00` it is `02:01`. The search covers one
    /// full 400-year Gregorian cycle, after which the calendar repeats, so `nil` means the expression can never fire
    /// (for example `0 0 30 2 *`).
    ///
    /// - Parameter date: The instant to search after.
    /// - Returns: The firing time (a multiple of 60 seconds since the epoch), or `nil` if there is none.
    public func nextFireTime(after date: Date) -> Date? {
        guard let current = Self.minuteNumber(containing: date) else { return nil }
        let start = current + 1
        let startDays = CivilCalendar.floorDivide(start, 1440)
        let startMinuteOfDay = start - startDays * 1440
        let startDate = CivilCalendar.date(days: startDays)

        var year = startDate.year
        var month = startDate.month
        // 400 years plus one month: the Gregorian calendar (leap years and weekdays) repeats every 400 years.
        for _ in 0...(400 * 12) {
            if self.months & (1 << month) != 0 {
                let isStartMonth = year == startDate.year && month == startDate.month
                let firstDay = isStartMonth ? startDate.day : 1
                let lastDay = CivilCalendar.daysInMonth(year: year, month: month)
                if firstDay <= lastDay {
                    for day in firstDay...lastDay where self.dayMatches(year: year, month: month, day: day) {
                        let fromMinute = isStartMonth && day == startDate.day ? startMinuteOfDay : 0
                        if let minuteOfDay = self.firstMatchingMinuteOfDay(from: fromMinute) {
                            let days = CivilCalendar.days(year: year, month: month, day: day)
                            return Date(timeIntervalSince1970: Double((days * 1440 + minuteOfDay) * 60))
                        }
                    }
                }
            }
            if month == 12 {
                month = 1
                year += 1
            } else {
                month += 1
            }
        }
        return nil
    }

    // MARK: Matching

    /// The minute number (minutes since the epoch, floored) of `date`, or `nil` for non-finite or absurd dates.
    private static func minuteNumber(containing date: Date) -> Int? {
        let seconds = date.timeIntervalSince1970
        // About ±190 million years: far beyond any meaningful date, far below Int overflow in the arithmetic above.
        guard seconds.isFinite, abs(seconds) < 6e15 else { return nil }
        return Int((seconds / 60).rounded(.down))
    }

    /// The first matching minute of the day at or after `minuteOfDay` (0...1439), or `nil`.
    private func firstMatchingMinuteOfDay(from minuteOfDay: Int) -> Int? {
        var hour = minuteOfDay / 60
        var minute = minuteOfDay % 60
        while hour < 24 {
            if self.hours & (1 << hour) != 0 {
                let remaining = self.minutes >> minute
                if remaining != 0 {
                    return hour * 60 + minute + remaining.trailingZeroBitCount
                }
            }
            hour += 1
            minute = 0
        }
        return nil
    }

    /// Whether a day satisfies the day-of-month and day-of-week fields (either one when both are restricted).
    func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        switch (self.dayOfMonth, self.dayOfWeek) {
        case (.any, .any):
            return true
        case (.any, let weekdays):
            return weekdays.matches(year: year, month: month, day: day)
        case (let days, .any):
            return days.matches(year: year, month: month, day: day)
        case (let days, let weekdays):
            return days.matches(year: year, month: month, day: day) || weekdays.matches(year: year, month: month, day: day)
        }
    }
}

/// The compiled day-of-month field.
enum DayOfMonthRule: Sendable, Hashable {
    /// A bare `*`.
    case any
    /// Values, ranges and steps: bit `d` set for day `d` (1...31).
    case days(UInt32)
    /// `L` (offset 0) or `L-n`: the last day of the month minus `offset`.
    case last(offset: Int)
    /// `LW` (offset 0) or `L-nW`: the weekday nearest to the last day of the month minus `offset`.
    case lastWeekday(offset: Int)
    /// `nW`: the weekday nearest to day `n` within the same month.
    case nearestWeekday(Int)

    func matches(year: Int, month: Int, day: Int) -> Bool {
        let daysInMonth = CivilCalendar.daysInMonth(year: year, month: month)
        switch self {
        case .any:
            return true
        case .days(let mask):
            return mask & (1 << day) != 0
        case .last(let offset):
            return day == daysInMonth - offset
        case .lastWeekday(let offset):
            let target = daysInMonth - offset
            return target >= 1 && day == Self.nearestWeekday(to: target, year: year, month: month, daysInMonth: daysInMonth)
        case .nearestWeekday(let target):
            return target <= daysInMonth
                && day == Self.nearestWeekday(to: target, year: year, month: month, daysInMonth: daysInMonth)
        }
    }

    /// Quartz's `W`: the day itself if it is Monday to Friday; a Saturday moves to Friday unless that leaves the month
    /// (the 1st), then to Monday the 3rd; a Sunday moves to Monday unless that leaves the month (the last day), then to
    /// Friday.
    static func nearestWeekday(to target: Int, year: Int, month: Int, daysInMonth: Int) -> Int {
        switch CivilCalendar.weekday(year: year, month: month, day: target) {
        case 7: target == 1 ? 3 : target - 1
        case 1: target == daysInMonth ? target - 2 : target + 1
        default: target
        }
    }
}

/// The compiled day-of-week field (weekdays 1 = Sunday ... 7 = Saturday).
enum DayOfWeekRule: Sendable, Hashable {
    /// A bare `*`.
    case any
    /// Values, ranges and steps (and a bare `L`, Saturday): bit `w` set for weekday `w` (1...7).
    case days(UInt8)
    /// `nL`: the last such weekday of the month.
    case last(weekday: Int)
    /// `n#k`: the k-th such weekday of the month.
    case nth(weekday: Int, occurrence: Int)

    func matches(year: Int, month: Int, day: Int) -> Bool {
        let weekday = CivilCalendar.weekday(year: year, month: month, day: day)
        switch self {
        case .any:
            return true
        case .days(let mask):
            return mask & (1 << weekday) != 0
        case .last(let wanted):
            return weekday == wanted && day + 7 > CivilCalendar.daysInMonth(year: year, month: month)
        case .nth(let wanted, let occurrence):
            return weekday == wanted && (day - 1) / 7 + 1 == occurrence
        }
    }
}
