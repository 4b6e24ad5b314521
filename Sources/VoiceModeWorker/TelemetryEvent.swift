import Flarelet
import Foundation

/// A telemetry event that passed validation: the values the worker stores.
///
/// Strings are JavaScript strings (``JSString``): `event_id` keeps lone surrogates for the response's
/// `JSON.stringify`, and D1 receives their UTF-8 text (U+FFFD for a lone surrogate), as upstream's binding does.
public struct TelemetryEvent: Sendable, Hashable {
    /// `event_id` exactly as sent (any non-empty string).
    public var eventID: JSString
    /// `telemetry_id` exactly as sent (a UUID, any case).
    public var telemetryID: JSString
    /// `timestamp` exactly as sent; it is parsed only for the validity and window checks.
    public var timestamp: JSString
    /// The `environment` value (an object, or an array only in theory: an array has no `os`).
    public var environment: JSONValue
    /// The `usage` value (an object or an array).
    public var usage: JSONValue

    /// Validates a parsed request body with the 13 upstream rules, in order; the first failure is thrown.
    ///
    /// The timestamp rules read `new Date(payload.timestamp)` with V8's parser in UTC (the shared JavaScript layer's
    /// `parseDate`): every form upstream accepts is accepted (`2026-11-10t05:13:25z`, RFC 1123 dates, `2026/12/02`,
    /// `12/02/2026 16:30`, `Dec 02, 2026`, `…+0000`, `Date.prototype.toString()` output, `"0"` = 2000-01-01), then
    /// compared with now ± the window in milliseconds.
    /// - Parameters:
    ///   - payload: the body as `JSON.parse` returns it (any JSON value).
    ///   - now: the request's current time, for the timestamp window (rules 7 and 8).
    public init(payload: JSONValue, now: Date) throws(TelemetryValidationError) {
        guard payload.isTruthy else { throw .missingPayload }
        guard let eventID = Self.nonEmptyString(payload["event_id"]) else { throw .invalidEventID }
        guard let telemetryID = Self.nonEmptyString(payload["telemetry_id"]) else { throw .invalidTelemetryID }
        guard Self.isUUID(telemetryID) else { throw .telemetryIDNotUUID }
        guard let timestamp = Self.nonEmptyString(payload["timestamp"]) else { throw .invalidTimestamp }
        let instant = JavaScript.parseDate(timestamp)
        guard !instant.isNaN else { throw .timestampNotISO8601 }
        let nowMilliseconds = Double(now.epochMilliseconds)
        let dayMilliseconds = 86_400_000.0
        if instant > nowMilliseconds + dayMilliseconds { throw .timestampInFuture }
        if instant < nowMilliseconds - 90 * dayMilliseconds { throw .timestampTooOld }
        guard let environment = payload["environment"], Self.isObjectOrArray(environment) else { throw .invalidEnvironment }
        guard Self.nonEmptyString(environment["os"]) != nil else { throw .invalidEnvironmentOS }
        guard Self.nonEmptyString(environment["version"]) != nil else { throw .invalidEnvironmentVersion }
        guard let usage = payload["usage"], Self.isObjectOrArray(usage) else { throw .invalidUsage }
        guard usage["total_sessions"]?.isNumber == true else { throw .invalidTotalSessions }
        self.eventID = eventID
        self.telemetryID = telemetryID
        self.timestamp = timestamp
        self.environment = environment
        self.usage = usage
    }

    /// `!value || typeof value !== 'string'` negated: a string other than `""`.
    private static func nonEmptyString(_ value: JSONValue?) -> JSString? {
        guard let text = value?.jsStringValue, !text.isEmpty else { return nil }
        return text
    }

    /// `!value || typeof value !== 'object'` negated: an object or an array (`null` is falsy).
    private static func isObjectOrArray(_ value: JSONValue) -> Bool {
        switch value {
        case .object, .array: true
        default: false
        }
    }

    /// `/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i` (over UTF-16 code units).
    static func isUUID(_ text: JSString) -> Bool {
        let units = text.codeUnits
        guard units.count == 36 else { return false }
        for (index, unit) in units.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard unit == 0x2D else { return false }
            } else {
                guard unit < 0x80, JavaScript.hexValue(UInt8(unit)) != nil else { return false }
            }
        }
        return true
    }
}

/// The first failing validation rule; ``message`` is the `error` of the 400 body.
public enum TelemetryValidationError: Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case missingPayload
    case invalidEventID
    case invalidTelemetryID
    case telemetryIDNotUUID
    case invalidTimestamp
    case timestampNotISO8601
    case timestampInFuture
    case timestampTooOld
    case invalidEnvironment
    case invalidEnvironmentOS
    case invalidEnvironmentVersion
    case invalidUsage
    case invalidTotalSessions

    /// The upstream message.
    public var message: String {
        switch self {
        case .missingPayload: "Missing payload"
        case .invalidEventID: "Invalid or missing event_id"
        case .invalidTelemetryID: "Invalid or missing telemetry_id"
        case .telemetryIDNotUUID: "Invalid telemetry_id format (must be UUID)"
        case .invalidTimestamp: "Invalid or missing timestamp"
        case .timestampNotISO8601: "Invalid timestamp format (must be ISO 8601)"
        case .timestampInFuture: "Timestamp too far in the future"
        case .timestampTooOld: "Timestamp too old (max 90 days)"
        case .invalidEnvironment: "Invalid or missing environment object"
        case .invalidEnvironmentOS: "Invalid or missing environment.os"
        case .invalidEnvironmentVersion: "Invalid or missing environment.version"
        case .invalidUsage: "Invalid or missing usage object"
        case .invalidTotalSessions: "Invalid or missing usage.total_sessions"
        }
    }

    public var description: String { self.message }
}
