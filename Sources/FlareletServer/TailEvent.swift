public import FlareletJSON
import Foundation

/// One console line of an invocation, as `wrangler tail` shows it.
public struct TailLog: Sendable, Hashable {
    /// One entry per argument of the console call; a Swift log line is one string.
    public var message: [JSONValue]
    /// `debug`, `info`, `log`, `warn` or `error`.
    public var level: String
    /// Epoch milliseconds.
    public var timestamp: Int64

    public init(message: [JSONValue], level: String, timestamp: Int64) {
        self.message = message
        self.level = level
        self.timestamp = timestamp
    }
}

/// An uncaught error of an invocation.
public struct TailException: Sendable, Hashable {
    public var name: String
    public var message: String
    public var timestamp: Int64

    public init(name: String, message: String, timestamp: Int64) {
        self.name = name
        self.message = message
        self.timestamp = timestamp
    }
}

/// One worker invocation in `wrangler tail`'s shape (platform-next.md 9.1): a fetch or a cron run.
public struct TailEvent: Sendable {
    /// What triggered the invocation.
    public enum Trigger: Sendable {
        /// A request: its URL, method, headers (as received, in order) and `cf`; the response status unless the
        /// worker threw before producing one.
        case fetch(url: String, method: String, headers: [(name: String, value: String)], cf: JSONObject?, status: Int?)
        /// A cron run.
        case scheduled(cron: String, scheduledTime: Int64)
    }

    /// `ok`, `exception`, `canceled`, …
    public var outcome: String
    public var scriptName: String
    public var exceptions: [TailException]
    public var logs: [TailLog]
    /// Epoch milliseconds when the invocation started.
    public var eventTimestamp: Int64
    public var trigger: Trigger
    /// The client address (`CF-Connecting-IP`), for `--ip` (not part of the printed event).
    public var clientIP: String?

    public init(
        outcome: String,
        scriptName: String,
        exceptions: [TailException],
        logs: [TailLog],
        eventTimestamp: Int64,
        trigger: Trigger,
        clientIP: String? = nil
    ) {
        self.outcome = outcome
        self.scriptName = scriptName
        self.exceptions = exceptions
        self.logs = logs
        self.eventTimestamp = eventTimestamp
        self.trigger = trigger
        self.clientIP = clientIP
    }

    /// The response status of a fetch, if any.
    public var status: Int? {
        if case .fetch(_, _, _, _, let status) = self.trigger { return status }
        return nil
    }

    /// The request method of a fetch.
    public var method: String? {
        if case .fetch(_, let method, _, _, _) = self.trigger { return method }
        return nil
    }

    /// The event as the tail stream sends it: the six keys of 9.1 in order, headers and URL redacted (9.2).
    public var json: JSONValue {
        var object = JSONObject()
        object["outcome"] = .string(self.outcome)
        object["scriptName"] = .string(self.scriptName)
        object["exceptions"] = .array(
            self.exceptions.map { exception in
                .object(
                    [
                        "name": .string(exception.name), "message": .string(exception.message),
                        "timestamp": .integer(exception.timestamp),
                    ] as JSONObject
                )
            }
        )
        object["logs"] = .array(
            self.logs.map { log in
                .object(["message": .array(log.message), "level": .string(log.level), "timestamp": .integer(log.timestamp)] as JSONObject)
            }
        )
        object["eventTimestamp"] = .integer(self.eventTimestamp)
        switch self.trigger {
        case .fetch(let url, let method, let headers, let cf, let status):
            var headerObject = JSONObject()
            for (name, value) in headers {
                let lower = name.lowercased()
                let shown = TailRedaction.isSecretHeader(lower) ? "REDACTED" : value
                if let existing = headerObject[lower]?.stringValue {
                    headerObject[lower] = .string(existing + ", " + shown)
                } else {
                    headerObject[lower] = .string(shown)
                }
            }
            var request = JSONObject()
            request["url"] = .string(TailRedaction.redactURL(url))
            request["method"] = .string(method)
            request["headers"] = .object(headerObject)
            request["cf"] = .object(cf ?? JSONObject())
            var event = JSONObject()
            event["request"] = .object(request)
            if let status { event["response"] = .object(["status": .integer(Int64(status))] as JSONObject) }
            object["event"] = .object(event)
        case .scheduled(let cron, let scheduledTime):
            object["event"] = .object(["cron": .string(cron), "scheduledTime": .integer(scheduledTime)] as JSONObject)
        }
        return .object(object)
    }
}

// MARK: - Redaction

/// workerd's redaction of tail events (platform-next.md 9.2).
public enum TailRedaction {
    /// `cookie`, `set-cookie`, or a name containing `auth`, `jwt`, `key`, `secret` or `token` (lower-case name).
    public static func isSecretHeader(_ name: String) -> Bool {
        name == "cookie" || name == "set-cookie" || ["auth", "jwt", "key", "secret", "token"].contains { name.contains($0) }
    }

    /// Replaces runs of letters, digits, `+`, `-` and `_` that look like ids, keys or card numbers with `REDACTED`.
    public static func redactURL(_ url: String) -> String {
        var result = ""
        var run = ""
        func flush() {
            result += self.isSecretRun(run) ? "REDACTED" : run
            run = ""
        }
        for character in url {
            if character.isASCII && (character.isLetter || character.isNumber || character == "+" || character == "-" || character == "_") {
                run.append(character)
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return result
    }

    static func isSecretRun(_ run: String) -> Bool {
        guard !run.isEmpty else { return false }
        var hexDigits = 0
        var otherLetters = 0
        var digits = 0
        var upper = 0
        var lower = 0
        for character in run {
            if character.isNumber {
                digits += 1
                hexDigits += 1
            } else if character.isLetter {
                if character.isUppercase { upper += 1 } else { lower += 1 }
                if character.isHexDigit { hexDigits += 1 } else { otherLetters += 1 }
            }
        }
        if hexDigits >= 32 && otherLetters == 0 { return true }
        if run.count >= 21 && digits >= 2 && upper >= 2 && lower >= 2 { return true }
        let digitsOnly = run.filter { $0 != "+" && $0 != "-" && $0 != "_" }
        if (13...19).contains(digitsOnly.count), digitsOnly.allSatisfy(\.isNumber), self.luhn(digitsOnly) { return true }
        return false
    }

    static func luhn(_ digits: String) -> Bool {
        var sum = 0
        for (offset, character) in digits.reversed().enumerated() {
            guard var value = character.wholeNumberValue else { return false }
            if offset % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }
}

// MARK: - Filters

/// The filters `flarelet tail` sends (platform-next.md 9.4): every given filter must match; values inside one filter
/// are alternatives.
public struct TailFilter: Sendable, Hashable {
    /// Outcomes to keep (`--status` translated: `error` → `exception`, `exceededCpu`, `exceededMemory`, `unknown`).
    public var outcomes: [String]?
    /// Request methods to keep (case-insensitive).
    public var methods: [String]?
    /// Text a log message must contain.
    public var query: String?
    /// Client addresses to keep; `self` matches loopback clients.
    public var clientIPs: [String]?
    /// `--header name` or `--header name:value`.
    public var header: (key: String, query: String?)? {
        get { self.headerKey.map { ($0, self.headerQuery) } }
        set {
            self.headerKey = newValue?.key
            self.headerQuery = newValue?.query
        }
    }
    private var headerKey: String?
    private var headerQuery: String?

    public init(outcomes: [String]? = nil, methods: [String]? = nil, query: String? = nil, clientIPs: [String]? = nil) {
        self.outcomes = outcomes
        self.methods = methods
        self.query = query
        self.clientIPs = clientIPs
    }

    /// `--status` values as wrangler sends them.
    public static func outcomes(forStatuses statuses: [String]) -> [String] {
        var outcomes: [String] = []
        for status in statuses {
            switch status {
            case "ok": outcomes.append("ok")
            case "canceled": outcomes.append("canceled")
            case "error": outcomes += ["exception", "exceededCpu", "exceededMemory", "unknown"]
            default: continue
            }
        }
        return outcomes
    }

    /// The filter message `wrangler tail` sends when it connects: `{"filters":[…],"debug":false}`.
    public var message: JSONValue {
        var filters: [JSONValue] = []
        if let outcomes { filters.append(.object(["outcome": .array(outcomes.map { .string($0) })] as JSONObject)) }
        if let methods { filters.append(.object(["method": .array(methods.map { .string($0) })] as JSONObject)) }
        if let key = self.headerKey {
            var header = JSONObject()
            header["key"] = .string(key)
            if let query = self.headerQuery { header["query"] = .string(query) }
            filters.append(.object(["header": .object(header)] as JSONObject))
        }
        if let query { filters.append(.object(["query": .string(query)] as JSONObject)) }
        if let clientIPs { filters.append(.object(["client_ip": .array(clientIPs.map { .string($0) })] as JSONObject)) }
        return .object(["filters": .array(filters), "debug": .bool(false)] as JSONObject)
    }

    /// Reads a filter message; unknown filter kinds are ignored.
    public init(message: JSONValue) {
        self.init()
        for filter in message["filters"]?.arrayValue ?? JSONArray([]) {
            if let values = filter["outcome"]?.arrayValue { self.outcomes = values.compactMap(\.stringValue) }
            if let values = filter["method"]?.arrayValue { self.methods = values.compactMap(\.stringValue) }
            if let text = filter["query"]?.stringValue { self.query = text }
            if let values = filter["client_ip"]?.arrayValue { self.clientIPs = values.compactMap(\.stringValue) }
            if let header = filter["header"], let key = header["key"]?.stringValue {
                self.headerKey = key
                self.headerQuery = header["query"]?.stringValue
            }
        }
    }

    public static func == (lhs: TailFilter, rhs: TailFilter) -> Bool { lhs.message == rhs.message }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.message) }

    /// Whether `event` passes every filter.
    public func matches(_ event: TailEvent) -> Bool {
        if let outcomes, !outcomes.contains(event.outcome) { return false }
        let requestOnly = self.methods != nil || self.headerKey != nil || self.clientIPs != nil
        guard case .fetch(_, let method, let headers, _, _) = event.trigger else { return !requestOnly && self.matchesQuery(event) }
        if let methods, !methods.contains(where: { $0.caseInsensitiveCompare(method) == .orderedSame }) { return false }
        if let key = self.headerKey {
            let values = headers.filter { $0.name.caseInsensitiveCompare(key) == .orderedSame }.map(\.value)
            if values.isEmpty { return false }
            if let query = self.headerQuery, !values.contains(query) { return false }
        }
        if let clientIPs {
            let ip = event.clientIP ?? ""
            let loopback = ip == "127.0.0.1" || ip == "::1" || ip.hasPrefix("127.") || ip == "::ffff:127.0.0.1"
            if !clientIPs.contains(where: { $0 == ip || ($0 == "self" && loopback) }) { return false }
        }
        return self.matchesQuery(event)
    }

    private func matchesQuery(_ event: TailEvent) -> Bool {
        guard let query, !query.isEmpty else { return true }
        for log in event.logs {
            for entry in log.message {
                let text = entry.stringValue ?? entry.stringify()
                if text.contains(query) { return true }
            }
        }
        return false
    }
}
