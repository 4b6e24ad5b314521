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

    /// Checks and stores one event (section 7.1); `nil` when it was inserted.
    func process(_ event: IngestEvent, orgID: String, appID: String, store: any TelemetryStore, env: Env) async -> EventFailure? {
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
            if try await store.eventExists(event.eventID) {
                return EventFailure(code: "duplicate", message: "Event already ingested (duplicate event_id: \(event.eventID))")
            }
        } catch {
            return EventFailure(code: "database_error", message: "Database error: \(error.message)")
        }
        do {
            try await store.insert(event, orgID: orgID, appID: appID, receivedAt: Timestamp.microseconds(env.clock.now()))
        } catch {
            return EventFailure(code: "database_error", message: "Failed to insert event: \(error.message)")
        }
        return nil
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
