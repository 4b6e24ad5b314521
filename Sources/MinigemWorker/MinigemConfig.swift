import Flarelet

/// The worker's configuration (section 1), read from its variables on every request.
struct MinigemConfig: Sendable {
    /// `RATE_LIMIT_MAX`.
    var rateLimitMax: Double
    /// `RATE_LIMIT_TIME_WINDOW` in milliseconds.
    var timeWindow: Double
    /// `STATS_SECRET`.
    var statsSecret: String
    /// `STATS_WINDOW_DAYS` as echoed by `/stats` (a number, or `null`).
    var windowDays: JSONValue
    /// `PORT`.
    var port: Double
    /// `LOG_FILE`.
    var logFile: String
    /// `LOG_LEVEL`, lowercased.
    var logLevel: String
    /// `DEBUG_STATS_TRACE`.
    var traceStats: Bool
    /// The raw variables `/debug/env` echoes (`nil` when unset or empty).
    var raw: [String: String]

    static let echoedNames = [
        "PORT", "DATABASE_URL", "PGHOST", "PGUSER", "PGDATABASE", "PGPORT", "PGSSL", "LOG_FILE", "LOG_LEVEL", "DEBUG_DB",
        "DEBUG_STATS_TRACE",
    ]

    init(env: Env) {
        func value(_ name: String) -> String? {
            let text: String? =
                switch env.vars[name] {
                case .text(let text): text
                case .json(.string(let text)): text.string
                case .json(let json): json.stringify()
                case nil: nil
                }
            guard let text, !text.isEmpty else { return nil }
            return text
        }
        self.rateLimitMax = Self.number(JavaScript.parseInt(value("RATE_LIMIT_MAX") ?? "2000", radix: 10)) ?? 1000
        self.timeWindow = MSDuration.parse(value("RATE_LIMIT_TIME_WINDOW") ?? "1 hour") ?? 3_600_000
        self.statsSecret = value("STATS_SECRET") ?? ""
        self.windowDays = Self.number(JavaScript.parseInt(value("STATS_WINDOW_DAYS") ?? "7", radix: 10)).map { .number($0) } ?? .null
        self.port = Self.number(JavaScript.parseInt(value("PORT") ?? "", radix: 10)) ?? 3000
        self.logFile = value("LOG_FILE") ?? "/tmp/jwc-telemetry.log"
        self.logLevel = (value("LOG_LEVEL") ?? "info").lowercased()
        let trace = (value("DEBUG_STATS_TRACE") ?? "").lowercased()
        self.traceStats = trace == "1" || trace == "true" || trace == "yes"
        var raw: [String: String] = [:]
        for name in Self.echoedNames { raw[name] = value(name) }
        self.raw = raw
    }

    /// A `parseInt` result, or `nil` for `NaN`.
    private static func number(_ value: Double) -> Double? {
        value.isNaN ? nil : value
    }
}

/// The `ms` library's duration syntax.
enum MSDuration {
    private static let second = 1000.0
    private static let minute = 60_000.0
    private static let hour = 3_600_000.0
    private static let day = 86_400_000.0

    /// `ms("1 hour")`: a number (optional minus, fraction) then optional spaces and a unit; a bare number is
    /// milliseconds. `nil` when the text does not match (or is longer than 100 characters).
    static func parse(_ text: String) -> Double? {
        guard !text.isEmpty, text.count <= 100 else { return nil }
        let bytes = Array(text.utf8)
        var index = 0
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let numberStart = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") || bytes[index] == UInt8(ascii: ".") {
            index += 1
        }
        let numberText = String(decoding: bytes[numberStart..<index], as: UTF8.self)
        // `(?:\d+)?\.?\d+`: at most one dot, and it must be followed by a digit.
        let dots = numberText.filter { $0 == "." }.count
        guard !numberText.isEmpty, dots <= 1, numberText.last != ".", let magnitude = Double(numberText) else { return nil }
        let value = bytes[0] == UInt8(ascii: "-") ? -magnitude : magnitude
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        let unit = String(decoding: bytes[index...], as: UTF8.self).lowercased()
        let factor: Double
        switch unit {
        case "years", "year", "yrs", "yr", "y": factor = self.day * 365.25
        case "weeks", "week", "w": factor = self.day * 7
        case "days", "day", "d": factor = self.day
        case "hours", "hour", "hrs", "hr", "h": factor = self.hour
        case "minutes", "minute", "mins", "min", "m": factor = self.minute
        case "seconds", "second", "secs", "sec", "s": factor = self.second
        case "milliseconds", "millisecond", "msecs", "msec", "ms", "": factor = 1
        default: return nil
        }
        return value * factor
    }

    /// `ms(value, { long: true })`: `1 hour`, `2 hours` (from 1.5 units), `15 minutes`, `500 ms`.
    static func long(_ milliseconds: Double) -> String {
        let magnitude = abs(milliseconds)
        for (unit, name) in [(self.day, "day"), (self.hour, "hour"), (self.minute, "minute"), (self.second, "second")]
        where magnitude >= unit {
            let plural = magnitude >= unit * 1.5
            return JavaScript.numberToString(JavaScript.mathRound(milliseconds / unit)) + " " + name + (plural ? "s" : "")
        }
        return JavaScript.numberToString(milliseconds) + " ms"
    }
}
