import Flarelet
import Logging

extension DriftWorker {
    /// The event insert; `created_at` comes from SQLite's clock, as upstream.
    static let insertEventSQL =
        "INSERT INTO events (type, timestamp, installation_id, drift_version, payload, created_at) "
        + "VALUES (?, ?, ?, ?, ?, datetime('now'))"

    /// The aggregate upsert: adds to the day's counter.
    static let upsertStatSQL =
        "INSERT INTO daily_stats (date, metric, value) VALUES (?, ?, ?) "
        + "ON CONFLICT(date, metric) DO UPDATE SET value = value + excluded.value"

    /// The four event fields bound to their own columns; every other key goes to `payload`.
    static let namedFields: [JSString] = ["type", "timestamp", "installationId", "driftVersion"]

    /// `POST /v1/events`. Any thrown error (invalid JSON, a `null` body, a failed bind or batch, a missing `DB`
    /// binding, a counter key JavaScript cannot convert) becomes 500 `{"error":"Internal server error"}`.
    func handleEvents(_ request: WorkerRequest, env: Env) async -> WorkerResponse {
        do {
            return try await self.processEvents(request, env: env)
        } catch {
            env.logger.error("Error processing events: \(error)")
            return Self.internalError
        }
    }

    private func processEvents(_ request: WorkerRequest, env: Env) async throws -> WorkerResponse {
        let body = try request.json()
        // `body.events` on a top-level null is a TypeError; any other value without an array `events` is a 400.
        if body == .null { throw JavaScriptError(.typeError, "Cannot read properties of null (reading 'events')") }
        guard case .array(let events)? = body["events"] else {
            return Self.json(["error": "Invalid request: events array required"], status: 400)
        }
        if events.isEmpty {
            return Self.json(["success": true, "eventsProcessed": 0])
        }
        if events.count > Self.maxEventsPerBatch {
            return Self.json(["error": "Too many events: max 100 per batch"], status: 400)
        }
        let database = try env.d1(Self.databaseBinding)
        let insert = database.prepare(Self.insertEventSQL)
        // Every event is bound before anything runs, so a bad named field stores nothing.
        var statements: [D1PreparedStatement] = []
        statements.reserveCapacity(events.count)
        for event in events {
            let fields = try Self.split(event)
            statements.append(try insert.bind(javaScript: fields.named + [.string(fields.payload.stringify())]))
        }
        _ = try await database.batch(statements)

        let today = String(env.clock.now().isoString.prefix(10))
        _ = try await database.batch(queries: Self.aggregateQueries(for: events, today: today))

        return Self.json(["success": true, "eventsProcessed": .number(Double(events.count))])
    }

    /// `const { type, timestamp, installationId, driftVersion, ...payload } = event`: the four named fields
    /// (`nil` = `undefined`) and the remaining own keys in their original order (an own `__proto__` key included).
    static func split(_ event: JSONValue) throws(JavaScriptError) -> (named: [JSONValue?], payload: JSONValue) {
        switch event {
        case .null:
            throw JavaScriptError(.typeError, "Cannot destructure 'event' as it is null.")
        case .object(let object):
            var payload = JSONObject()
            for (key, value) in object.entries where !Self.namedFields.contains(key) {
                payload[key] = value
            }
            return (Self.namedFields.map { object[$0] }, .object(payload))
        default:
            // Primitives and arrays have none of the named properties; binding `undefined` fails anyway.
            return ([nil, nil, nil, nil], .object(JSONObject()))
        }
    }

    /// The aggregate upserts of one accepted batch, in upstream order: `events:<type>` per distinct type, then
    /// `language:<language>` and `category:<category>` for `pattern_signature` events with a truthy value, then
    /// `unique_installations` (distinct `installationId` values of this batch).
    ///
    /// Counters are plain JavaScript objects upstream (`counts[key] = (counts[key] || 0) + 1`), so they are kept
    /// with the shared layer's object semantics: keys are `String(value)` compared by code units, in JavaScript
    /// property order, and a key naming an `Object.prototype` member starts from that member (`toString` counts
    /// `"function toString() { [native code] }1"`, `__proto__` is never stored). Counts bind as JavaScript values:
    /// numbers as REAL (the INTEGER column stores integers), strings as TEXT.
    /// - Throws: what `String()` throws for a key JavaScript cannot convert.
    static func aggregateQueries(for events: JSONArray, today: String) throws(JavaScriptError) -> [D1Query] {
        var types = JSONObject()
        var languages = JSONObject()
        var categories = JSONObject()
        for event in events {
            try JavaScript.increment(JavaScript.toString(event["type"]), in: &types)
            if event["type"] == .string("pattern_signature") {
                if let language = event["language"], language.isTruthy {
                    try JavaScript.increment(JavaScript.toString(language), in: &languages)
                }
                if let category = event["category"], category.isTruthy {
                    try JavaScript.increment(JavaScript.toString(category), in: &categories)
                }
            }
        }
        var queries: [D1Query] = []
        for (prefix, counter) in [("events:", types), ("language:", languages), ("category:", categories)] {
            for (key, value) in counter.entries {
                queries.append(try self.upsert(today: today, metric: JSString(prefix) + key, value: value))
            }
        }
        queries.append(try self.upsert(today: today, metric: "unique_installations", value: .number(Double(self.distinctInstallations(events)))))
        return queries
    }

    private static func upsert(today: String, metric: JSString, value: JSONValue) throws(JavaScriptError) -> D1Query {
        do {
            return D1Query(sql: Self.upsertStatSQL, bindings: [.text(today), .text(metric.string), try D1Value(javaScript: value)])
        } catch {
            throw JavaScriptError(.typeError, error.description)
        }
    }

    /// `new Set(events.map(e => e.installationId)).size`: SameValueZero, so equal strings (by code units) or
    /// numbers count once and every array (an object) counts on its own.
    static func distinctInstallations(_ events: JSONArray) -> Int {
        var seen = Set<JSONValue>()
        var objects = 0
        var sawUndefined = false
        for event in events {
            switch event["installationId"] {
            case nil: sawUndefined = true
            case .array?, .object?: objects += 1
            case let value?: seen.insert(value)
            }
        }
        return seen.count + objects + (sawUndefined ? 1 : 0)
    }
}
