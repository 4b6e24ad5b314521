/// Maps a wrangler `main` value to a Swift worker.
public struct WorkerRegistry: Sendable {
    public struct Entry: Sendable {
        /// The `main` value that selects this worker, e.g. `voicemode`.
        public var main: String
        /// One line for listings.
        public var summary: String
        public var make: @Sendable () -> any Worker
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// Registers `make` under `main`. A later registration with the same `main` replaces the earlier one.
    public mutating func register(main: String, summary: String = "", _ make: @escaping @Sendable () -> any Worker) {
        self.entries.removeAll { $0.main == main }
        self.entries.append(Entry(main: main, summary: summary, make: make))
    }

    /// The worker for `main`, or an error that lists the registered workers.
    public func worker(forMain main: String) throws(UnknownWorkerError) -> any Worker {
        guard let entry = self.entries.first(where: { $0.main == main }) else {
            throw UnknownWorkerError(main: main, registered: self.entries.map(\.main))
        }
        return entry.make()
    }
}

/// A `main` value no registered worker answers to.
public struct UnknownWorkerError: Error, Sendable, Hashable, CustomStringConvertible {
    public var main: String
    public var registered: [String]

    public var description: String {
        "no Swift worker is registered for main = \"\(self.main)\"; registered workers: "
            + (self.registered.isEmpty ? "(none)" : self.registered.sorted().map { "\"\($0)\"" }.joined(separator: ", "))
    }
}
