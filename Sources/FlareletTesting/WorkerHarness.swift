public import FlareletContract
public import FlareletCore
public import FlareletJSON
public import FlareletPostgres

/// Calls a worker's handlers in-process, exactly as the dev server does (errors become 500s, `waitUntil` work is
/// awaited before the call returns so tests can assert on its effects).
///
/// ``withWorker(_:d1:kv:hyperdrive:vars:clock:filePath:_:)`` makes one with fresh in-memory bindings; build one
/// yourself around any `Env` for unusual set-ups (a failing database, two workers on the same bindings).
public struct WorkerHarness: Sendable {
    public let worker: any Worker
    public var env: Env
    /// What the worker logged, when `env`'s logger writes here (as with ``withWorker(_:d1:kv:hyperdrive:vars:clock:filePath:_:)``).
    public let logs: LogCapture

    public init(worker: any Worker, env: Env, logs: LogCapture = LogCapture()) {
        self.worker = worker
        self.env = env
        self.logs = logs
    }

    // MARK: Handlers

    /// Runs `fetch` and waits for its `waitUntil` tasks.
    public func fetch(_ request: WorkerRequest) async -> WorkerResponse {
        let (response, context) = await Invocation.fetch(self.worker, request: request, env: self.env)
        await context.settle()
        return response
    }

    /// Convenience: a request to `http://localhost<path>`.
    public func fetch(
        _ method: String,
        _ path: String,
        headers: Headers = [:],
        body: String = ""
    ) async -> WorkerResponse {
        await self.fetch(WorkerRequest(method: method, url: "http://localhost" + path, headers: headers, body: body))
    }

    /// POSTs a JSON value (compact `JSON.stringify` text) to `path`.
    public func post(_ path: String, json: JSONValue, headers: Headers = [:]) async -> WorkerResponse {
        var headers = headers
        if headers["Content-Type"] == nil { headers["Content-Type"] = "application/json" }
        return await self.fetch("POST", path, headers: headers, body: json.stringify())
    }

    /// Runs `scheduled` with `cron` at `scheduledTime` (default: the env clock's current minute).
    public func scheduled(cron: String = "", scheduledTime: Int64? = nil) async -> ScheduledOutcome {
        let time = scheduledTime ?? self.env.clock.now().epochMilliseconds / 60_000 * 60_000
        return await Invocation.scheduled(self.worker, cron: cron, scheduledTime: time, env: self.env)
    }

    // MARK: Bindings

    /// The D1 binding `name`.
    public func d1(_ name: String = "DB") throws(WorkerError) -> any D1Database {
        try self.env.d1(name)
    }

    /// The KV binding `name`.
    public func kv(_ name: String = "KV") throws(WorkerError) -> any KVNamespace {
        try self.env.kv(name)
    }

    /// The rows of `sql` on the binding `database`, as the objects a worker receives. `sql` is SQLite's dialect with
    /// `?` placeholders; when `database` is a Hyperdrive (PostgreSQL) binding the placeholders become `$1`, `$2`, ….
    public func rows(_ sql: String, _ bindings: D1Value..., database: String = "DB") async throws -> [JSONObject] {
        try await self.rows(sql, bindings, database: database)
    }

    /// The rows of `sql` with `bindings` given as an array (see ``rows(_:_:database:)-(_,D1Value...,_)``).
    public func rows(_ sql: String, _ bindings: [D1Value], database: String = "DB") async throws -> [JSONObject] {
        if let hyperdrive = self.env.hyperdrives[database] {
            let values = bindings.map(PostgresValue.init)
            return try await hyperdrive.query(ContractSQL.numberPlaceholders(sql), values).results.map(\.object)
        }
        return try await self.d1(database).prepare(sql).bind(bindings).all().results.map(\.object)
    }

    /// Runs `sql` on the binding `database` (set-up inserts and the like), like ``rows(_:_:database:)-(_,[D1Value],_)``.
    public func execute(_ sql: String, _ bindings: D1Value..., database: String = "DB") async throws {
        _ = try await self.rows(sql, bindings, database: database)
    }

    // MARK: Contract cases

    /// Plays the contract cases of `folder` (format: `fixtures/README.md`) against this worker and its bindings.
    public func playContract(_ folder: String) async throws -> [ContractResult] {
        try await ContractRunner(target: InProcessTarget(harness: self)).run(folder: folder)
    }
}

extension PostgresValue {
    /// A D1 value as the PostgreSQL parameter a test binds in its place.
    public init(_ value: D1Value) {
        switch value {
        case .null: self = .null
        case .integer(let number): self = .integer(number)
        case .real(let number): self = .double(number)
        case .text(let text): self = .text(text)
        case .blob(let bytes): self = .bytes(bytes)
        }
    }
}
