import Flarelet

/// Where Telemetry Kit keeps tokens and events: the D1 binding `DB` (SQLite dialect, the port's default), or the
/// Hyperdrive binding `DB` (PostgreSQL running the DDL of spec section 10 unchanged, so constraints, duplicates and
/// error texts come from PostgreSQL itself).
protocol TelemetryStore: Sendable {
    /// The active token row whose `token` is exactly `text`, or `nil`.
    func activeToken(_ text: String) async throws(StoreError) -> (token: APIToken, secret: String)?
    /// Sets `last_used_at` of the token row `id`.
    func touch(tokenID: String, microseconds: Int64) async throws(StoreError)
    /// Whether an event with this (canonical) id is stored.
    func eventExists(_ eventID: String) async throws(StoreError) -> Bool
    /// Inserts one event; the error text is the database's (PostgreSQL's words on both backends where the port
    /// can tell).
    func insert(_ event: IngestEvent, orgID: String, appID: String, receivedAt: Int64) async throws(StoreError)
}

/// A storage failure; ``message`` is what follows `Database error: ` or `Failed to insert event: ` in an answer.
struct StoreError: Error, Sendable, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { self.message }

    /// sqlx's rendering of a driver error: `error returned from database: <PostgreSQL message>` for server errors,
    /// `error communicating with database: …` for lost connections, `pool timed out while waiting for an open
    /// connection` when no connection came.
    init(_ error: PostgresDriverError) {
        switch error.kind {
        case .server: self.message = "error returned from database: \(error.message)"
        case .timeout: self.message = "pool timed out while waiting for an open connection"
        case .closed: self.message = "attempted to acquire a connection on a closed pool"
        case .decoding: self.message = "error occurred while decoding: \(error.message)"
        case .connection, .usage: self.message = "error communicating with database: \(error.message)"
        }
    }
}

// MARK: - D1

/// The D1 schema of `workers/telemetry-kit/schema.sql` (applied by the operator, as `wrangler d1 execute` would).
struct D1TelemetryStore: TelemetryStore {
    let database: any D1Database

    static let insertSQL = """
        INSERT INTO events (event_id, org_id, app_id, schema_version, timestamp, service_name, service_version, \
        service_language, service_language_version, user_id, session_id, os, os_version, arch, ci, shell, event_type, \
        event_category, event_data, sdk_version, transmission_timestamp, batch_size, retry_count, received_at) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
        """

    func activeToken(_ text: String) async throws(StoreError) -> (token: APIToken, secret: String)? {
        let row: D1Row?
        do {
            row = try await self.database.prepare("SELECT id, org_id, app_id, secret FROM api_tokens WHERE token = ?1 AND is_active = 1")
                .bind(.text(text))
                .first()
        } catch {
            throw StoreError("\(error)")
        }
        guard let row else { return nil }
        guard case .text(let id)? = row["id"], case .text(let orgText)? = row["org_id"], case .text(let appText)? = row["app_id"],
            case .text(let secret)? = row["secret"], let orgID = UUIDText.canonical(orgText), let appID = UUIDText.canonical(appText)
        else {
            throw StoreError("api_tokens row for the presented token cannot be decoded")
        }
        return (APIToken(id: id, orgID: orgID, appID: appID), secret)
    }

    func touch(tokenID: String, microseconds: Int64) async throws(StoreError) {
        do {
            _ = try await self.database.prepare("UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2")
                .bind(.text(Timestamp.format(microseconds: microseconds)), .text(tokenID))
                .run()
        } catch {
            throw StoreError("\(error)")
        }
    }

    func eventExists(_ eventID: String) async throws(StoreError) -> Bool {
        do {
            let found = try await self.database.prepare("SELECT EXISTS(SELECT 1 FROM events WHERE event_id = ?1) AS found")
                .bind(.text(eventID))
                .first("found")
            if case .integer(let value)? = found { return value != 0 }
            return false
        } catch {
            throw StoreError("\(error)")
        }
    }

    func insert(_ event: IngestEvent, orgID: String, appID: String, receivedAt: Int64) async throws(StoreError) {
        // SQLite enforces neither VARCHAR lengths nor the NUL rule; the port applies them itself, in PostgreSQL's words.
        if let problem = TelemetryKitWorker.postgresProblem(event) {
            throw StoreError("error returned from database: \(problem)")
        }
        func text(_ value: String?) -> D1Value { value.map { .text($0) } ?? .null }
        let values: [D1Value] = [
            .text(event.eventID), .text(orgID), .text(appID), .text(event.schemaVersion),
            .text(Timestamp.format(microseconds: event.timestamp)), .text(event.serviceName), .text(event.serviceVersion),
            .text(event.serviceLanguage), text(event.serviceLanguageVersion), .text(event.userID), text(event.sessionID),
            .text(event.os), text(event.osVersion), text(event.arch), event.ci.map { .integer($0 ? 1 : 0) } ?? .null,
            text(event.shell), .text(event.eventType), text(event.eventCategory), .text(event.data.compactText),
            .text(event.sdkVersion), .text(Timestamp.format(microseconds: event.transmissionTimestamp)),
            .integer(Int64(Int32(truncatingIfNeeded: event.batchSize))),
            .integer(Int64(Int32(bitPattern: event.retryCount))),
            .text(Timestamp.format(microseconds: receivedAt)),
        ]
        do {
            _ = try await self.database.prepare(Self.insertSQL).bind(values).run()
        } catch {
            throw StoreError("\(error)")
        }
    }
}

// MARK: - PostgreSQL

/// The upstream schema on a real PostgreSQL through a Hyperdrive binding. The DDL of spec section 10 (the full
/// intended migration, seed token included) is applied once per database, before the first query, under an
/// advisory lock so several Flarelet instances sharing the database apply it exactly once.
struct PostgresTelemetryStore: TelemetryStore {
    let database: Hyperdrive
    let schema: SchemaGate

    static let insertSQL = """
        INSERT INTO events (event_id, org_id, app_id, schema_version, timestamp, service_name, service_version, \
        service_language, service_language_version, user_id, session_id, os, os_version, arch, ci, shell, event_type, \
        event_category, event_data, sdk_version, transmission_timestamp, batch_size, retry_count, received_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
        """

    private func run(_ sql: String, _ bindings: [PostgresValue]) async throws(StoreError) -> PostgresResult {
        do {
            try await self.schema.ensure(self.database)
        } catch let error as PostgresDriverError {
            throw StoreError(error)
        } catch {
            throw StoreError("\(error)")
        }
        do {
            return try await self.database.query(sql, bindings)
        } catch {
            throw StoreError(error)
        }
    }

    func activeToken(_ text: String) async throws(StoreError) -> (token: APIToken, secret: String)? {
        let result = try await self.run("SELECT id, org_id, app_id, secret FROM api_tokens WHERE token = $1 AND is_active = true", [.text(text)])
        guard let row = result.first else { return nil }
        guard case .text(let id)? = row["id"], case .text(let orgID)? = row["org_id"], case .text(let appID)? = row["app_id"],
            case .text(let secret)? = row["secret"]
        else {
            throw StoreError("api_tokens row for the presented token cannot be decoded")
        }
        return (APIToken(id: id, orgID: orgID, appID: appID), secret)
    }

    func touch(tokenID: String, microseconds: Int64) async throws(StoreError) {
        _ = try await self.run("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", [.timestamp(microseconds: microseconds), .text(tokenID)])
    }

    func eventExists(_ eventID: String) async throws(StoreError) -> Bool {
        let result = try await self.run("SELECT EXISTS(SELECT 1 FROM events WHERE event_id = $1) AS found", [.text(eventID)])
        return result.first?["found"] == .bool(true)
    }

    func insert(_ event: IngestEvent, orgID: String, appID: String, receivedAt: Int64) async throws(StoreError) {
        func text(_ value: String?) -> PostgresValue { value.map { .text($0) } ?? .null }
        let values: [PostgresValue] = [
            .text(event.eventID), .text(orgID), .text(appID), .text(event.schemaVersion), .timestamp(microseconds: event.timestamp),
            .text(event.serviceName), .text(event.serviceVersion), .text(event.serviceLanguage), text(event.serviceLanguageVersion),
            .text(event.userID), text(event.sessionID), .text(event.os), text(event.osVersion), text(event.arch),
            event.ci.map { .bool($0) } ?? .null, text(event.shell), .text(event.eventType), text(event.eventCategory),
            .text(event.data.compactText), .text(event.sdkVersion), .timestamp(microseconds: event.transmissionTimestamp),
            .integer(Int64(Int32(truncatingIfNeeded: event.batchSize))), .integer(Int64(Int32(bitPattern: event.retryCount))),
            .timestamp(microseconds: receivedAt),
        ]
        _ = try await self.run(Self.insertSQL, values)
    }
}

/// Applies ``TelemetryKitSchema/postgres`` once per worker instance (retried by the next request after a failure).
actor SchemaGate {
    private var done = false

    func ensure(_ database: Hyperdrive) async throws {
        if self.done { return }
        try await TelemetryKitSchema.apply(to: database)
        self.done = true
    }
}

/// The PostgreSQL schema of spec section 10: the enum, both tables with their constraints and indexes, and the
/// development seed token (10.4).
enum TelemetryKitSchema {
    /// Any constant shared by every instance: the advisory lock that serialises schema creation.
    static let lockKey: Int64 = 0x7465_6C6B_6974

    static let postgres: [String] = [
        "CREATE TYPE token_tier AS ENUM ('free', 'pro', 'business', 'enterprise')",
        """
        CREATE TABLE api_tokens (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            org_id UUID NOT NULL,
            app_id UUID NOT NULL,
            token VARCHAR(255) UNIQUE NOT NULL,
            secret VARCHAR(255) NOT NULL,
            tier token_tier NOT NULL DEFAULT 'free',
            is_active BOOLEAN NOT NULL DEFAULT true,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
            last_used_at TIMESTAMPTZ,
            CONSTRAINT unique_org_app UNIQUE (org_id, app_id)
        )
        """,
        "CREATE INDEX idx_tokens_token ON api_tokens(token) WHERE is_active = true",
        "CREATE INDEX idx_tokens_org_app ON api_tokens(org_id, app_id)",
        """
        CREATE TABLE events (
            id BIGSERIAL PRIMARY KEY,
            event_id UUID UNIQUE NOT NULL,
            org_id UUID NOT NULL,
            app_id UUID NOT NULL,
            schema_version VARCHAR(20) NOT NULL,
            timestamp TIMESTAMPTZ NOT NULL,
            service_name VARCHAR(255) NOT NULL,
            service_version VARCHAR(100) NOT NULL,
            service_language VARCHAR(50) NOT NULL,
            service_language_version VARCHAR(50),
            user_id VARCHAR(255) NOT NULL,
            session_id VARCHAR(255),
            os VARCHAR(50),
            os_version VARCHAR(100),
            arch VARCHAR(50),
            ci BOOLEAN,
            shell VARCHAR(50),
            event_type VARCHAR(100) NOT NULL,
            event_category VARCHAR(50),
            event_data JSONB NOT NULL,
            sdk_version VARCHAR(50) NOT NULL,
            transmission_timestamp TIMESTAMPTZ NOT NULL,
            batch_size INTEGER NOT NULL,
            retry_count INTEGER NOT NULL DEFAULT 0,
            received_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
        )
        """,
        "CREATE INDEX idx_events_org_app ON events(org_id, app_id)",
        "CREATE INDEX idx_events_timestamp ON events(timestamp DESC)",
        "CREATE INDEX idx_events_user_id ON events(user_id)",
        "CREATE INDEX idx_events_event_type ON events(event_type)",
        "CREATE INDEX idx_events_service_name ON events(service_name, timestamp DESC)",
        "CREATE INDEX idx_events_event_id ON events(event_id)",
        "CREATE INDEX idx_events_analytics ON events(org_id, app_id, timestamp DESC, event_type)",
        "CREATE INDEX idx_events_data_gin ON events USING GIN (event_data)",
        """
        INSERT INTO api_tokens (org_id, app_id, token, secret, tier)
        VALUES (
            '550e8400-e29b-41d4-a716-446655440000',
            '7c9e6679-7425-40de-944b-e07fc1f90ae7',
            'tk_550e8400e29b41d4a716446655440000_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6',
            '9f4b3c2a1e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0',
            'free'
        )
        """,
    ]

    /// Creates the schema when neither table exists. Runs in one transaction under an advisory lock. A database that
    /// already holds either table is left alone: a half-applied schema then fails in PostgreSQL's own words on the
    /// queries that need the missing parts.
    static func apply(to database: Hyperdrive) async throws {
        try await database.withTransaction { transaction in
            _ = try await transaction.query("SELECT pg_advisory_xact_lock($1)", [.integer(Self.lockKey)])
            let existing = try await transaction.query(
                "SELECT to_regclass('api_tokens') IS NOT NULL OR to_regclass('events') IS NOT NULL AS present"
            )
            if existing.first?["present"] == .bool(true) { return }
            for statement in Self.postgres {
                _ = try await transaction.query(statement)
            }
        }
    }
}
