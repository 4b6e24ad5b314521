import Flarelet

/// A rejected event: the `error` code and `message` of its entry in the response.
struct EventFailure: Error, Sendable {
    var code: String
    var message: String
}

extension TelemetryKitWorker {
    /// The `VARCHAR(n)` limits of the `events` table, in table column order.
    static let columnLimits: [(column: String, limit: Int)] = [
        ("schema_version", 20), ("service_name", 255), ("service_version", 100), ("service_language", 50),
        ("service_language_version", 50), ("user_id", 255), ("session_id", 255), ("os", 50), ("os_version", 100),
        ("arch", 50), ("shell", 50), ("event_type", 100), ("event_category", 50), ("sdk_version", 50),
    ]

    static let insertSQL = """
        INSERT INTO events (event_id, org_id, app_id, schema_version, timestamp, service_name, service_version, \
        service_language, service_language_version, user_id, session_id, os, os_version, arch, ci, shell, event_type, \
        event_category, event_data, sdk_version, transmission_timestamp, batch_size, retry_count, received_at) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
        """

    /// Checks and stores one event (section 7.1); `nil` when it was inserted.
    func store(_ event: IngestEvent, orgID: String, appID: String, database: any D1Database, env: Env) async -> EventFailure? {
        if !event.schemaVersion.hasPrefix("1.") {
            return EventFailure(code: "unsupported_schema", message: "Unsupported schema version: \(event.schemaVersion)")
        }
        if event.serviceName.isEmpty {
            return EventFailure(code: "invalid_schema", message: "Missing required field: service.name")
        }
        if event.serviceVersion.isEmpty {
            return EventFailure(code: "invalid_schema", message: "Missing required field: service.version")
        }
        if !event.userID.hasPrefix("client_") {
            return EventFailure(code: "invalid_schema", message: "User ID must start with 'client_'")
        }
        do {
            let exists = try await database.prepare("SELECT EXISTS(SELECT 1 FROM events WHERE event_id = ?1) AS found")
                .bind(.text(event.eventID))
                .first("found")
            if case .integer(let found)? = exists, found != 0 {
                return EventFailure(code: "duplicate", message: "Event already ingested (duplicate event_id: \(event.eventID))")
            }
        } catch {
            return EventFailure(code: "database_error", message: "Database error: \(error)")
        }
        if let problem = Self.postgresProblem(event) {
            return EventFailure(code: "database_error", message: "Failed to insert event: error returned from database: \(problem)")
        }
        do {
            _ = try await database.prepare(Self.insertSQL).bind(Self.insertValues(event, orgID: orgID, appID: appID, env: env)).run()
        } catch {
            return EventFailure(code: "database_error", message: "Failed to insert event: \(error)")
        }
        return nil
    }

    /// The 24 bound values of the insert, in column order.
    static func insertValues(_ event: IngestEvent, orgID: String, appID: String, env: Env) -> [D1Value] {
        func text(_ value: String?) -> D1Value { value.map { .text($0) } ?? .null }
        return [
            .text(event.eventID), .text(orgID), .text(appID), .text(event.schemaVersion),
            .text(Timestamp.format(microseconds: event.timestamp)), .text(event.serviceName), .text(event.serviceVersion),
            .text(event.serviceLanguage), text(event.serviceLanguageVersion), .text(event.userID), text(event.sessionID),
            .text(event.os), text(event.osVersion), text(event.arch), event.ci.map { .integer($0 ? 1 : 0) } ?? .null,
            text(event.shell), .text(event.eventType), text(event.eventCategory), .text(event.data.compactText),
            .text(event.sdkVersion), .text(Timestamp.format(microseconds: event.transmissionTimestamp)),
            .integer(Int64(Int32(truncatingIfNeeded: event.batchSize))),
            .integer(Int64(Int32(bitPattern: event.retryCount))),
            .text(Timestamp.format(env.clock.now())),
        ]
    }

    /// What PostgreSQL would refuse in this insert, in its words: a U+0000 in a text parameter or in `event_data`
    /// (parameters are converted in order, before any column check), then the first `VARCHAR(n)` overflow in table
    /// column order (lengths in characters).
    static func postgresProblem(_ event: IngestEvent) -> String? {
        let strings: [(column: String, value: String?)] = [
            ("schema_version", event.schemaVersion), ("service_name", event.serviceName), ("service_version", event.serviceVersion),
            ("service_language", event.serviceLanguage), ("service_language_version", event.serviceLanguageVersion),
            ("user_id", event.userID), ("session_id", event.sessionID), ("os", event.os), ("os_version", event.osVersion),
            ("arch", event.arch), ("shell", event.shell), ("event_type", event.eventType), ("event_category", event.eventCategory),
        ]
        for item in strings where item.value?.unicodeScalars.contains("\u{00}") == true {
            return "invalid byte sequence for encoding \"UTF8\": 0x00"
        }
        if event.data.containsNUL {
            return "unsupported Unicode escape sequence"
        }
        if event.sdkVersion.unicodeScalars.contains("\u{00}") {
            return "invalid byte sequence for encoding \"UTF8\": 0x00"
        }
        let values = Dictionary(uniqueKeysWithValues: (strings + [("sdk_version", event.sdkVersion)]).map { ($0.column, $0.value) })
        for (column, limit) in Self.columnLimits {
            if let value = values[column] ?? nil, value.unicodeScalars.count > limit {
                return "value too long for type character varying(\(limit))"
            }
        }
        return nil
    }
}
