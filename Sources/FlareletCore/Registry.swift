/// The workers an executable can host, by their wrangler `main` value.
///
/// Build one with a dictionary literal of factories, or with ``register(main:summary:_:)``; the host creates a fresh
/// worker for each `wrangler.toml` that names it.
///
/// ```swift
/// let workers: WorkerRegistry = ["hello": { HelloWorker() }]
/// ```
public struct WorkerRegistry: Sendable, ExpressibleByDictionaryLiteral {
    /// One registered worker (host-only).
    package struct Entry: Sendable {
        /// The `main` value that selects this worker, e.g. `voicemode`.
        package var main: String
        /// One line for listings.
        package var summary: String
        package var make: @Sendable () -> any Worker
    }

    package private(set) var entries: [Entry] = []

    /// An empty registry.
    public init() {}

    /// A registry of `main` values and the factories of their workers.
    public init(dictionaryLiteral elements: (String, @Sendable () -> any Worker)...) {
        for (main, make) in elements { self.register(main: main, make) }
    }

    /// The registered `main` values, sorted.
    public var mains: [String] { self.entries.map(\.main).sorted() }

    /// Registers `make` under `main`. A later registration with the same `main` replaces the earlier one.
    /// - Parameters:
    ///   - main: the wrangler `main` value that selects the worker.
    ///   - summary: one line shown by `flarelet workers`.
    ///   - make: creates the worker; called once per hosted `wrangler.toml`.
    public mutating func register(main: String, summary: String = "", _ make: @escaping @Sendable () -> any Worker) {
        self.entries.removeAll { $0.main == main }
        self.entries.append(Entry(main: main, summary: summary, make: make))
    }

    /// The worker for `main`, or an error that lists the registered workers.
    package func worker(forMain main: String) throws(UnknownWorkerError) -> any Worker {
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
