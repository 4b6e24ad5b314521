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
    static let namedFields = ["type", "timestamp", "installationId", "driftVersion"]

    /// `POST /v1/events`. Any thrown error (invalid JSON, a `null` body, a failed bind or batch, a missing `DB`
    /// binding) becomes 500 `{"error":"Internal server error"}`.
    func handleEvents(_ request: WorkerRequest, env: Env) async -> WorkerResponse {
        do {
            return try await self.processEvents(request, env: env)
        } catch {
            env.logger.error("Error processing events: \(error)")
            return Self.internalError
        }
    }

    private func processEvents(_ request: WorkerRequest, env: Env) async throws -> WorkerResponse {
        let body = try Self.parseBody(request.body)
        // `body.events` on a top-level null is a TypeError; any other value without an array `events` is a 400.
        if body == .null { throw DriftError.propertyOfNull("events") }
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

    /// `await request.json()`: the body decoded as UTF-8 (a leading byte order mark dropped, invalid sequences
    /// replaced) and parsed.
    static func parseBody(_ body: [UInt8]) throws(JSONParseError) -> JSONValue {
        let hasBOM = body.count >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF
        let text = String(decoding: hasBOM ? body[3...] : body[...], as: UTF8.self)
        return try JSONValue.parse(text)
    }

    /// `const { type, timestamp, installationId, driftVersion, ...payload } = event`: the four named fields
    /// (`nil` = `undefined`) and the remaining keys in their original order.
    static func split(_ event: JSONValue) throws(DriftError) -> (named: [JSONValue?], payload: JSONValue) {
        switch event {
        case .null:
            throw DriftError.destructureNull
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
    /// Counters are kept in ``JSONObject``s because upstream keeps them in plain objects: keys follow JavaScript
    /// property order (first-seen order, integer-like keys first) and are the JavaScript string conversion of the
    /// value. Counts bind as JavaScript numbers (REAL), which the INTEGER column stores as integers.
    static func aggregateQueries(for events: [JSONValue], today: String) -> [D1Query] {
        var types = JSONObject()
        var languages = JSONObject()
        var categories = JSONObject()
        func count(_ key: String, in counter: inout JSONObject) {
            counter[key] = .number((counter[key]?.doubleValue ?? 0) + 1)
        }
        for event in events {
            count(Self.propertyKey(event["type"]), in: &types)
            if event["type"] == .string("pattern_signature") {
                if let language = event["language"], language.isTruthy {
                    count(Self.propertyKey(language), in: &languages)
                }
                if let category = event["category"], category.isTruthy {
                    count(Self.propertyKey(category), in: &categories)
                }
            }
        }
        var queries: [D1Query] = []
        for (prefix, counter) in [("events:", types), ("language:", languages), ("category:", categories)] {
            for (key, value) in counter.entries {
                queries.append(self.upsert(today: today, metric: prefix + key, value: value.doubleValue ?? 0))
            }
        }
        queries.append(self.upsert(today: today, metric: "unique_installations", value: Double(self.distinctInstallations(events))))
        return queries
    }

    private static func upsert(today: String, metric: String, value: Double) -> D1Query {
        D1Query(sql: Self.upsertStatSQL, bindings: [.text(today), .text(metric), .real(value)])
    }

    /// `new Set(events.map(e => e.installationId)).size`: SameValueZero, so equal strings or numbers count once
    /// and every array (an object) counts on its own.
    static func distinctInstallations(_ events: [JSONValue]) -> Int {
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

    /// The property key JavaScript makes of a value (`String(value)`; `undefined` for a missing one).
    static func propertyKey(_ value: JSONValue?) -> String {
        value.map(Self.javaScriptString) ?? "undefined"
    }

    /// JavaScript `String(value)` for JSON values.
    static func javaScriptString(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let bool): bool ? "true" : "false"
        case .number, .integer: value.stringify()
        case .string(let string): string
        // `Array.prototype.join`: null elements become empty strings.
        case .array(let elements): elements.map { $0 == .null ? "" : Self.javaScriptString($0) }.joined(separator: ",")
        case .object: "[object Object]"
        }
    }
}

/// The JavaScript exceptions the port reproduces (each becomes a 500 in the handler).
enum DriftError: Error, CustomStringConvertible {
    /// `body.events` on a `null` body.
    case propertyOfNull(String)
    /// `const {…} = null` for a `null` event.
    case destructureNull

    var description: String {
        switch self {
        case .propertyOfNull(let name): "TypeError: Cannot read properties of null (reading '\(name)')"
        case .destructureNull: "TypeError: Cannot destructure 'event' as it is null."
        }
    }
}
