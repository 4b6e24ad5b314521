import Flarelet
import Logging

/// The Runt telemetry service (`runtimed/runt`, `services/telemetry`), ported to Swift.
///
/// `POST /telemetry` takes `{"public_key", "signature", "events"}`: a batch of up to 100 events signed with
/// Ed25519 over `JSON.stringify(events)` of the *parsed* events. The public key is the anonymous install id.
/// Every event becomes one `INSERT OR IGNORE` row of table `events` (binding `DB`), all in one D1 batch.
/// `OPTIONS` on any path answers the CORS preflight; everything else is a plain-text 404.
///
/// Values are handled with JavaScript's semantics (the shared `JavaScript` layer): the pathname is the WHATWG one,
/// strings keep lone surrogates (so `JSON.stringify(events)` and the signature match upstream), and a signature
/// that is not a string is decoded the way upstream's `hexToBytes` treats it.
public struct RuntWorker: Worker {
    /// The wrangler `main` value this worker is registered under.
    public static let main = "runt"

    /// The D1 binding the worker writes to.
    public static let databaseBinding = "DB"

    /// The one statement the worker runs, once per event, all in one batch.
    public static let insertSQL =
        "INSERT OR IGNORE INTO events (install_id, event_type, event_data, created_at) VALUES (?, ?, ?, ?)"

    /// At most this many events per request (checked after the signature).
    public static let maxEvents = 100

    /// The three CORS headers of the preflight and of every JSON response, in upstream order.
    public static let corsHeaders: [(String, String)] = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "POST, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type"),
    ]

    public init() {}

    public func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        if request.method == "OPTIONS" {
            return WorkerResponse(status: 200, headers: Headers(Self.corsHeaders))
        }
        guard request.method == "POST", request.pathname == "/telemetry" else {
            return .text("Not Found", status: 404)
        }
        do {
            return try await self.handleTelemetry(request, env: env)
        } catch {
            env.logger.error("Telemetry error: \(error)")
            return Self.json(["error": "Internal error"], status: 500)
        }
    }

    // MARK: POST /telemetry

    private func handleTelemetry(_ request: WorkerRequest, env: Env) async throws -> WorkerResponse {
        // 1. `JSON.parse(await request.text())`. A top-level `null` fails on the first property access.
        let payload = try request.json()
        if payload == .null {
            throw JavaScriptError(.typeError, "Cannot read properties of null (reading 'public_key')")
        }

        // 2. Required fields: present and truthy, no type checks.
        guard let publicKey = payload["public_key"], publicKey.isTruthy,
            let signature = payload["signature"], signature.isTruthy,
            let events = payload["events"], events.isTruthy
        else {
            return Self.json(["error": "Missing required fields"], status: 400)
        }

        // 3. `public_key.length !== 64 || !/^[0-9a-f]+$/i.test(public_key)`: only a string can pass.
        guard try Self.isPublicKeyFormat(publicKey), case .string(let publicKeyHex) = publicKey else {
            return Self.json(["error": "Invalid public key format"], status: 400)
        }

        // 4. Signature over JSON.stringify(events), never the raw request bytes.
        let signedContent = events.stringifiedBytes()
        guard Self.verifySignature(message: signedContent, signature: signature, publicKeyHex: publicKeyHex, logger: env.logger)
        else {
            return Self.json(["error": "Invalid signature"], status: 401)
        }

        // 5. The cap: `events.length > 100`, after the signature.
        if try Self.length(of: events).map({ (length) throws(JavaScriptError) in try JavaScript.toNumber(length) > Double(Self.maxEvents) })
            ?? false
        {
            return Self.json(["error": .string("Too many events (max \(Self.maxEvents))")], status: 400)
        }

        // 6. One statement per event, one batch. Binding errors (a missing event_type, an object value) throw
        //    before anything runs, so nothing is stored.
        guard case .array(let list) = events else {
            throw JavaScriptError(.typeError, "payload.events.map is not a function")
        }
        let database = try env.d1(Self.databaseBinding)
        let statement = database.prepare(Self.insertSQL)
        var batch: [D1PreparedStatement] = []
        batch.reserveCapacity(list.count)
        for event in list {
            if event == .null {
                throw JavaScriptError(.typeError, "Cannot read properties of null (reading 'event_type')")
            }
            // `event.data ? JSON.stringify(event.data) : null`
            let data: JSONValue = event["data"].map { $0.isTruthy ? .string($0.stringify()) : .null } ?? .null
            // `event.timestamp || new Date().toISOString()`
            let timestamp: JSONValue =
                if let value = event["timestamp"], value.isTruthy { value } else { .string(env.clock.now().isoString) }
            batch.append(try statement.bind(javaScript: [publicKey, event["event_type"], data, timestamp]))
        }
        _ = try await database.batch(batch)

        // 7. Success: count is the number of events sent, stored or ignored.
        return Self.json(["success": true, "count": .number(Double(list.count))], status: 200)
    }

    /// `value.length !== 64 || !/^[0-9a-f]+$/i.test(value)` negated. `length` is a string's UTF-16 length, an
    /// array's count or an object's own `length` property (strictly the number 64); the test converts the value with
    /// `String()`, which throws for an object with an own `toString`.
    static func isPublicKeyFormat(_ value: JSONValue) throws(JavaScriptError) -> Bool {
        guard let length = self.length(of: value), length == .number(64) || length == .integer(64) else { return false }
        let text = try JavaScript.toString(value)
        return text.length == 64 && text.codeUnits.allSatisfy { $0 < 0x80 && JavaScript.hexValue(UInt8($0)) != nil }
    }

    /// `value.length` for a JSON value: strings (UTF-16 units) and arrays have one, an object may own one, other
    /// values have none (`undefined`).
    static func length(of value: JSONValue) -> JSONValue? {
        switch value {
        case .string(let text): .number(Double(text.length))
        case .array(let elements): .number(Double(elements.count))
        case .object(let object): object["length"]
        default: nil
        }
    }

    /// A compact JSON body with `Content-Type: application/json` followed by the three CORS headers.
    static func json(_ object: JSONObject, status: Int) -> WorkerResponse {
        var headers: Headers = ["Content-Type": "application/json"]
        for (name, value) in Self.corsHeaders { headers.append(name, value) }
        return WorkerResponse(status: status, headers: headers, body: JSONValue.object(object).stringifiedBytes())
    }
}
