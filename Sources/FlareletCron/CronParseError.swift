/// One of the five fields of a Cloudflare cron expression, in order.
public enum CronField: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case minute = 0
    case hour = 1
    case dayOfMonth = 2
    case month = 3
    case dayOfWeek = 4

    /// The field's name as used in error messages: `minute`, `hour`, `day-of-month`, `month`, `day-of-week`.
    public var name: String {
        switch self {
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfMonth: "day-of-month"
        case .month: "month"
        case .dayOfWeek: "day-of-week"
        }
    }

    public var description: String { self.name }

    /// The smallest value the field accepts.
    var minimum: Int {
        switch self {
        case .minute, .hour: 0
        case .dayOfMonth, .month, .dayOfWeek: 1
        }
    }

    /// The largest value the field accepts.
    var maximum: Int {
        switch self {
        case .minute: 59
        case .hour: 23
        case .dayOfMonth: 31
        case .month: 12
        case .dayOfWeek: 7
        }
    }

    /// The largest step (`/n`) the field accepts: its span, `maximum - minimum`.
    var maximumStep: Int { self.maximum - self.minimum }

    /// What the field's values are, phrased for error messages.
    var valuesHint: String {
        switch self {
        case .minute: "minutes are 0-59"
        case .hour: "hours are 0-23"
        case .dayOfMonth: "days of the month are 1-31"
        case .month: "months are 1-12 (or JAN-DEC)"
        case .dayOfWeek: "weekdays are 1-7 with 1 = Sunday (or SUN-SAT)"
        }
    }

    /// What the field accepts, phrased for "not valid" error messages.
    var syntaxHint: String {
        switch self {
        case .minute, .hour, .month:
            "expected a value, a range a-b, a step */n, a/n or a-b/n, or a comma-separated list of them; \(self.valuesHint)"
        case .dayOfMonth:
            "expected a value, a range, a step or a list of them, or one of L, LW, L-n, L-nW, nW; \(self.valuesHint)"
        case .dayOfWeek:
            "expected a value, a range, a step or a list of them, or one of L, nL, n#k; \(self.valuesHint)"
        }
    }
}

/// Why a cron expression was rejected.
///
/// The error names the expression, the field (when one field is at fault), the offending token and the reason; its
/// `description` is one readable line, for example
/// `invalid cron "0 0 * * 0": day-of-week value 0 is out of range; weekdays are 1-7 with 1 = Sunday (or SUN-SAT)`.
public struct CronParseError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        /// The expression does not have exactly five fields.
        case fieldCount(Int)
        /// `@daily` and friends.
        case macro
        /// Quartz's `?`.
        case questionMark
        /// A token that is not valid syntax for its field.
        case invalidToken
        /// An empty item in a comma-separated list (`1,,2`, `5,`).
        case emptyListItem
        /// `*` or an `L`/`W`/`#` form inside a list; `item` is the list item at fault.
        case notAllowedInList(item: String)
        /// A value outside the field's range; `value` as written.
        case valueOutOfRange(value: String)
        /// A step outside `1...span`; `step` as written.
        case stepOutOfRange(step: String)
        /// The `n` of `L-n` / `L-nW` outside 1-30.
        case lastOffsetOutOfRange(offset: String)
        /// The `k` of `n#k` outside 1-5.
        case occurrenceOutOfRange(occurrence: String)
    }

    /// The expression as given.
    public let expression: String
    /// The field at fault, or `nil` when the expression as a whole is malformed (wrong number of fields, a macro).
    public let field: CronField?
    /// The offending token: the whole field text for field errors, the macro for `@daily`-style input, `nil` for a
    /// wrong number of fields.
    public let token: String?
    let kind: Kind

    init(expression: String, field: CronField?, token: String?, kind: Kind) {
        self.expression = expression
        self.field = field
        self.token = token
        self.kind = kind
    }

    /// Zero-based position of the faulty field (0 = minute ... 4 = day-of-week), or `nil` if no single field is at
    /// fault.
    public var fieldIndex: Int? { self.field?.rawValue }

    /// The reason alone, without the `invalid cron "…": ` prefix.
    public var reason: String {
        let fieldName = self.field?.name ?? "expression"
        let token = self.token ?? ""
        let hint = self.field?.valuesHint ?? ""
        switch self.kind {
        case .fieldCount(let count):
            let found = count == 1 ? "found 1 field" : "found \(count) fields"
            let extra = count > 5 ? ", with no seconds or year field" : ""
            return "\(found); Cloudflare crons have exactly 5 (minute hour day-of-month month day-of-week)\(extra)"
        case .macro:
            let fields = "Cloudflare crons have exactly 5 fields (minute hour day-of-month month day-of-week)"
            if let equivalent = Self.macroEquivalents[token.lowercased()] {
                return "macros like \"\(token)\" are not supported; write \"\(equivalent)\" instead; \(fields)"
            }
            return "macros like \"\(token)\" are not supported; \(fields)"
        case .questionMark:
            return "\(fieldName) \"\(token)\": \"?\" is not supported; use \"*\" for any value"
        case .invalidToken:
            return "\(fieldName) \"\(token)\" is not valid; \(self.field?.syntaxHint ?? "")"
        case .emptyListItem:
            return "\(fieldName) \"\(token)\" has an empty list item"
        case .notAllowedInList(let item):
            let rule = item.hasPrefix("*") && !item.hasPrefix("*/") ? "\"*\" must stand alone" : "L, W and # forms must stand alone"
            return "\(fieldName) \"\(item)\" cannot be combined with other values in a list (\"\(token)\"); \(rule)"
        case .valueOutOfRange(let value):
            let location = value == token ? "" : " in \"\(token)\""
            return "\(fieldName) value \(value)\(location) is out of range; \(hint)"
        case .stepOutOfRange(let step):
            let maximum = self.field?.maximumStep ?? 0
            return "\(fieldName) step \(step) in \"\(token)\" is out of range; steps are 1-\(maximum) for this field"
        case .lastOffsetOutOfRange(let offset):
            return "\(fieldName) offset \(offset) in \"\(token)\" is out of range; L-n takes n from 1 to 30"
        case .occurrenceOutOfRange(let occurrence):
            return "\(fieldName) occurrence \(occurrence) in \"\(token)\" is out of range; n#k takes k from 1 to 5"
        }
    }

    public var description: String {
        "invalid cron \"\(self.expression)\": \(self.reason)"
    }

    private static let macroEquivalents: [String: String] = [
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 1",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]
}
