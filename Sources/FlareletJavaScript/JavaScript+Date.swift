public import FlareletJSON

// MARK: Time values

extension JavaScript {
    /// The largest absolute time value of a `Date` (±100,000,000 days), in milliseconds.
    public static let maximumTimeValue = 8.64e15

    /// Milliseconds per day.
    static let msPerDay = 86_400_000.0

    /// `MakeTime(hour, min, sec, ms)`.
    public static func makeTime(_ hour: Double, _ minute: Double, _ second: Double, _ millisecond: Double) -> Double {
        guard hour.isFinite, minute.isFinite, second.isFinite, millisecond.isFinite else { return .nan }
        return hour.rounded(.towardZero) * 3_600_000 + minute.rounded(.towardZero) * 60_000 + second.rounded(.towardZero) * 1000
            + millisecond.rounded(.towardZero)
    }

    /// `MakeDay(year, month, date)`: days since 1970-01-01 of the proleptic Gregorian date (`month` 0-based; both
    /// month and date may overflow and roll over). `NaN` outside V8's year range ±1,000,000.
    public static func makeDay(_ year: Double, _ month: Double, _ date: Double) -> Double {
        guard year.isFinite, month.isFinite, date.isFinite else { return .nan }
        let y = year.rounded(.towardZero)
        let m = month.rounded(.towardZero)
        guard abs(y) <= 1_000_000, abs(m) <= 10_000_000 else { return .nan }
        let totalMonths = Int64(y) * 12 + Int64(m)
        let fullYear = totalMonths >= 0 ? totalMonths / 12 : (totalMonths - 11) / 12
        let monthIndex = totalMonths - fullYear * 12
        return Double(self.daysFromCivil(year: fullYear, month: monthIndex + 1, day: 1)) + date.rounded(.towardZero) - 1
    }

    /// `MakeDate(day, time)`.
    public static func makeDate(_ day: Double, _ time: Double) -> Double {
        guard day.isFinite, time.isFinite else { return .nan }
        let value = day * self.msPerDay + time
        return value.isFinite ? value : .nan
    }

    /// `TimeClip(time)`: `NaN` beyond ±8.64e15 ms, otherwise the integer part (`-0` becomes `+0`).
    public static func timeClip(_ time: Double) -> Double {
        guard time.isFinite, abs(time) <= self.maximumTimeValue else { return .nan }
        return time.rounded(.towardZero) + 0
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day number (Howard Hinnant's `civil_from_days`).
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

// MARK: toISOString

extension JavaScript {
    /// `new Date(time).toISOString()`: `YYYY-MM-DDTHH:mm:ss.sssZ`, with `±YYYYYY` years outside 0–9999.
    /// - Throws: ``JavaScriptError/invalidTimeValue`` for `NaN` or a time beyond ±8.64e15 ms.
    public static func toISOString(_ time: Double) throws(JavaScriptError) -> String {
        let clipped = self.timeClip(time)
        guard !clipped.isNaN else { throw .invalidTimeValue }
        return self.isoString(milliseconds: Int64(clipped))
    }

    /// `toISOString()` of a valid time value in milliseconds since the epoch.
    public static func isoString(milliseconds: Int64) -> String {
        let days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        let msOfDay = milliseconds - days * 86_400_000
        let (year, month, day) = self.civilFromDays(days)
        var text = ""
        text.reserveCapacity(27)
        if (0...9999).contains(year) {
            Self.append(year, width: 4, to: &text)
        } else {
            text.append(year < 0 ? "-" : "+")
            Self.append(abs(year), width: 6, to: &text)
        }
        text.append("-")
        Self.append(month, width: 2, to: &text)
        text.append("-")
        Self.append(day, width: 2, to: &text)
        text.append("T")
        Self.append(msOfDay / 3_600_000, width: 2, to: &text)
        text.append(":")
        Self.append(msOfDay / 60000 % 60, width: 2, to: &text)
        text.append(":")
        Self.append(msOfDay / 1000 % 60, width: 2, to: &text)
        text.append(".")
        Self.append(msOfDay % 1000, width: 3, to: &text)
        text.append("Z")
        return text
    }

    /// The `YYYY-MM-DD` part of ``isoString(milliseconds:)``.
    public static func isoDate(milliseconds: Int64) -> String {
        String(self.isoString(milliseconds: milliseconds).dropLast(14))
    }

    private static func append(_ value: Int64, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text.append(String(repeating: "0", count: width - digits.count)) }
        text.append(digits)
    }
}

// MARK: Date.parse

extension JavaScript {
    /// `Date.parse(text)` / `new Date(text).getTime()` as V8 computes it in workerd (time zone UTC): milliseconds
    /// since the epoch, or `NaN`.
    ///
    /// V8 first reads an ES5 date-time string (`[±YY]YYYY[-MM[-DD]][THH:mm[:ss[.sss]][Z|±hh:mm|±hhmm]]`, the
    /// fraction of any length) and, where that stops, continues with its legacy parser: month names, `AM`/`PM`,
    /// `UT`/`UTC`/`GMT`/`Z` and the US zone abbreviations, `±hhmm` offsets after a time or `GMT`, numbers read as
    /// month/day/year (two-digit years 0–49 → 20xx, 50–99 → 19xx), `HH:mm[:ss[.sss]]` times, parenthesised
    /// comments, and any words before the first number. A string without a zone is local time, which is UTC in
    /// workerd. A NUL character ends the input. The result is clipped to ±8.64e15 ms.
    public static func parseDate(_ text: JSString) -> Double {
        var parser = DateParser(text.codeUnits)
        guard let fields = parser.parse() else { return .nan }
        let day = self.makeDay(Double(fields.year), Double(fields.month), Double(fields.day))
        let time = self.makeTime(Double(fields.hour), Double(fields.minute), Double(fields.second), Double(fields.millisecond))
        var date = self.makeDate(day, time)
        // Without a zone the time is local, which is UTC in workerd.
        if let offset = fields.utcOffsetSeconds { date -= Double(offset) * 1000 }
        return self.timeClip(date)
    }
}

/// V8's `DateParser` (`src/date/dateparser*.{h,cc}`), over UTF-16 code units.
struct DateParser {
    /// What `Parse` writes: year, 0-based month, day, time, and the UTC offset when the string names one.
    struct Fields {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        var millisecond: Int
        var utcOffsetSeconds: Int?
    }

    /// V8's `kNone`: a missing value.
    static let none = Int(Int32.max)
    /// Digits beyond this many in a numeral are read but ignored.
    static let maxSignificantDigits = 9

    // MARK: Input

    private let input: [UInt16]
    private var position = 0
    /// The current character; 0 at the end (a NUL character also ends the input, as in V8).
    private var character: UInt32 = 0
    private var next: Token = .endOfInput

    init(_ input: [UInt16]) {
        self.input = input
        self.advance()
        self.next = self.scan()
    }

    private mutating func advance() {
        self.character = self.position < self.input.count ? UInt32(self.input[self.position]) : 0
        self.position += 1
    }

    private var atEnd: Bool { self.character == 0 }
    private var isDigit: Bool { self.character >= 0x30 && self.character <= 0x39 }

    // MARK: Tokens

    enum KeywordType: Equatable {
        case invalid, monthName, timeZoneName, timeSeparator, amPm
    }

    enum Token: Equatable {
        case invalid
        case unknown
        case whiteSpace
        case number(value: Int, length: Int)
        case symbol(UInt8)
        case endOfInput
        case keyword(type: KeywordType, value: Int, length: Int)

        var isNumber: Bool { if case .number = self { true } else { false } }
        var isAsciiSign: Bool { self == .symbol(UInt8(ascii: "+")) || self == .symbol(UInt8(ascii: "-")) }
        var asciiSign: Int { self == .symbol(UInt8(ascii: "-")) ? -1 : 1 }
        var isKeywordZ: Bool {
            if case .keyword(.timeZoneName, 0, 1) = self { return true }
            return false
        }
        func isFixedLengthNumber(_ length: Int) -> Bool {
            if case .number(_, let actual) = self { return actual == length }
            return false
        }
        var number: Int {
            if case .number(let value, _) = self { return value }
            return 0
        }
    }

    /// Month names, AM/PM, zone names and `T`: three-letter lower-case prefixes (V8's `KeywordTable`).
    private static let keywords: [Keyword] = [
        Keyword("jan", .monthName, 1), Keyword("feb", .monthName, 2), Keyword("mar", .monthName, 3),
        Keyword("apr", .monthName, 4), Keyword("may", .monthName, 5), Keyword("jun", .monthName, 6),
        Keyword("jul", .monthName, 7), Keyword("aug", .monthName, 8), Keyword("sep", .monthName, 9),
        Keyword("oct", .monthName, 10), Keyword("nov", .monthName, 11), Keyword("dec", .monthName, 12),
        Keyword("am", .amPm, 0), Keyword("pm", .amPm, 12), Keyword("ut", .timeZoneName, 0),
        Keyword("utc", .timeZoneName, 0), Keyword("z", .timeZoneName, 0), Keyword("gmt", .timeZoneName, 0),
        Keyword("cdt", .timeZoneName, -5), Keyword("cst", .timeZoneName, -6), Keyword("edt", .timeZoneName, -4),
        Keyword("est", .timeZoneName, -5), Keyword("mdt", .timeZoneName, -6), Keyword("mst", .timeZoneName, -7),
        Keyword("pdt", .timeZoneName, -7), Keyword("pst", .timeZoneName, -8), Keyword("t", .timeSeparator, 0),
    ]

    /// One entry of V8's keyword table: a lower-case prefix padded with zeros to three characters.
    private struct Keyword {
        let prefix: [UInt32]
        let type: KeywordType
        let value: Int

        init(_ word: String, _ type: KeywordType, _ value: Int) {
            var prefix = word.unicodeScalars.map(\.value)
            while prefix.count < 3 { prefix.append(0) }
            self.prefix = prefix
            self.type = type
            self.value = value
        }
    }

    private mutating func scan() -> Token {
        let start = self.position
        if self.atEnd { return .endOfInput }
        if self.isDigit {
            var value = 0
            var count = 0
            while self.isDigit {
                if count < Self.maxSignificantDigits { value = value * 10 + Int(self.character - 0x30) }
                count += 1
                self.advance()
            }
            return .number(value: value, length: self.position - start)
        }
        for symbol in [UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: ")")]
        where self.character == UInt32(symbol) {
            self.advance()
            return .symbol(symbol)
        }
        // White space (also non-ASCII white space such as NBSP or U+FEFF) comes before words.
        if self.character < 0x10000, JavaScript.isWhitespace(UInt16(self.character)) {
            self.advance()
            return .whiteSpace
        }
        if self.character >= 0x41 {
            // A word: every other character from 'A' up (including non-ASCII), its first three lower-cased.
            var prefix: [UInt32] = [0, 0, 0]
            var length = 0
            while self.character >= 0x41 {
                if length < 3 { prefix[length] = self.character | 0x20 }
                length += 1
                self.advance()
            }
            for keyword in Self.keywords where keyword.prefix == prefix {
                // A word longer than its keyword is only allowed for month names.
                if length <= 3 || keyword.type == .monthName {
                    return .keyword(type: keyword.type, value: keyword.value, length: length)
                }
            }
            return .keyword(type: .invalid, value: 0, length: length)
        }
        if self.character == 0x28 {  // (
            var balance = 0
            repeat {
                if self.character == 0x29 {
                    balance -= 1
                } else if self.character == 0x28 {
                    balance += 1
                }
                self.advance()
            } while balance > 0 && !self.atEnd
            return .unknown
        }
        self.advance()
        return .unknown
    }

    private mutating func nextToken() -> Token {
        let result = self.next
        self.next = self.scan()
        return result
    }

    private mutating func skipSymbol(_ symbol: UInt8) -> Bool {
        guard self.next == .symbol(symbol) else { return false }
        self.next = self.scan()
        return true
    }

    // MARK: Composers

    private static func between(_ value: Int, _ low: Int, _ high: Int) -> Bool {
        UInt32(truncatingIfNeeded: value - low) <= UInt32(truncatingIfNeeded: high - low)
    }
    static func isMonth(_ value: Int) -> Bool { self.between(value, 1, 12) }
    static func isDay(_ value: Int) -> Bool { self.between(value, 1, 31) }
    static func isHour(_ value: Int) -> Bool { self.between(value, 0, 23) }
    static func isMinute(_ value: Int) -> Bool { self.between(value, 0, 59) }
    static func isSecond(_ value: Int) -> Bool { self.between(value, 0, 59) }
    static func isHour12(_ value: Int) -> Bool { self.between(value, 0, 12) }
    static func isMillisecond(_ value: Int) -> Bool { self.between(value, 0, 999) }

    struct TimeZoneComposer {
        var sign = DateParser.none
        var hour = DateParser.none
        var minute = DateParser.none

        mutating func set(_ offsetInHours: Int) {
            self.sign = offsetInHours < 0 ? -1 : 1
            self.hour = offsetInHours * self.sign
            self.minute = 0
        }
        mutating func setSign(_ sign: Int) { self.sign = sign < 0 ? -1 : 1 }
        func isExpecting(_ n: Int) -> Bool { self.hour != DateParser.none && self.minute == DateParser.none && DateParser.isMinute(n) }
        var isUTC: Bool { self.hour == 0 && self.minute == 0 }
        var isEmpty: Bool { self.hour == DateParser.none }

        func write() -> (ok: Bool, offset: Int?) {
            guard self.sign != DateParser.none else { return (true, nil) }
            let hour = self.hour == DateParser.none ? 0 : self.hour
            let minute = self.minute == DateParser.none ? 0 : self.minute
            let total = UInt32(truncatingIfNeeded: hour) &* 3600 &+ UInt32(truncatingIfNeeded: minute) &* 60
            // V8 computes in unsigned 32-bit arithmetic and requires a Smi (Node's 32-bit Smis).
            guard total <= UInt32(Int32.max) else { return (false, nil) }
            return (true, self.sign < 0 ? -Int(total) : Int(total))
        }
    }

    struct TimeComposer {
        var components = [0, 0, 0, 0]
        var index = 0
        var hourOffset = DateParser.none

        var isEmpty: Bool { self.index == 0 }
        func isExpecting(_ n: Int) -> Bool {
            (self.index == 1 && DateParser.isMinute(n)) || (self.index == 2 && DateParser.isSecond(n))
                || (self.index == 3 && DateParser.isMillisecond(n))
        }
        @discardableResult
        mutating func add(_ n: Int) -> Bool {
            guard self.index < 4 else { return false }
            self.components[self.index] = n
            self.index += 1
            return true
        }
        @discardableResult
        mutating func addFinal(_ n: Int) -> Bool {
            guard self.add(n) else { return false }
            while self.index < 4 {
                self.components[self.index] = 0
                self.index += 1
            }
            return true
        }

        func write() -> (hour: Int, minute: Int, second: Int, millisecond: Int)? {
            // Missing components are 0 (`components` starts zeroed).
            var hour = self.components[0]
            let (minute, second, millisecond) = (self.components[1], self.components[2], self.components[3])
            if self.hourOffset != DateParser.none {
                guard DateParser.isHour12(hour) else { return nil }
                hour %= 12
                hour += self.hourOffset
            }
            if !DateParser.isHour(hour) || !DateParser.isMinute(minute) || !DateParser.isSecond(second)
                || !DateParser.isMillisecond(millisecond)
            {
                // A 24th hour is allowed if minutes, seconds and milliseconds are 0.
                guard hour == 24, minute == 0, second == 0, millisecond == 0 else { return nil }
            }
            return (hour, minute, second, millisecond)
        }
    }

    struct DayComposer {
        var components = [0, 0, 0]
        var index = 0
        var namedMonth = DateParser.none
        var isISODate = false

        var isEmpty: Bool { self.index == 0 }
        mutating func add(_ n: Int) -> Bool {
            guard self.index < 3 else { return false }
            self.components[self.index] = n
            self.index += 1
            return true
        }

        func write() -> (year: Int, month: Int, day: Int)? {
            guard self.index >= 1 else { return nil }
            // Missing components default to 1, and from here on V8 sees three of them (so its `index_ == 1` test
            // for a lone day next to a month name never holds, and `index_ == 3` always does).
            var components = self.components
            for position in self.index..<3 { components[position] = 1 }
            let index = 3
            var year = 0  // Default year is 0 (=> 2000) for KJS compatibility.
            var month = DateParser.none
            var day = DateParser.none
            if self.namedMonth == DateParser.none {
                if self.isISODate || (index == 3 && !DateParser.isDay(components[0])) {
                    (year, month, day) = (components[0], components[1], components[2])
                } else {
                    (month, day) = (components[0], components[1])
                    if index == 3 { year = components[2] }
                }
            } else {
                month = self.namedMonth
                if index == 1 {
                    day = components[0]
                } else if !DateParser.isDay(components[0]) {
                    (year, day) = (components[0], components[1])
                } else {
                    (day, year) = (components[0], components[1])
                }
            }
            if !self.isISODate {
                if DateParser.between(year, 0, 49) {
                    year += 2000
                } else if DateParser.between(year, 50, 99) {
                    year += 1900
                }
            }
            guard DateParser.isMonth(month), DateParser.isDay(day) else { return nil }
            return (year, month - 1, day)
        }
    }

    // MARK: Parsing

    /// The first three significant digits of a fraction, from its value and digit count.
    private static func readMilliseconds(_ token: Token) -> Int {
        guard case .number(var number, var length) = token else { return 0 }
        if length == 1 {
            number *= 100
        } else if length == 2 {
            number *= 10
        } else if length > 3 {
            if length > Self.maxSignificantDigits { length = Self.maxSignificantDigits }
            var factor = 1
            while length > 3 {
                factor *= 10
                length -= 1
            }
            number /= factor
        }
        return number
    }

    mutating func parse() -> Fields? {
        var tz = TimeZoneComposer()
        var time = TimeComposer()
        var day = DayComposer()
        let firstUnhandled = self.parseES5DateTime(day: &day, time: &time, tz: &tz)
        if firstUnhandled == .invalid { return nil }
        var hasReadNumber = !day.isEmpty
        var token = firstUnhandled
        while token != .endOfInput {
            switch token {
            case .number(let n, _):
                hasReadNumber = true
                if self.skipSymbol(UInt8(ascii: ":")) {
                    if self.skipSymbol(UInt8(ascii: ":")) {
                        // n + "::"
                        if !time.isEmpty { return nil }
                        time.add(n)
                        time.add(0)
                    } else {
                        // n + ":"
                        if !time.add(n) { return nil }
                        if self.next == .symbol(UInt8(ascii: ".")) { _ = self.nextToken() }
                    }
                } else if self.next == .symbol(UInt8(ascii: ".")) && time.isExpecting(n) {
                    _ = self.skipSymbol(UInt8(ascii: "."))
                    time.add(n)
                    if !self.next.isNumber { return nil }
                    let milliseconds = Self.readMilliseconds(self.nextToken())
                    if milliseconds < 0 { return nil }
                    time.addFinal(milliseconds)
                } else {
                    // V8 consumes a '.' here even when the number is not a time.
                    _ = self.skipSymbol(UInt8(ascii: "."))
                    if tz.isExpecting(n) {
                        tz.minute = n
                    } else if time.isExpecting(n) {
                        time.addFinal(n)
                        // Require end, white space, "Z", "+" or "-" immediately after finalizing time.
                        let peek = self.next
                        if peek != .endOfInput && peek != .whiteSpace && !peek.isKeywordZ && !peek.isAsciiSign { return nil }
                    } else {
                        if !day.add(n) { return nil }
                        _ = self.skipSymbol(UInt8(ascii: "-"))
                    }
                }
            case .keyword(let type, let value, _):
                if type == .amPm && !time.isEmpty {
                    time.hourOffset = value
                } else if type == .monthName {
                    day.namedMonth = value
                    _ = self.skipSymbol(UInt8(ascii: "-"))
                } else if type == .timeZoneName && hasReadNumber {
                    tz.set(value)
                } else {
                    // Garbage words are illegal if a number has been read.
                    if hasReadNumber { return nil }
                    // The first number has to be separated from garbage words by white space or other separators.
                    if self.next.isNumber { return nil }
                }
            case .symbol where token.isAsciiSign && (tz.isUTC || !time.isEmpty):
                // A UTC offset (only after UTC or a time).
                tz.setSign(token.asciiSign)
                var n = 0
                var length = 0
                if case .number(let value, let digits) = self.next {
                    _ = self.nextToken()
                    n = value
                    length = digits
                }
                hasReadNumber = true
                if self.next == .symbol(UInt8(ascii: ":")) {
                    tz.hour = n
                    tz.minute = DateParser.none
                } else if length == 2 || length == 1 {
                    // Time zones like GMT-8.
                    tz.hour = n
                    tz.minute = 0
                } else if length == 4 || length == 3 {
                    // hhmm.
                    tz.hour = n / 100
                    tz.minute = n % 100
                } else {
                    // No need to accept time zones like GMT-12345.
                    return nil
                }
            case .symbol(let symbol) where (token.isAsciiSign || symbol == UInt8(ascii: ")")) && hasReadNumber:
                // An extra sign or ')' is illegal once a number has been read.
                return nil
            default:
                // Other characters and white space are ignored.
                break
            }
            token = self.nextToken()
        }
        guard let date = day.write(), let clock = time.write() else { return nil }
        let zone = tz.write()
        guard zone.ok else { return nil }
        return Fields(
            year: date.year,
            month: date.month,
            day: date.day,
            hour: clock.hour,
            minute: clock.minute,
            second: clock.second,
            millisecond: clock.millisecond,
            utcOffsetSeconds: zone.offset
        )
    }

    /// Reads as much as possible as an ES5 date-time string; returns the next token for the legacy parser,
    /// `.endOfInput` when done, `.invalid` on a definite failure.
    private mutating func parseES5DateTime(day: inout DayComposer, time: inout TimeComposer, tz: inout TimeZoneComposer) -> Token {
        // Mandatory date: [('-'|'+')yy]yyyy['-'MM['-'DD]]
        if self.next.isAsciiSign {
            // Keep the sign token, so it can go back to the legacy parser if unused.
            let signToken = self.nextToken()
            guard self.next.isFixedLengthNumber(6) else { return signToken }
            let sign = signToken.asciiSign
            let year = self.nextToken().number
            if sign < 0 && year == 0 { return signToken }
            _ = day.add(sign * year)
        } else if self.next.isFixedLengthNumber(4) {
            _ = day.add(self.nextToken().number)
        } else {
            return self.nextToken()
        }
        if self.skipSymbol(UInt8(ascii: "-")) {
            guard self.next.isFixedLengthNumber(2), Self.isMonth(self.next.number) else { return self.nextToken() }
            _ = day.add(self.nextToken().number)
            if self.skipSymbol(UInt8(ascii: "-")) {
                guard self.next.isFixedLengthNumber(2), Self.isDay(self.next.number) else { return self.nextToken() }
                _ = day.add(self.nextToken().number)
            }
        }
        // Optional time: 'T'HH':'mm[':'ss['.'sss]][Z|(+|-)hh:mm]
        if case .keyword(.timeSeparator, _, _) = self.next {
            _ = self.nextToken()
            guard self.next.isFixedLengthNumber(2), Self.between(self.next.number, 0, 24) else { return .invalid }
            // Allow 24:00[:00[.000]], but no other time starting with 24.
            let hourIs24 = self.next.number == 24
            time.add(self.nextToken().number)
            guard self.skipSymbol(UInt8(ascii: ":")) else { return .invalid }
            guard self.next.isFixedLengthNumber(2), Self.isMinute(self.next.number), !(hourIs24 && self.next.number > 0) else {
                return .invalid
            }
            time.add(self.nextToken().number)
            if self.skipSymbol(UInt8(ascii: ":")) {
                guard self.next.isFixedLengthNumber(2), Self.isSecond(self.next.number), !(hourIs24 && self.next.number > 0) else {
                    return .invalid
                }
                time.add(self.nextToken().number)
                if self.skipSymbol(UInt8(ascii: ".")) {
                    guard self.next.isNumber, !(hourIs24 && self.next.number > 0) else { return .invalid }
                    // More or fewer than the mandated three digits are allowed.
                    time.add(Self.readMilliseconds(self.nextToken()))
                }
            }
            // Optional zone: 'Z' | ('+'|'-')hh':'mm | ('+'|'-')hhmm
            if self.next.isKeywordZ {
                _ = self.nextToken()
                tz.set(0)
            } else if self.next.isAsciiSign {
                tz.setSign(self.nextToken().asciiSign)
                if self.next.isFixedLengthNumber(4) {
                    let hourMinute = self.nextToken().number
                    let hour = hourMinute / 100
                    let minute = hourMinute % 100
                    guard Self.isHour(hour), Self.isMinute(minute) else { return .invalid }
                    tz.hour = hour
                    tz.minute = minute
                } else {
                    guard self.next.isFixedLengthNumber(2), Self.isHour(self.next.number) else { return .invalid }
                    tz.hour = self.nextToken().number
                    guard self.skipSymbol(UInt8(ascii: ":")) else { return .invalid }
                    guard self.next.isFixedLengthNumber(2), Self.isMinute(self.next.number) else { return .invalid }
                    tz.minute = self.nextToken().number
                }
            }
            guard self.next == .endOfInput else { return .invalid }
        } else if self.next != .endOfInput {
            return self.nextToken()
        }
        // A complete ES5 string. "When the time zone offset is absent, date-only forms are interpreted as a UTC
        // time and date-time forms are interpreted as a local time."
        if tz.isEmpty && time.isEmpty { tz.set(0) }
        day.isISODate = true
        return .endOfInput
    }
}
