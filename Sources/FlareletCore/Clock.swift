import FlareletJavaScript
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

    /// JavaScript's `toISOString()`: `YYYY-MM-DDTHH:MM:SS.sssZ`, always UTC, three fractional digits (`±YYYYYY`
    /// years outside 0–9999).
    public var isoString: String {
        JavaScript.isoString(milliseconds: self.epochMilliseconds)
    }
}
