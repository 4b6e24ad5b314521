import Flarelet

/// The D1 schema of section 14 (`workers/minigem/schema.sql` holds the same statements).
enum MinigemSchema {
    /// The statements, in order; every one is idempotent.
    static let statements: [String] = [
        """
        CREATE TABLE IF NOT EXISTS telemetry_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            t TEXT NOT NULL,
            t_ms INTEGER NOT NULL,
            anon TEXT NOT NULL,
            evt TEXT NOT NULL,
            os TEXT,
            ext TEXT,
            vscode TEXT,
            country TEXT,
            region TEXT,
            duration_ms INTEGER,
            wait_ms_total INTEGER,
            exit_code INTEGER CHECK (exit_code BETWEEN -2147483648 AND 2147483647),
            session_id TEXT,
            out_bytes_bucket TEXT,
            scanner_usage INTEGER CHECK (scanner_usage IN (0, 1)),
            truncated_output INTEGER CHECK (truncated_output IN (0, 1)),
            error_phase TEXT,
            exception_hash TEXT,
            m TEXT CHECK (m IS NULL OR json_valid(m))
        )
        """,
        "CREATE INDEX IF NOT EXISTS idx_events_t ON telemetry_events (t_ms)",
        "CREATE INDEX IF NOT EXISTS idx_events_evt ON telemetry_events (evt)",
        "CREATE INDEX IF NOT EXISTS idx_events_country ON telemetry_events (country)",
        "CREATE INDEX IF NOT EXISTS idx_events_os ON telemetry_events (os)",
        "CREATE INDEX IF NOT EXISTS idx_events_ext ON telemetry_events (ext)",
        "CREATE INDEX IF NOT EXISTS idx_events_vscode ON telemetry_events (vscode)",
        "CREATE INDEX IF NOT EXISTS idx_events_anon ON telemetry_events (anon)",
        "CREATE INDEX IF NOT EXISTS idx_events_session ON telemetry_events (session_id)",
    ]
}

/// Start-up work run once per worker instance, on the first request (a worker has no start hook): the geo line
/// and, with a database, the schema. A failed schema is retried by the next request; until then nothing is served.
actor StartupGate {
    private var done = false
    private var running: Task<Void, any Error>?

    func ensure(database: MinigemDatabase?, logger: Logger) async throws {
        if self.done { return }
        if let running {
            try await running.value
            return
        }
        let task = Task<Void, any Error> {
            logger.info("\(Geo.noDatabaseLine)")
            switch database {
            case .d1(let d1): _ = try await d1.batch(queries: MinigemSchema.statements.map { D1Query(sql: $0) })
            case .postgres(let hyperdrive): try await MinigemPostgresSchema.apply(to: hyperdrive)
            case nil: break
            }
        }
        self.running = task
        do {
            try await task.value
            self.done = true
            self.running = nil
        } catch {
            self.running = nil
            logger.critical("fatal: schema creation failed: \(error)")
            throw error
        }
    }
}
