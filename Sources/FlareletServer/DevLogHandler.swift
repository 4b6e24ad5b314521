public import Logging

/// The dev server's log handler: `StreamLogHandler`'s output, byte for byte, but metadata is only formatted when a
/// line is written.
///
/// `StreamLogHandler` formats its metadata every time metadata is assigned, and the HTTP server assigns a request id
/// to every request's logger, so with it every request paid for formatting a line that is almost never written.
public struct DevLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata = Logger.Metadata()

    /// A handler writing to standard error at `level` and above.
    public init(label: String, level: Logger.Level) {
        self.stream = StreamLogHandler.standardError(label: label)
        self.stream.logLevel = level
    }

    public var logLevel: Logger.Level {
        get { self.stream.logLevel }
        set { self.stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { self.stream.metadataProvider }
        set { self.stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var stream = self.stream
        stream.metadata = self.metadata
        stream.log(event: event)
    }
}
