import Foundation

/// The source of "now" for everything in Flarelet that reads the time: KV expiry, workers' timestamps, the cron
/// scheduler. Tests inject a fake clock (see `FlareletTesting.TestClock`).
public protocol WorkerClock: Sendable {
    /// The current instant.
    func now() -> Date
    /// Suspends until the clock reads at least `deadline` (used by the cron scheduler).
    func sleep(until deadline: Date) async throws
}

/// Wall-clock time.
public struct SystemClock: WorkerClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until deadline: Date) async throws {
        let interval = deadline.timeIntervalSinceNow
        if interval > 0 {
            try await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
        }
    }
}

extension Date {
    /// Milliseconds since the Unix epoch, like JavaScript's `Date.now()`.
    public var epochMilliseconds: Int64 {
        // Date stores seconds since 2001 as a Double; snap values within a microsecond of a whole millisecond so
        // that Date(epochMilliseconds: x).epochMilliseconds == x, then floor like JavaScript's Date.
        let ms = self.timeIntervalSince1970 * 1000
        let nearest = ms.rounded()
        return Int64(abs(ms - nearest) < 0.001 ? nearest : ms.rounded(.down))
    }

    /// Creates a date from milliseconds since the Unix epoch.
    public init(epochMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(epochMilliseconds) / 1000)
    }

    /// JavaScript's `toISOString()`: `YYYY-MM-DDTHH:MM:SS.sssZ`, always UTC, three fractional digits.
    public var isoString: String {
        let ms = self.epochMilliseconds
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let msOfDay = ms - days * 86_400_000
        let (civilYear, civilMonth, civilDay) = CivilCalendar.date(days: Int(days))
        let (year, month, day) = (Int64(civilYear), Int64(civilMonth), Int64(civilDay))
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let yearText = (0...9999).contains(year) ? pad(year, 4) : (year < 0 ? "-" : "+") + pad(abs(year), 6)
        return "\(yearText)-\(pad(month, 2))-\(pad(day, 2))T\(pad(msOfDay / 3_600_000, 2)):"
            + "\(pad(msOfDay / 60000 % 60, 2)):\(pad(msOfDay / 1000 % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }
}
