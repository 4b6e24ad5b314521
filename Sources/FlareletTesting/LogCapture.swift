import FlareletCore
public import Logging

/// Collects what a worker logs, for tests that assert on log lines.
///
/// ```swift
/// let logs = LogCapture()
/// let env = Env(d1Databases: ["DB": db], logger: logs.logger)
/// … #expect(logs.messages.contains("Cleaned up events older than 90 days"))
/// ```
public final class LogCapture: Sendable {
    private let lines = LockedValue<[(level: Logger.Level, message: String)]>([])

    public init() {}

    /// A logger (every level) whose output lands here.
    public var logger: Logger { self.logger(label: "flarelet.test") }

    /// A logger with `label` whose output lands here.
    public func logger(label: String) -> Logger {
        Logger(label: label) { _ in Handler(capture: self) }
    }

    /// Every line with its level, in order.
    public var entries: [(level: Logger.Level, message: String)] { self.lines.withLock { $0 } }

    /// Every message, in order.
    public var messages: [String] { self.entries.map(\.message) }

    func append(_ level: Logger.Level, _ message: String) {
        self.lines.withLock { $0.append((level, message)) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            self.capture.append(event.level, event.message.description)
        }
    }
}
