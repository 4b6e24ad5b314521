/// One event of an ingest body, fully typed (spec section 8). UUIDs are canonical, timestamps microseconds.
struct IngestEvent: Sendable {
    var schemaVersion: String
    /// Lowercase hyphenated.
    var eventID: String
    /// Microseconds since the Unix epoch (UTC).
    var timestamp: Int64
    var serviceName: String
    var serviceVersion: String
    var serviceLanguage: String
    var serviceLanguageVersion: String?
    var userID: String
    var sessionID: String?
    var os: String
    var osVersion: String?
    var arch: String?
    var ci: Bool?
    var shell: String?
    var eventType: String
    var eventCategory: String?
    /// `event.data` as parsed (any JSON value, `null` included).
    var data: JSONNode
    var sdkVersion: String
    var transmissionTimestamp: Int64
    var batchSize: UInt64
    var retryCount: UInt32
}

/// The strict parse of step 15: `{"events":[…]}` with serde's rules (required fields, exact types, unknown fields
/// ignored, duplicate fields rejected). Errors carry serde_json's message with its position suffix.
enum IngestBatch {
    static func decode(_ bytes: [UInt8]) throws(StrictJSONError) -> [IngestEvent] {
        let root = try StrictJSONParser.parse(bytes)
        var decoder = Decoder(bytes: bytes)
        return try decoder.batch(root)
    }

    private struct Decoder {
        let bytes: [UInt8]

        func fail(_ message: String, _ node: JSONNode) -> StrictJSONError {
            StrictJSONParser.locate(message, in: self.bytes, consumed: node.end)
        }

        func unexpected(_ node: JSONNode) -> String {
            switch node.value {
            case .null: "null"
            case .bool(let value): "boolean `\(value)`"
            case .number(let number):
                switch number.kind {
                case .unsigned, .negative: "integer `\(number.text)`"
                case .float(let value): "floating point `\(Self.floatText(value))`"
                }
            case .string(let text): "string \"\(text)\""
            case .array: "sequence"
            case .object: "map"
            }
        }

        private static func floatText(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e16 ? "\(Int64(value))" + ".0" : "\(value)"
        }

        func invalidType(_ node: JSONNode, expected: String) -> StrictJSONError {
            self.fail("invalid type: \(self.unexpected(node)), expected \(expected)", node)
        }

        /// The members of a struct: rejects non-objects and duplicate known fields, ignores unknown ones.
        func fields(_ node: JSONNode, name: String, known: Set<String>) throws(StrictJSONError) -> [String: JSONNode] {
            guard case .object(let members) = node.value else { throw self.invalidType(node, expected: "struct \(name)") }
            var fields: [String: JSONNode] = [:]
            for member in members where known.contains(member.key) {
                if fields[member.key] != nil { throw self.fail("duplicate field `\(member.key)`", node) }
                fields[member.key] = member.value
            }
            return fields
        }

        func required(_ fields: [String: JSONNode], _ key: String, in node: JSONNode) throws(StrictJSONError) -> JSONNode {
            guard let value = fields[key] else { throw self.fail("missing field `\(key)`", node) }
            return value
        }

        func string(_ node: JSONNode) throws(StrictJSONError) -> String {
            guard case .string(let text) = node.value else { throw self.invalidType(node, expected: "a string") }
            return text
        }

        func optionalString(_ node: JSONNode?) throws(StrictJSONError) -> String? {
            guard let node else { return nil }
            if case .null = node.value { return nil }
            return try self.string(node)
        }

        func uuid(_ node: JSONNode) throws(StrictJSONError) -> String {
            let text = try self.string(node)
            do {
                return try UUIDText.parse(text)
            } catch {
                throw self.fail("UUID parsing failed: \(error.reason)", node)
            }
        }

        func timestamp(_ node: JSONNode) throws(StrictJSONError) -> Int64 {
            guard case .string(let text) = node.value else {
                throw self.invalidType(node, expected: "a formatted date and time string or a unix timestamp")
            }
            guard let micros = Timestamp.parseRFC3339(text) else { throw self.fail("input contains invalid characters", node) }
            return micros
        }

        func unsigned(_ node: JSONNode, maximum: UInt64, name: String) throws(StrictJSONError) -> UInt64 {
            guard case .number(let number) = node.value else { throw self.invalidType(node, expected: name) }
            switch number.kind {
            case .unsigned(let value):
                guard value <= maximum else { throw self.fail("invalid value: integer `\(value)`, expected \(name)", node) }
                return value
            case .negative(let value):
                guard value == 0 else { throw self.fail("invalid value: integer `\(value)`, expected \(name)", node) }
                return 0
            case .float:
                throw self.invalidType(node, expected: name)
            }
        }

        mutating func batch(_ root: JSONNode) throws(StrictJSONError) -> [IngestEvent] {
            let fields = try self.fields(root, name: "IngestRequest", known: ["events"])
            let events = try self.required(fields, "events", in: root)
            guard case .array(let elements) = events.value else { throw self.invalidType(events, expected: "a sequence") }
            var decoded: [IngestEvent] = []
            decoded.reserveCapacity(elements.count)
            for element in elements { decoded.append(try self.event(element)) }
            return decoded
        }

        func event(_ node: JSONNode) throws(StrictJSONError) -> IngestEvent {
            let known: Set<String> = [
                "schema_version", "event_id", "timestamp", "service", "user_id", "session_id", "environment", "event", "metadata",
            ]
            let fields = try self.fields(node, name: "Event", known: known)
            // serde visits fields in document order; the first problem found in that order is reported. Missing
            // fields are reported after the whole object was read, in declaration order.
            let schemaVersion = try self.string(try self.required(fields, "schema_version", in: node))
            let eventID = try self.uuid(try self.required(fields, "event_id", in: node))
            let timestamp = try self.timestamp(try self.required(fields, "timestamp", in: node))

            let serviceNode = try self.required(fields, "service", in: node)
            let service = try self.fields(serviceNode, name: "ServiceInfo", known: ["name", "version", "language", "language_version"])
            let serviceName = try self.string(try self.required(service, "name", in: serviceNode))
            let serviceVersion = try self.string(try self.required(service, "version", in: serviceNode))
            let serviceLanguage = try self.string(try self.required(service, "language", in: serviceNode))
            let serviceLanguageVersion = try self.optionalString(service["language_version"])

            let userID = try self.string(try self.required(fields, "user_id", in: node))
            let sessionID = try self.optionalString(fields["session_id"])

            let environmentNode = try self.required(fields, "environment", in: node)
            let environment = try self.fields(environmentNode, name: "Environment", known: ["os", "os_version", "arch", "ci", "shell"])
            let os = try self.string(try self.required(environment, "os", in: environmentNode))
            let osVersion = try self.optionalString(environment["os_version"])
            let arch = try self.optionalString(environment["arch"])
            var ci: Bool?
            if let ciNode = environment["ci"] {
                switch ciNode.value {
                case .null: ci = nil
                case .bool(let value): ci = value
                default: throw self.invalidType(ciNode, expected: "a boolean")
                }
            }
            let shell = try self.optionalString(environment["shell"])

            let eventNode = try self.required(fields, "event", in: node)
            let eventFields = try self.fields(eventNode, name: "EventData", known: ["type", "category", "data"])
            let eventType = try self.string(try self.required(eventFields, "type", in: eventNode))
            let eventCategory = try self.optionalString(eventFields["category"])
            let data = try self.required(eventFields, "data", in: eventNode)

            let metadataNode = try self.required(fields, "metadata", in: node)
            let metadata = try self.fields(
                metadataNode,
                name: "Metadata",
                known: ["sdk_version", "transmission_timestamp", "batch_size", "retry_count"]
            )
            let sdkVersion = try self.string(try self.required(metadata, "sdk_version", in: metadataNode))
            let transmission = try self.timestamp(try self.required(metadata, "transmission_timestamp", in: metadataNode))
            let batchSize = try self.unsigned(try self.required(metadata, "batch_size", in: metadataNode), maximum: UInt64.max, name: "u64")
            let retryCount = try self.unsigned(
                try self.required(metadata, "retry_count", in: metadataNode),
                maximum: UInt64(UInt32.max),
                name: "u32"
            )

            return IngestEvent(
                schemaVersion: schemaVersion,
                eventID: eventID,
                timestamp: timestamp,
                serviceName: serviceName,
                serviceVersion: serviceVersion,
                serviceLanguage: serviceLanguage,
                serviceLanguageVersion: serviceLanguageVersion,
                userID: userID,
                sessionID: sessionID,
                os: os,
                osVersion: osVersion,
                arch: arch,
                ci: ci,
                shell: shell,
                eventType: eventType,
                eventCategory: eventCategory,
                data: data,
                sdkVersion: sdkVersion,
                transmissionTimestamp: transmission,
                batchSize: batchSize,
                retryCount: UInt32(retryCount)
            )
        }
    }
}
