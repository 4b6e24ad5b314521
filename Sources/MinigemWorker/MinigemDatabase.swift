import Flarelet

/// The binding `DB`: a D1 database (the port's default, SQLite dialect) or a Hyperdrive binding (upstream's own
/// PostgreSQL schema, `timestamptz` columns, statistics computed in SQL).
enum MinigemDatabase: Sendable {
    case d1(any D1Database)
    case postgres(Hyperdrive)

    /// The binding `DB` of `env`: PostgreSQL when it is a Hyperdrive binding, else D1, else `nil` (not configured).
    init?(env: Env) {
        if let hyperdrive = env.hyperdrives["DB"] {
            self = .postgres(hyperdrive)
        } else if let database = env.d1Databases["DB"] {
            self = .d1(database)
        } else {
            return nil
        }
    }
}

/// The PostgreSQL schema of section 11, as upstream creates it at start-up.
enum MinigemPostgresSchema {
    /// Any constant shared by every instance: the advisory lock that serialises schema creation.
    static let lockKey: Int64 = 0x6D69_6E69_6765_6D

    static let metricColumns: [(name: String, type: String)] = [
        ("duration_ms", "bigint"), ("wait_ms_total", "bigint"), ("exit_code", "integer"), ("session_id", "text"),
        ("out_bytes_bucket", "text"), ("scanner_usage", "boolean"), ("truncated_output", "boolean"), ("error_phase", "text"),
        ("exception_hash", "text"),
    ]

    static let statements: [String] =
        [
            """
            create table if not exists telemetry_events (
              id bigserial primary key,
              t timestamptz not null,
              anon text not null,
              evt text not null,
              os text,
              ext text,
              vscode text,
              country text,
              region text,
              duration_ms bigint,
              wait_ms_total bigint,
              exit_code integer,
              session_id text,
              out_bytes_bucket text,
              scanner_usage boolean,
              truncated_output boolean,
              error_phase text,
              exception_hash text,
              m jsonb
            )
            """
        ] + metricColumns.map { "alter table telemetry_events add column if not exists \($0.name) \($0.type)" }
        + [
            "create index if not exists idx_events_t on telemetry_events (t)",
            "create index if not exists idx_events_evt on telemetry_events (evt)",
            "create index if not exists idx_events_country on telemetry_events (country)",
            "create index if not exists idx_events_os on telemetry_events (os)",
            "create index if not exists idx_events_ext on telemetry_events (ext)",
            "create index if not exists idx_events_vscode on telemetry_events (vscode)",
            "create index if not exists idx_events_anon on telemetry_events (anon)",
            "create index if not exists idx_events_session on telemetry_events (session_id)",
        ]

    /// Applies the statements in one transaction under an advisory lock (concurrent `create … if not exists` from
    /// several instances would otherwise collide).
    static func apply(to database: Hyperdrive) async throws {
        try await database.withTransaction { transaction in
            _ = try await transaction.query("SELECT pg_advisory_xact_lock($1)", [.integer(Self.lockKey)])
            for statement in Self.statements {
                _ = try await transaction.query(statement)
            }
        }
    }

    static let insertColumns = EventRow.columns.filter { $0 != "t_ms" }
    static let insertSQL =
        "INSERT INTO telemetry_events (\(insertColumns.joined(separator: ", "))) VALUES ("
        + (1...insertColumns.count).map { "$\($0)" }.joined(separator: ", ") + ")"
}

extension EventRow {
    /// The row's values for PostgreSQL, in ``MinigemPostgresSchema/insertColumns`` order: `t` as a `timestamptz`,
    /// the two flags as booleans, `m` as text the server parses as `jsonb`, the rest as validated.
    var postgresValues: [PostgresValue] {
        var values: [PostgresValue] = []
        for (column, value) in zip(Self.columns, self.values) {
            switch (column, value) {
            case ("t_ms", _): continue
            case ("t", _):
                guard case .integer(let milliseconds) = self.values[1] else {
                    values.append(.null)
                    continue
                }
                values.append(.timestamp(microseconds: milliseconds * 1000))
            case ("scanner_usage", .integer(let flag)), ("truncated_output", .integer(let flag)):
                values.append(.bool(flag != 0))
            case (_, .null): values.append(.null)
            case (_, .integer(let number)): values.append(.integer(number))
            case (_, .real(let number)): values.append(.double(number))
            case (_, .text(let text)): values.append(.text(text))
            case (_, .blob(let bytes)): values.append(.bytes(bytes))
            }
        }
        return values
    }
}
