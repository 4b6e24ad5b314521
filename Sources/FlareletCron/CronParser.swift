/// Turns the text of a cron expression into bit masks and day rules, or a ``CronParseError``.
struct CronParser {
    struct Parsed {
        var minutes: UInt64
        var hours: UInt32
        var dayOfMonth: DayOfMonthRule
        var months: UInt16
        var dayOfWeek: DayOfWeekRule
    }

    let text: String

    func parse() throws(CronParseError) -> Parsed {
        let fields = self.text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        if fields.count == 1, let first = fields.first, first.hasPrefix("@") {
            throw CronParseError(expression: self.text, field: nil, token: first, kind: .macro)
        }
        guard fields.count == 5 else {
            throw CronParseError(expression: self.text, field: nil, token: nil, kind: .fieldCount(fields.count))
        }
        for (index, field) in fields.enumerated() where field.contains("?") {
            throw self.error(CronField(rawValue: index) ?? .minute, field, .questionMark)
        }
        return Parsed(
            minutes: try self.parsePlainField(.minute, fields[0]),
            hours: UInt32(truncatingIfNeeded: try self.parsePlainField(.hour, fields[1])),
            dayOfMonth: try self.parseDayOfMonth(fields[2]),
            months: UInt16(truncatingIfNeeded: try self.parsePlainField(.month, fields[3])),
            dayOfWeek: try self.parseDayOfWeek(fields[4])
        )
    }

    // MARK: Fields

    /// Minute, hour and month: `*` or a list of values, ranges and steps, compiled to a bit mask (bit v = value v).
    private func parsePlainField(_ field: CronField, _ token: String) throws(CronParseError) -> UInt64 {
        if token == "*" {
            return Self.mask(field.minimum...field.maximum)
        }
        return try self.parseList(field, token, isSpecial: { _ in false })
    }

    private func parseDayOfMonth(_ token: String) throws(CronParseError) -> DayOfMonthRule {
        let field = CronField.dayOfMonth
        if token == "*" {
            return .any
        }
        // Day-of-month values are digits only, so any L or W marks a special form.
        let isSpecial: (String) -> Bool = { $0.contains("L") || $0.contains("W") }
        guard isSpecial(token) else {
            return .days(UInt32(truncatingIfNeeded: try self.parseList(field, token, isSpecial: isSpecial)))
        }
        try self.rejectList(field, token, isSpecial: isSpecial)
        if token == "L" {
            return .last(offset: 0)
        }
        if token == "LW" {
            return .lastWeekday(offset: 0)
        }
        if token.hasPrefix("L-") {
            var digits = token.dropFirst(2)
            let weekday = digits.hasSuffix("W")
            if weekday {
                digits = digits.dropLast()
            }
            guard Self.isDigits(digits) else { throw self.error(field, token, .invalidToken) }
            guard let offset = Int(digits), (1...30).contains(offset) else {
                throw self.error(field, token, .lastOffsetOutOfRange(offset: String(digits)))
            }
            return weekday ? .lastWeekday(offset: offset) : .last(offset: offset)
        }
        if token.hasSuffix("W") {
            let digits = token.dropLast()
            guard Self.isDigits(digits) else { throw self.error(field, token, .invalidToken) }
            return .nearestWeekday(try self.checkedValue(field, token, digits))
        }
        throw self.error(field, token, .invalidToken)
    }

    private func parseDayOfWeek(_ token: String) throws(CronParseError) -> DayOfWeekRule {
        let field = CronField.dayOfWeek
        if token == "*" {
            return .any
        }
        // No weekday name ends in an upper-case L, so a trailing L or any # marks a special form.
        let isSpecial: (String) -> Bool = { $0.hasSuffix("L") || $0.contains("#") }
        guard isSpecial(token) else {
            return .days(UInt8(truncatingIfNeeded: try self.parseList(field, token, isSpecial: isSpecial)))
        }
        try self.rejectList(field, token, isSpecial: isSpecial)
        if token == "L" {
            return .days(1 << 7)
        }
        if token.hasSuffix("L") {
            return .last(weekday: try self.value(field, token, token.dropLast()))
        }
        let parts = token.split(separator: "#", omittingEmptySubsequences: false)
        guard parts.count == 2, Self.isDigits(parts[1]) else { throw self.error(field, token, .invalidToken) }
        let weekday = try self.value(field, token, parts[0])
        guard let occurrence = Int(parts[1]), (1...5).contains(occurrence) else {
            throw self.error(field, token, .occurrenceOutOfRange(occurrence: String(parts[1])))
        }
        return .nth(weekday: weekday, occurrence: occurrence)
    }

    // MARK: Lists, ranges, steps

    /// Throws if a field holding a special form (`L`, `W`, `#`) is a list.
    private func rejectList(_ field: CronField, _ token: String, isSpecial: (String) -> Bool) throws(CronParseError) {
        guard token.contains(",") else { return }
        let items = token.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let offending = items.first(where: isSpecial) ?? token
        throw self.error(field, token, .notAllowedInList(item: offending))
    }

    /// A comma-separated list of values, ranges and steps, compiled to a bit mask (bit v = value v).
    private func parseList(_ field: CronField, _ token: String, isSpecial: (String) -> Bool) throws(CronParseError) -> UInt64 {
        let items = token.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if items.contains(where: \.isEmpty) {
            throw self.error(field, token, .emptyListItem)
        }
        var mask: UInt64 = 0
        for item in items {
            if items.count > 1, item == "*" || isSpecial(item) {
                throw self.error(field, token, .notAllowedInList(item: item))
            }
            mask |= try self.parseItem(field, token, item)
        }
        return mask
    }

    /// One list item: `*/n`, `a`, `a/n`, `a-b` or `a-b/n`. Ranges and stepped ranges may wrap (`50-10`, `FRI-SUN`).
    private func parseItem(_ field: CronField, _ token: String, _ item: String) throws(CronParseError) -> UInt64 {
        let slashParts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard slashParts.count <= 2 else { throw self.error(field, token, .invalidToken) }
        let base = slashParts[0]

        var start = field.minimum
        var end = field.maximum
        if base == "*" {
            guard slashParts.count == 2 else { throw self.error(field, token, .invalidToken) }
        } else {
            let rangeParts = base.split(separator: "-", omittingEmptySubsequences: false)
            guard rangeParts.count <= 2 else { throw self.error(field, token, .invalidToken) }
            start = try self.value(field, token, rangeParts[0])
            if rangeParts.count == 2 {
                end = try self.value(field, token, rangeParts[1])
            } else if slashParts.count == 1 {
                end = start
            }
        }

        var step = 1
        if slashParts.count == 2 {
            let stepText = slashParts[1]
            guard Self.isDigits(stepText) else { throw self.error(field, token, .invalidToken) }
            guard let parsed = Int(stepText), (1...field.maximumStep).contains(parsed) else {
                throw self.error(field, token, .stepOutOfRange(step: String(stepText)))
            }
            step = parsed
        }

        // A wrapping range runs from `start` up to the maximum, then from the minimum up to `end`; the step counts
        // across the wrap, as in saffron (`50-10/5` is 50, 55, 0, 5, 10).
        let sequence = start <= end ? Array(start...end) : Array(start...field.maximum) + Array(field.minimum...end)
        var mask: UInt64 = 0
        for (position, value) in sequence.enumerated() where position % step == 0 {
            mask |= 1 << UInt64(value)
        }
        return mask
    }

    // MARK: Values

    /// A single value: digits, or a three-letter name (any case) in the month and day-of-week fields, range-checked.
    private func value(_ field: CronField, _ token: String, _ text: Substring) throws(CronParseError) -> Int {
        if Self.isDigits(text) {
            return try self.checkedValue(field, token, text)
        }
        let names: [String]
        switch field {
        case .month: names = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        case .dayOfWeek: names = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        case .minute, .hour, .dayOfMonth: names = []
        }
        if let index = names.firstIndex(of: text.uppercased()) {
            return index + 1
        }
        throw self.error(field, token, .invalidToken)
    }

    /// Digits as a value of `field`, or a value-out-of-range error.
    private func checkedValue(_ field: CronField, _ token: String, _ digits: Substring) throws(CronParseError) -> Int {
        guard let value = Int(digits), (field.minimum...field.maximum).contains(value) else {
            throw self.error(field, token, .valueOutOfRange(value: String(digits)))
        }
        return value
    }

    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    private static func mask(_ values: ClosedRange<Int>) -> UInt64 {
        values.reduce(0) { $0 | (1 << UInt64($1)) }
    }

    private func error(_ field: CronField, _ token: String, _ kind: CronParseError.Kind) -> CronParseError {
        CronParseError(expression: self.text, field: field, token: token, kind: kind)
    }
}
