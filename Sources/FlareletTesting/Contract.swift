public import FlareletCore
import FlareletCrypto
public import FlareletJSON
import FlareletJavaScript
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where contract cases are played: in-process against a worker with its bindings, or against a live URL.
public protocol ContractTarget: Sendable {
    /// Sends one request (URL path plus query relative to the target's base).
    func send(method: String, path: String, headers: Headers, body: [UInt8]) async throws -> WorkerResponse
    /// The bindings, when the target can reach them (in-process); `nil` for a live URL.
    var env: Env? { get }
    /// The clock templates read "now" from.
    var clock: any WorkerClock { get }
}

/// Plays cases in-process through ``WorkerHarness``.
public struct InProcessTarget: ContractTarget {
    public let harness: WorkerHarness
    /// Sent as `CF-Connecting-IP` when a case does not set it (what `flarelet dev` does for a local client).
    public var peerAddress: String

    public init(harness: WorkerHarness, peerAddress: String = "127.0.0.1") {
        self.harness = harness
        self.peerAddress = peerAddress
    }

    public var env: Env? { self.harness.env }
    public var clock: any WorkerClock { self.harness.env.clock }

    /// Header values travel as their UTF-8 bytes and reach the worker decoded as Latin-1, as over a socket.
    public func send(method: String, path: String, headers: Headers, body: [UInt8]) async throws -> WorkerResponse {
        var headers = Headers(headers.map { ($0.name, JavaScript.isomorphicDecode($0.value.utf8)) })
        if headers["CF-Connecting-IP"] == nil { headers["CF-Connecting-IP"] = self.peerAddress }
        let request = WorkerRequest(method: method, url: "http://localhost:8787" + path, headers: headers, body: body)
        return await self.harness.fetch(request)
    }
}

/// Plays cases against a running server (e.g. `flarelet dev`) over HTTP.
public struct LiveTarget: ContractTarget {
    public let baseURL: String

    public init(baseURL: String) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
    }

    public var env: Env? { nil }
    public var clock: any WorkerClock { SystemClock() }

    /// `http://` targets get the request byte for byte over a socket (path not normalised, header values as their
    /// UTF-8 bytes); other schemes go through URLSession.
    public func send(method: String, path: String, headers: Headers, body: [UInt8]) async throws -> WorkerResponse {
        if let base = JavaScript.URL(self.baseURL), base.scheme == "http" {
            let prefix = base.pathname == "/" ? "" : base.pathname
            return try await RawHTTPClient.send(
                host: base.hostname.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                port: base.port ?? 80,
                method: method,
                target: prefix + path,
                headers: headers,
                body: body
            )
        }
        guard let url = URL(string: self.baseURL + path) else {
            throw ContractError("invalid URL \(self.baseURL + path)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        for field in headers { request.addValue(field.value, forHTTPHeaderField: field.name) }
        if !body.isEmpty { request.httpBody = Data(body) }
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw ContractError("no HTTP response from \(url)") }
        var responseHeaders = Headers()
        for (name, value) in http.allHeaderFields {
            responseHeaders.append("\(name)", "\(value)")
        }
        return WorkerResponse(status: http.statusCode, headers: responseHeaders, body: Array(data))
    }
}

/// A malformed case file or a transport failure.
public struct ContractError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The result of one case.
public struct ContractResult: Sendable {
    public var file: String
    public var name: String
    /// Failed checks, each one line; empty when the case passed.
    public var failures: [String]
    /// Checks that could not run on this target (state checks against a live URL).
    public var skippedChecks: [String]
    /// The whole case was skipped on this target.
    public var skipped: Bool

    public var passed: Bool { self.failures.isEmpty }
}

/// Loads and plays contract cases (format: `fixtures/README.md`).
public struct ContractRunner: Sendable {
    public let target: any ContractTarget
    private let runID: String

    public init(target: any ContractTarget) {
        self.target = target
        self.runID = String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(8))
    }

    /// The case files of `folder`, in name order.
    public static func caseFiles(in folder: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        return names.filter { $0.hasSuffix(".json") }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Plays every case of `folder` in order.
    public func run(folder: String) async throws -> [ContractResult] {
        var results: [ContractResult] = []
        for file in try Self.caseFiles(in: folder) {
            results.append(await self.run(file: file))
        }
        return results
    }

    /// Plays one case file; problems in the file itself are reported as failures.
    public func run(file: String) async -> ContractResult {
        let shortName = (file as NSString).lastPathComponent
        var result = ContractResult(file: shortName, name: shortName, failures: [], skippedChecks: [], skipped: false)
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard case .object(let spec) = try JSONValue.parse(Array(data)) else {
                throw ContractError("\(shortName): a case must be a JSON object")
            }
            result.name = spec["name"]?.stringValue ?? shortName
            try await self.play(spec, into: &result)
        } catch {
            result.failures.append("\(error)")
        }
        return result
    }

    // MARK: Playing a case

    private func play(_ spec: JSONObject, into result: inout ContractResult) async throws {
        var context = TemplateContext(clock: self.target.clock, runID: self.runID)
        if case .object(let lets) = spec["let"] ?? .null {
            for (name, value) in lets.entries {
                context.values[name.string] = try context.render(value)
            }
        }
        let setup = spec["setup"]?.objectValue ?? JSONObject()
        let needsBindings = setup["sql"] != nil || setup["kv"] != nil
        if needsBindings && self.target.env == nil && spec["live"] != .bool(true) {
            result.skipped = true
            return
        }
        if let env = self.target.env {
            for item in setup["sql"]?.arrayValue ?? [] {
                let rendered = try context.render(item)
                _ = try await SQLCheck(rendered).rows(in: env)
            }
            for item in setup["kv"]?.arrayValue ?? [] {
                let rendered = try context.render(item)
                let namespace = try env.kv(rendered["binding"]?.stringValue ?? "KV")
                let options = KVPutOptions(
                    expiration: rendered["expiration"]?.doubleValue.map { Int64($0) },
                    expirationTtl: rendered["expirationTtl"]?.doubleValue.map { Int64($0) },
                    metadata: rendered["metadata"]
                )
                try await namespace.put(rendered["key"]?.stringValue ?? "", rendered["value"]?.stringValue ?? "", options: options)
            }
        }
        for item in setup["requests"]?.arrayValue ?? [] {
            let repeatCount = Int(item["repeat"]?.doubleValue ?? 1)
            for index in 0..<max(1, repeatCount) {
                let response = try await self.send(try context.render(item["request"] ?? .null), context: &context)
                if let expected = item["expectStatus"]?.doubleValue, Int(expected) != response.status {
                    result.failures.append("setup request #\(index + 1): expected status \(Int(expected)), got \(response.status) \(response.text)")
                    return
                }
            }
        }
        guard let requestSpec = spec["request"] else { throw ContractError("case has no \"request\"") }
        let response = try await self.send(try context.render(requestSpec), context: &context)
        guard case .object(let expect) = try context.render(spec["expect"] ?? .null) else {
            throw ContractError("case has no \"expect\" object")
        }
        await self.check(response, against: expect, context: context, into: &result)
    }

    private func send(_ request: JSONValue, context: inout TemplateContext) async throws -> WorkerResponse {
        let method = request["method"]?.stringValue ?? "GET"
        let path = request["path"]?.stringValue ?? "/"
        var headers = Headers()
        for (name, value) in request["headers"]?.objectValue?.entries ?? [] {
            headers.append(name.string, value.stringValue ?? value.stringify())
        }
        var body: [UInt8] = []
        if let json = request["json"] {
            body = Array(json.stringify().utf8)
        } else if let text = request["body"]?.stringValue {
            body = Array(text.utf8)
        }
        if let sign = request["hmacSha256"] {
            // {"header": "X-Signature", "secret": "…", "message": "{{ts}}:{body}"}: lower-case hex HMAC-SHA256 of the
            // message, where the literal `{body}` stands for the request body exactly as sent.
            guard let header = sign["header"]?.stringValue, let secret = sign["secret"]?.stringValue,
                let message = sign["message"]?.stringValue
            else {
                throw ContractError("\"hmacSha256\" needs string \"header\", \"secret\" and \"message\"")
            }
            let bodyText = String(decoding: body, as: UTF8.self)
            let signed = Array(message.replacingOccurrences(of: "{body}", with: bodyText).utf8)
            headers[header] = Hex.encode(Crypto.hmacSHA256(key: Array(secret.utf8), message: signed))
        }
        return try await self.target.send(method: method, path: path, headers: headers, body: body)
    }

    private func check(
        _ response: WorkerResponse,
        against expect: JSONObject,
        context: TemplateContext,
        into result: inout ContractResult
    ) async {
        if let status = expect["status"]?.doubleValue, Int(status) != response.status {
            result.failures.append("status: expected \(Int(status)), got \(response.status) (body \(response.text))")
        }
        for (name, value) in expect["headers"]?.objectValue?.entries ?? [] {
            let expected = value.stringValue ?? value.stringify()
            let actual = response.headers.get(name.string)
            if actual != expected {
                result.failures.append("header \(name): expected \"\(expected)\", got \(actual.map { "\"\($0)\"" } ?? "none")")
            }
        }
        for name in expect["absentHeaders"]?.arrayValue ?? [] {
            if let name = name.stringValue, let actual = response.headers.get(name) {
                result.failures.append("header \(name): expected absent, got \"\(actual)\"")
            }
        }
        if let text = expect["body"]?.stringValue, text != response.text {
            result.failures.append("body: expected \"\(text)\", got \"\(response.text)\"")
        }
        if let json = expect["json"] {
            do {
                let actual = try JSONValue.parse(response.body)
                if let mismatch = JSONMatcher.mismatch(expected: json, actual: actual, path: "$") {
                    result.failures.append("json \(mismatch); body was \(response.text)")
                }
            } catch {
                result.failures.append("json: body is not JSON (\(error)): \(response.text)")
            }
        }
        guard let env = self.target.env else {
            if expect["rows"] != nil { result.skippedChecks.append("rows (no binding access on a live target)") }
            if expect["kv"] != nil { result.skippedChecks.append("kv (no binding access on a live target)") }
            return
        }
        for item in expect["rows"]?.arrayValue ?? [] {
            do {
                let check = SQLCheck(item)
                let actual = JSONValue.array(try await check.rows(in: env))
                if let mismatch = JSONMatcher.mismatch(expected: check.equals(in: env), actual: actual, path: "$") {
                    result.failures.append("rows of \(check.sql(in: env)): \(mismatch); got \(actual.stringify())")
                }
            } catch {
                result.failures.append("rows: \(error)")
            }
        }
        for item in expect["kv"]?.arrayValue ?? [] {
            do {
                let namespace = try env.kv(item["binding"]?.stringValue ?? "KV")
                let key = item["key"]?.stringValue ?? ""
                let actual = try await namespace.get(key)
                let expected = item["value"]
                switch expected {
                case .null?:
                    if let actual { result.failures.append("kv \(key): expected missing, got \"\(actual)\"") }
                case .string(let value)?:
                    if actual != value.string {
                        result.failures.append("kv \(key): expected \"\(value)\", got \(actual.map { "\"\($0)\"" } ?? "missing")")
                    }
                default:
                    result.failures.append("kv \(key): \"value\" must be a string or null")
                }
            } catch {
                result.failures.append("kv: \(error)")
            }
        }
    }
}

/// A `setup.sql` or `expect.rows` item: `{"binding", "sql", "params", "equals"}`, run on the D1 binding of that name,
/// or, when the binding is a Hyperdrive (PostgreSQL) binding, with the item's `"postgres"` object (`sql`, `params`,
/// `equals`, each falling back to the item's own) and `?` placeholders numbered `$1`, `$2`, ….
struct SQLCheck {
    let item: JSONValue

    init(_ item: JSONValue) {
        self.item = item
    }

    var binding: String { self.item["binding"]?.stringValue ?? "DB" }

    private func field(_ name: String, in env: Env) -> JSONValue? {
        if env.hyperdrives[self.binding] != nil, let value = self.item["postgres"]?[name] { return value }
        return self.item[name]
    }

    func sql(in env: Env) -> String { self.field("sql", in: env)?.stringValue ?? "" }

    func equals(in env: Env) -> JSONValue { self.field("equals", in: env) ?? .array([]) }

    func rows(in env: Env) async throws -> [JSONValue] {
        let params = self.field("params", in: env)?.arrayValue ?? []
        if let hyperdrive = env.hyperdrives[self.binding] {
            let result = try await hyperdrive.query(ContractSQL.numberPlaceholders(self.sql(in: env)), params.map(ContractSQL.postgresValue))
            return result.results.map { .object($0.object) }
        }
        let database = try env.d1(self.binding)
        let rows = try await database.prepare(self.sql(in: env)).bind(javaScript: params.map { $0 }).all()
        return rows.results.map { .object($0.object) }
    }

}

/// Moving fixture SQL between the two dialects: D1's SQLite and PostgreSQL through a Hyperdrive binding.
public enum ContractSQL {
    /// A JSON parameter as a PostgreSQL one: integral numbers as `bigint`, strings as untyped text.
    public static func postgresValue(_ value: JSONValue) -> PostgresValue {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .integer(let number): .integer(number)
        case .number(let number): number == number.rounded() && abs(number) < 9e15 ? .integer(Int64(number)) : .double(number)
        case .string(let text): .text(text.string)
        case .array, .object: .text(value.stringify())
        }
    }

    /// SQLite's `?` and `?NNN` placeholders as PostgreSQL's `$N` (outside quotes).
    public static func numberPlaceholders(_ sql: String) -> String {
        var result = ""
        var next = 1
        var quote: Character?
        var characters = sql.makeIterator()
        var pending: Character? = characters.next()
        while let character = pending {
            pending = characters.next()
            if let open = quote {
                result.append(character)
                if character == open { quote = nil }
                continue
            }
            if character == "'" || character == "\"" {
                quote = character
                result.append(character)
                continue
            }
            guard character == "?" else {
                result.append(character)
                continue
            }
            var digits = ""
            while let digit = pending, digit.isASCII, digit.isNumber {
                digits.append(digit)
                pending = characters.next()
            }
            if let number = Int(digits) {
                result += "$\(number)"
                next = number + 1
            } else {
                result += "$\(next)"
                next += 1
            }
        }
        return result
    }
}

/// Compares JSON values including object key order, with the `{{any}}`, `{{string}}` and `{{iso}}` matchers.
public enum JSONMatcher {
    /// A description of the first difference, or `nil` when `actual` matches `expected`.
    public static func mismatch(expected: JSONValue, actual: JSONValue, path: String) -> String? {
        switch expected {
        case .string("{{any}}"):
            return nil
        case .string("{{string}}"):
            return actual.stringValue == nil ? "\(path): expected a string, got \(actual.stringify())" : nil
        case .string("{{iso}}"):
            guard let text = actual.stringValue, TemplateContext.isISOTimestamp(text) else {
                return "\(path): expected an ISO timestamp, got \(actual.stringify())"
            }
            return nil
        case .object(let object):
            guard case .object(let other) = actual else { return "\(path): expected an object, got \(actual.stringify())" }
            if object.keys != other.keys {
                return "\(path): expected keys \(object.keys) in this order, got \(other.keys)"
            }
            for (key, value) in object.entries {
                if let mismatch = self.mismatch(expected: value, actual: other[key] ?? .null, path: "\(path).\(key)") {
                    return mismatch
                }
            }
            return nil
        case .array(let elements):
            guard case .array(let others) = actual else { return "\(path): expected an array, got \(actual.stringify())" }
            if elements.count != others.count {
                return "\(path): expected \(elements.count) elements, got \(others.count)"
            }
            for (index, (element, other)) in zip(elements, others).enumerated() {
                if let mismatch = self.mismatch(expected: element, actual: other, path: "\(path)[\(index)]") {
                    return mismatch
                }
            }
            return nil
        default:
            if expected.isNumber, let a = expected.doubleValue, let b = actual.doubleValue, a == b { return nil }
            return expected == actual ? nil : "\(path): expected \(expected.stringify()), got \(actual.stringify())"
        }
    }
}

/// Renders `{{…}}` templates (see `fixtures/README.md`).
struct TemplateContext {
    var clock: any WorkerClock
    var runID: String
    var values: [String: JSONValue] = [:]

    func render(_ value: JSONValue) throws -> JSONValue {
        switch value {
        case .string(let text): return text.isWellFormed ? try self.render(text.string) : .string(try self.renderText(text))
        case .array(let elements): return .array(try elements.map { try self.render($0) })
        case .object(let object):
            var rendered = JSONObject()
            for (key, element) in object.entries { rendered[try self.renderText(key)] = try self.render(element) }
            return .object(rendered)
        default: return value
        }
    }

    private func render(_ text: String) throws -> JSONValue {
        // A string that is exactly one `let` placeholder takes that value's type.
        if text.hasPrefix("{{"), text.hasSuffix("}}"), text.dropFirst(2).dropLast(2).firstIndex(of: "}") == nil {
            let name = String(text.dropFirst(2).dropLast(2)).trimmingCharacters(in: .whitespaces)
            if let value = self.values[name] { return value }
        }
        return .string(try self.renderText(text))
    }

    /// Renders templates in a JavaScript string, keeping lone surrogates outside the placeholders.
    func renderText(_ text: JSString) throws -> JSString {
        if text.isWellFormed { return JSString(try self.renderText(text.string)) }
        let units = text.codeUnits
        var output: [UInt16] = []
        var index = 0
        while index < units.count {
            guard index + 1 < units.count, units[index] == 0x7B, units[index + 1] == 0x7B else {
                output.append(units[index])
                index += 1
                continue
            }
            var close = index + 2
            while close + 1 < units.count, !(units[close] == 0x7D && units[close + 1] == 0x7D) { close += 1 }
            guard close + 1 < units.count else { throw ContractError("unterminated template in \(text.debugDescription)") }
            let expression = String(decoding: units[(index + 2)..<close], as: UTF16.self).trimmingCharacters(in: .whitespaces)
            output.append(contentsOf: try self.evaluate(expression, in: text.string).utf16)
            index = close + 2
        }
        return JSString(codeUnits: output)
    }

    func renderText(_ text: String) throws -> String {
        var output = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ContractError("unterminated template in \"\(text)\"")
            }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            output += try self.evaluate(expression, in: text)
            rest = rest[close.upperBound...]
        }
        return output + rest
    }

    private func evaluate(_ expression: String, in text: String) throws -> String {
        switch expression {
        case "any", "string", "iso": return "{{\(expression)}}"
        case "uuid": return UUID().uuidString.lowercased()
        case "hex16": return String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))
        case "run": return self.runID
        default: break
        }
        if let value = self.values[expression] {
            return value.stringValue ?? value.stringify()
        }
        if expression.hasPrefix("now") {
            return try self.time(expression).isoString
        }
        if expression.hasPrefix("date:") {
            return String(try self.time(String(expression.dropFirst(5)).trimmingCharacters(in: .whitespaces)).isoString.prefix(10))
        }
        if expression.hasPrefix("unix:") {
            let date = try self.time(String(expression.dropFirst(5)).trimmingCharacters(in: .whitespaces))
            return String(Int64((date.timeIntervalSince1970).rounded(.down)))
        }
        if expression.hasPrefix("utc:") {
            return Self.utcString(try self.time(String(expression.dropFirst(4)).trimmingCharacters(in: .whitespaces)))
        }
        if expression.hasPrefix("repeat:") {
            // {{repeat: 600 "["}}: the quoted text (no escapes) `count` times.
            let rest = expression.dropFirst(7).trimmingCharacters(in: .whitespaces)
            guard let space = rest.firstIndex(of: " "), let count = Int(rest[..<space]), count >= 0,
                case let quoted = rest[rest.index(after: space)...].trimmingCharacters(in: .whitespaces),
                quoted.count >= 2, quoted.hasPrefix("\""), quoted.hasSuffix("\"")
            else {
                throw ContractError("bad repeat template {{\(expression)}} (expected e.g. {{repeat: 600 \"[\"}})")
            }
            let text = String(quoted.dropFirst().dropLast())
            guard count * text.utf8.count <= 10_000_000 else { throw ContractError("repeat template too large: {{\(expression)}}") }
            return String(repeating: text, count: count)
        }
        if expression.hasPrefix("sqltime:") {
            let iso = try self.time(String(expression.dropFirst(8)).trimmingCharacters(in: .whitespaces)).isoString
            return String(iso.prefix(19)).replacingOccurrences(of: "T", with: " ")
        }
        throw ContractError("unknown template {{\(expression)}} in \"\(text)\"")
    }

    /// `now`, `now - 1 day`, `now + 2 hours`, …
    private func time(_ expression: String) throws -> Date {
        let parts = expression.split(separator: " ")
        let now = self.clock.now()
        if parts == ["now"] { return now }
        guard parts.count == 4, parts[0] == "now", parts[1] == "+" || parts[1] == "-", let amount = Double(parts[2]) else {
            throw ContractError("bad time template \"\(expression)\" (expected e.g. \"now - 1 day\")")
        }
        let unit: Double
        switch parts[3].lowercased() {
        case "second", "seconds": unit = 1
        case "minute", "minutes": unit = 60
        case "hour", "hours": unit = 3600
        case "day", "days": unit = 86400
        default: throw ContractError("bad time unit in \"\(expression)\"")
        }
        return now.addingTimeInterval((parts[1] == "-" ? -1 : 1) * amount * unit)
    }

    /// `Date.prototype.toUTCString()`: `Wed, 02 Dec 2026 16:30:25 GMT`.
    static func utcString(_ date: Date) -> String {
        let iso = Array(date.isoString.utf8)
        let days = Int64((Double(date.epochMilliseconds) / 86_400_000).rounded(.down))
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        func text(_ range: Range<Int>) -> String { String(decoding: iso[range], as: UTF8.self) }
        let month = months[Int(text(5..<7))! - 1]
        return "\(weekday), \(text(8..<10)) \(month) \(text(0..<4)) \(text(11..<19)) GMT"
    }

    static func isISOTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[23] == UInt8(ascii: "Z"), bytes[10] == UInt8(ascii: "T"), bytes[19] == UInt8(ascii: ".") else {
            return false
        }
        let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]
        return digitPositions.allSatisfy { bytes[$0] >= UInt8(ascii: "0") && bytes[$0] <= UInt8(ascii: "9") }
    }
}
