import Flarelet

extension TelemetryKitWorker {
    /// Authentication, then the ingest handler (spec sections 5–7).
    func ingest(
        _ request: WorkerRequest,
        segments: (org: Substring, app: Substring),
        store: any TelemetryStore,
        env: Env
    ) async -> WorkerResponse {
        let token: APIToken
        let body: String
        switch await self.authenticate(request, store: store, env: env) {
        case .failure(let failure): return failure.response
        case .success(let context): (token, body) = context
        }

        // Step 11: path parameters.
        let orgID: String
        let appID: String
        switch (Self.pathUUID(segments.org, key: "org_id"), Self.pathUUID(segments.app, key: "app_id")) {
        case (.failure(let message), _), (.success, .failure(let message)):
            return WorkerResponse.text(
                "Invalid URL: \(message.message)",
                status: 400,
                headers: Headers([("content-type", "text/plain; charset=utf-8")])
            )
        case (.success(let org), .success(let app)):
            (orgID, appID) = (org, app)
        }
        // Step 13.
        guard token.orgID == orgID, token.appID == appID else {
            return Self.error(403, "Token does not match org_id/app_id")
        }
        // Step 15.
        let events: [IngestEvent]
        do {
            events = try IngestBatch.decode(Array(body.utf8))
        } catch {
            return Self.error(400, "Invalid JSON: \(error.message)")
        }
        // Steps 16–18.
        if events.isEmpty {
            return Self.error(400, "Batch must contain at least one event")
        }
        if events.count > Self.maxEventsPerBatch {
            return Self.error(400, "Batch size exceeds maximum of \(Self.maxEventsPerBatch) events")
        }
        if let header = Self.header(request, "X-Batch-Size"), let declared = Self.parseUInt64(header), declared != UInt64(events.count) {
            return Self.error(400, "X-Batch-Size header does not match actual batch size")
        }
        // Step 19.
        if Self.header(request, "DNT") == "1" {
            return WorkerResponse(status: 204)
        }
        // Steps 20–21.
        var accepted = 0
        var rejected: [(eventID: String, error: String, message: String)] = []
        for event in events {
            if let failure = await self.process(event, orgID: orgID, appID: appID, store: store, env: env) {
                rejected.append((event.eventID, failure.code, failure.message))
            } else {
                accepted += 1
            }
        }
        return Self.ingestResponse(accepted: accepted, rejected: rejected)
    }

    /// A percent-decoded path segment parsed as a UUID, or the text after `Invalid URL: `.
    static func pathUUID(_ segment: Substring, key: String) -> Result<String, PathError> {
        guard let decoded = Self.percentDecode(segment) else {
            return .failure(PathError(message: "Invalid UTF-8 in `\(key)`"))
        }
        do {
            return .success(try UUIDText.parse(decoded))
        } catch {
            return .failure(PathError(message: "UUID parsing failed: \(error.reason)"))
        }
    }

    /// `percent_decode_str(…).decode_utf8()`: `%XX` escapes decoded, malformed escapes kept; `nil` for invalid UTF-8.
    static func percentDecode(_ segment: Substring) -> String? {
        var bytes: [UInt8] = []
        let source = Array(segment.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "%"), index + 2 < source.count,
                let high = Self.hexValue(source[index + 1]), let low = Self.hexValue(source[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The 200 / 207 / 400 answer after per-event processing (section 7.3).
    static func ingestResponse(accepted: Int, rejected: [(eventID: String, error: String, message: String)]) -> WorkerResponse {
        if rejected.isEmpty {
            var object = JSONObject()
            object["status"] = "success"
            object["accepted"] = .integer(Int64(accepted))
            object["rejected"] = .integer(0)
            object["message"] = "All events ingested successfully"
            return Self.json(.object(object), status: 200)
        }
        if accepted > 0 {
            var object = JSONObject()
            object["status"] = "partial"
            object["accepted"] = .integer(Int64(accepted))
            object["rejected"] = .integer(Int64(rejected.count))
            object["errors"] = .array(
                rejected.map { item in
                    var entry = JSONObject()
                    entry["event_id"] = .string(item.eventID)
                    entry["error"] = .string(item.error)
                    entry["message"] = .string(item.message)
                    return .object(entry)
                }
            )
            return Self.json(.object(object), status: 207)
        }
        var object = JSONObject()
        object["error"] = "bad_request"
        object["errors"] = .array(
            rejected.map { item in
                var entry = JSONObject()
                entry["error"] = .string(item.error)
                entry["event_id"] = .string(item.eventID)
                entry["message"] = .string(item.message)
                return .object(entry)
            }
        )
        object["message"] = "All events rejected"
        return Self.json(.object(object), status: 400)
    }
}

/// The reason after `Invalid URL: ` for a path segment that is not a UUID.
struct PathError: Error, Sendable {
    var message: String
}
