import Flarelet
import Foundation

/// One `jwc.v1` event after normalisation and validation (section 4.2).
struct TelemetryEvent: Sendable, Equatable {
    /// The 16 accepted event names.
    static let eventNames: Set<String> = [
        "lifecycle.activate", "lifecycle.deactivate", "extension.upgraded", "java.run.started", "java.run.completed",
        "java.run.error", "feature.webview.open", "feature.theme.change", "feature.customCss.enable",
        "feature.customCss.disable", "settings.changed", "error.unhandled", "telemetry.optout", "telemetry.optin",
        "test.ping", "install.created",
    ]

    /// `t` after rule 4 (milliseconds, or still below 1e12 for small inputs).
    var t: Double
    var anon: String
    var evt: String
    var os: String
    var ext: String
    var vscode: String
    /// The whole item, for the metric columns.
    var item: JSONObject

    /// Applies the rules of 4.2 in order; `nil` when the item is skipped.
    init?(_ value: JSONValue) {
        guard value.isTruthy, case .object(let item) = value else { return nil }
        var t: Double
        switch item["t"] {
        case .number(let number)?: t = number
        case .integer(let number)?: t = Double(number)
        case .string(let text)?: t = JavaScript.stringToNumber(text)
        default: return nil
        }
        guard t.isFinite else { return nil }
        if t < 1e12 { t *= 1000 }
        let os = item["os"]?.stringValue ?? "unknown"
        let ext = item["ext"]?.stringValue ?? "0.0.0"
        let vscode = item["vscode"]?.stringValue ?? "0.0.0"
        guard let anon = item["anon"]?.stringValue, Self.isAnonymousID(anon) else { return nil }
        guard let evt = item["evt"]?.stringValue, Self.eventNames.contains(evt) else { return nil }
        guard ext.utf16.count <= 30, vscode.utf16.count <= 30, os.utf16.count <= 30 else { return nil }
        self.t = t
        self.anon = anon
        self.evt = evt
        self.os = os
        self.ext = ext
        self.vscode = vscode
        self.item = item
    }

    /// Exactly 32 characters of `0-9a-f`.
    static func isAnonymousID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 32
            && bytes.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }
}

/// Why an event could not be stored (it then counts as skipped).
struct InsertFailure: Error, Sendable, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The column values of one row of `telemetry_events` (section 4.3 and the D1 type mapping of section 14).
struct EventRow: Sendable, Equatable {
    static let columns = [
        "t", "t_ms", "anon", "evt", "os", "ext", "vscode", "country", "region", "duration_ms", "wait_ms_total", "exit_code",
        "session_id", "out_bytes_bucket", "scanner_usage", "truncated_output", "error_phase", "exception_hash", "m",
    ]
    static let insertSQL =
        "INSERT INTO telemetry_events (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"

    var values: [D1Value]

    /// Builds the row, or throws ``InsertFailure`` where PostgreSQL would reject the insert.
    init(_ event: TelemetryEvent, country: String, region: String) throws(InsertFailure) {
        var t = event.t
        if t < 1e12 { t *= 1000 }
        let clipped = t.rounded(.towardZero)
        guard abs(clipped) <= Double(ISOTime.maxMilliseconds) else { throw InsertFailure("date/time field value out of range") }
        let milliseconds = Int64(clipped)
        let item = event.item
        var m = JSONValue.object(JSONObject())
        if let value = item["m"], value.isTruthy { m = value }
        func metric(_ key: String) -> JSONValue? {
            guard case .object(let object) = m, let value = object[key], value != .null else { return nil }
            return value
        }
        var sessionID = metric("sessionId")
        if let value = item["sessionId"], value != .null { sessionID = value }
        var values: [D1Value] = [
            .text(ISOTime.string(milliseconds: milliseconds)),
            .integer(milliseconds),
            try Self.text(event.anon),
            try Self.text(event.evt),
            try Self.optionalText(event.os),
            try Self.optionalText(event.ext),
            try Self.optionalText(event.vscode),
            try Self.optionalText(country),
            try Self.optionalText(region),
        ]
        values.append(try Self.integer(metric("durationMs"), range: Int64.min...Int64.max))
        values.append(try Self.integer(metric("waitMsTotal"), range: Int64.min...Int64.max))
        values.append(try Self.integer(metric("exit"), range: Int64(Int32.min)...Int64(Int32.max)))
        values.append(try Self.textColumn(sessionID))
        values.append(try Self.textColumn(metric("cumulativeBytesBucket")))
        values.append(Self.boolean(metric("scannerUsage")))
        values.append(Self.boolean(metric("truncatedOutput")))
        values.append(try Self.textColumn(metric("phase")))
        values.append(try Self.textColumn(metric("exceptionHash")))
        values.append(try Self.jsonColumn(m))
        self.values = values
    }

    private static func text(_ text: String) throws(InsertFailure) -> D1Value {
        guard !text.unicodeScalars.contains("\u{0}") else { throw InsertFailure("invalid byte sequence for encoding \"UTF8\": 0x00") }
        return .text(text)
    }

    /// A text column where an empty string becomes NULL.
    private static func optionalText(_ text: String) throws(InsertFailure) -> D1Value {
        text.isEmpty ? .null : try self.text(text)
    }

    /// `bigint` / `integer` input: an integral JSON number (as JavaScript prints it) or a decimal string with
    /// optional sign and surrounding white space, inside `range`.
    static func integer(_ value: JSONValue?, range: ClosedRange<Int64>) throws(InsertFailure) -> D1Value {
        let text: String
        switch value {
        case nil: return .null
        case .number(let number)?: text = JavaScript.numberToString(number)
        case .integer(let number)?: text = String(number)
        case .string(let string)?: text = string.string
        default: throw InsertFailure("invalid input syntax for type integer")
        }
        guard let parsed = Self.parseInteger(text), range.contains(parsed) else {
            throw InsertFailure("invalid input syntax for type integer: \"\(text)\"")
        }
        return .integer(parsed)
    }

    /// PostgreSQL's `int8in` decimal form: white space, optional sign, digits, white space.
    static func parseInteger(_ text: String) -> Int64? {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, isSpace(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, isSpace(last) { bytes = bytes.dropLast() }
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        guard !bytes.isEmpty else { return nil }
        var magnitude: UInt64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A `boolean` column: JSON booleans only, anything else NULL.
    private static func boolean(_ value: JSONValue?) -> D1Value {
        if case .bool(let flag)? = value { return .integer(flag ? 1 : 0) }
        return .null
    }

    /// A `text` column fed by node-postgres: strings as sent, numbers and booleans printed, objects as JSON,
    /// arrays as a PostgreSQL array literal.
    static func textColumn(_ value: JSONValue?) throws(InsertFailure) -> D1Value {
        guard let value, value != .null else { return .null }
        return try self.text(self.postgresText(value))
    }

    /// node-postgres `prepareValue` text of a value.
    static func postgresText(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .string(let text): text.string
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): JavaScript.numberToString(number)
        case .integer(let number): String(number)
        case .object: value.stringify()
        case .array(let elements): self.arrayLiteral(elements.elements)
        }
    }

    /// node-postgres `arrayString`: `{"a","1",NULL,{…}}`.
    private static func arrayLiteral(_ elements: [JSONValue]) -> String {
        let parts = elements.map { element -> String in
            switch element {
            case .null: return "NULL"
            case .array(let nested): return self.arrayLiteral(nested.elements)
            default:
                let text = self.postgresText(element).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                return "\"" + text + "\""
            }
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// The `m` column: compact JSON when `m` has at least one own key, else NULL; a U+0000 anywhere fails.
    private static func jsonColumn(_ m: JSONValue) throws(InsertFailure) -> D1Value {
        let hasKeys: Bool =
            switch m {
            case .object(let object): !object.isEmpty
            case .array(let elements): !elements.isEmpty
            case .string(let text): !text.isEmpty
            default: false
            }
        guard hasKeys else { return .null }
        guard !self.containsNUL(m) else { throw InsertFailure("unsupported Unicode escape sequence") }
        return .text(m.stringify())
    }

    private static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): text.codeUnits.contains(0)
        case .array(let elements): elements.contains { self.containsNUL($0) }
        case .object(let object): object.entries.contains { $0.key.codeUnits.contains(0) || self.containsNUL($0.value) }
        default: false
        }
    }
}
