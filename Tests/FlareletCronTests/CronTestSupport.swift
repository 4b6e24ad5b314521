import Foundation
import Testing

/// Parses `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC) into a date; test tables are written in this form.
func isoDate(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    guard let date = formatter.date(from: text) else {
        Issue.record("not an ISO date: \(text)", sourceLocation: sourceLocation)
        return Date(timeIntervalSince1970: 0)
    }
    return date
}

/// Formats a date as `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC), like JavaScript's `toISOString()`.
func isoString(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
}
