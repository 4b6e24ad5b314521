public import FlareletJSON
public import Logging

/// A Cloudflare-style worker written in Swift.
///
/// `fetch` answers HTTP requests; `scheduled` runs for cron triggers. Both receive the bindings of their
/// `wrangler.toml` through ``Env`` and an ``ExecutionContext`` for work that outlives the response.
public protocol Worker: Sendable {
    /// Handles one HTTP request. A thrown error becomes a 500 response (and a log line) in the host.
    func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse

    /// Handles one cron invocation. The default implementation throws ``WorkerError/noScheduledHandler``.
    func scheduled(_ controller: ScheduledController, env: Env, ctx: ExecutionContext) async throws

    /// Whether the worker implements `scheduled`. The default is `false`.
    var hasScheduledHandler: Bool { get }
}

extension Worker {
    public func scheduled(_ controller: ScheduledController, env: Env, ctx: ExecutionContext) async throws {
        throw WorkerError.noScheduledHandler
    }

    public var hasScheduledHandler: Bool { false }
}

/// Errors the host reports about a worker itself.
public enum WorkerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A binding the worker asked for is not configured.
    case missingBinding(name: String, kind: String)
    /// The worker has no `scheduled` handler.
    case noScheduledHandler

    public var description: String {
        switch self {
        case .missingBinding(let name, let kind):
            "\(kind) binding '\(name)' is not configured for this worker (check wrangler.toml and --env)"
        case .noScheduledHandler:
            "Handler does not export a scheduled() function"
        }
    }
}

/// A `[vars]` / `.dev.vars` / `--var` value: a string becomes text, any other value a JSON binding.
public enum EnvVar: Sendable, Hashable {
    case text(String)
    case json(JSONValue)
}

/// The bindings and variables a worker sees, by their wrangler names.
public struct Env: Sendable {
    public var vars: [String: EnvVar]
    public var d1Databases: [String: any D1Database]
    public var kvNamespaces: [String: any KVNamespace]
    /// `[[hyperdrive]]` bindings: connection details and the host's pooled PostgreSQL client.
    public var hyperdrives: [String: Hyperdrive]
    /// Fetcher bindings by name, such as the `[assets]` binding (`env.ASSETS`).
    public var fetchers: [String: any Fetcher] = [:]
    /// The clock everything in this worker should read "now" from.
    public var clock: any WorkerClock
    /// The worker's logger (`console.log` equivalent).
    public var logger: Logger

    public init(
        vars: [String: EnvVar] = [:],
        d1Databases: [String: any D1Database] = [:],
        kvNamespaces: [String: any KVNamespace] = [:],
        hyperdrives: [String: Hyperdrive] = [:],
        clock: any WorkerClock = SystemClock(),
        logger: Logger = Logger(label: "flarelet.worker")
    ) {
        self.vars = vars
        self.d1Databases = d1Databases
        self.kvNamespaces = kvNamespaces
        self.hyperdrives = hyperdrives
        self.clock = clock
        self.logger = logger
    }

    /// The D1 binding `name` (e.g. `env.DB`); throws ``WorkerError/missingBinding(name:kind:)`` when absent.
    public func d1(_ name: String) throws(WorkerError) -> any D1Database {
        guard let database = self.d1Databases[name] else { throw .missingBinding(name: name, kind: "D1") }
        return database
    }

    /// The KV binding `name` (e.g. `env.KV`); throws ``WorkerError/missingBinding(name:kind:)`` when absent.
    public func kv(_ name: String) throws(WorkerError) -> any KVNamespace {
        guard let namespace = self.kvNamespaces[name] else { throw .missingBinding(name: name, kind: "KV") }
        return namespace
    }

    /// The Hyperdrive binding `name` (e.g. `env.HYPERDRIVE`); throws ``WorkerError/missingBinding(name:kind:)`` when
    /// absent.
    public func hyperdrive(_ name: String) throws(WorkerError) -> Hyperdrive {
        guard let binding = self.hyperdrives[name] else { throw .missingBinding(name: name, kind: "Hyperdrive") }
        return binding
    }

    /// A text variable, or `nil`.
    public func text(_ name: String) -> String? {
        if case .text(let value) = self.vars[name] { return value }
        return nil
    }

    /// A variable as a JSON value (text variables as JSON strings), or `nil`.
    public func json(_ name: String) -> JSONValue? {
        switch self.vars[name] {
        case .text(let value): .string(value)
        case .json(let value): value
        case nil: nil
        }
    }
}
