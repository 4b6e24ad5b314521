public import FlareletJSON

/// A stored KV entry as read back.
public struct KVEntry: Sendable, Hashable {
    public var value: [UInt8]
    /// The metadata given to `put`, or `nil`.
    public var metadata: JSONValue?
    /// Absolute expiration in seconds since the epoch, or `nil`.
    public var expiration: Int64?

    public init(value: [UInt8], metadata: JSONValue? = nil, expiration: Int64? = nil) {
        self.value = value
        self.metadata = metadata
        self.expiration = expiration
    }

    /// The value decoded as UTF-8 text.
    public var text: String { String(decoding: self.value, as: UTF8.self) }
}

/// Options of `put`.
public struct KVPutOptions: Sendable, Hashable {
    /// Absolute expiration, seconds since the epoch.
    public var expiration: Int64?
    /// Seconds from now; wins over `expiration` when both are given. Must be at least 60.
    public var expirationTtl: Int64?
    public var metadata: JSONValue?

    public init(expiration: Int64? = nil, expirationTtl: Int64? = nil, metadata: JSONValue? = nil) {
        self.expiration = expiration
        self.expirationTtl = expirationTtl
        self.metadata = metadata
    }
}

/// Options of `list`.
public struct KVListOptions: Sendable, Hashable {
    public var prefix: String?
    /// Defaults to (and is capped at) 1000; 0 or less means "not given".
    public var limit: Int?
    public var cursor: String?

    public init(prefix: String? = nil, limit: Int? = nil, cursor: String? = nil) {
        self.prefix = prefix
        self.limit = limit
        self.cursor = cursor
    }
}

/// One key of a `list` result.
public struct KVKey: Sendable, Hashable {
    public var name: String
    public var expiration: Int64?
    public var metadata: JSONValue?

    public init(name: String, expiration: Int64? = nil, metadata: JSONValue? = nil) {
        self.name = name
        self.expiration = expiration
        self.metadata = metadata
    }

    /// `{name, expiration?, metadata?}`; absent fields are omitted.
    public var json: JSONValue {
        var object: JSONObject = ["name": .string(self.name)]
        if let expiration = self.expiration { object["expiration"] = .integer(expiration) }
        if let metadata = self.metadata { object["metadata"] = metadata }
        return .object(object)
    }
}

/// `list` result: `{keys, list_complete, cursor?, cacheStatus}`.
public struct KVListResult: Sendable, Hashable {
    public var keys: [KVKey]
    public var listComplete: Bool
    /// Present only when `listComplete` is false.
    public var cursor: String?

    public init(keys: [KVKey], listComplete: Bool, cursor: String? = nil) {
        self.keys = keys
        self.listComplete = listComplete
        self.cursor = cursor
    }

    public var json: JSONValue {
        var object: JSONObject = [
            "keys": .array(self.keys.map(\.json)),
            "list_complete": .bool(self.listComplete),
        ]
        if let cursor = self.cursor { object["cursor"] = .string(cursor) }
        object["cacheStatus"] = .null
        return .object(object)
    }
}

/// A KV error; ``description`` is the exact message a worker sees, e.g.
/// `KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60.`
public struct KVError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `TypeError` for checks the binding makes, `backend` for `KV <METHOD> failed: …` errors.
    public enum Kind: Sendable, Hashable {
        case typeError
        case backend(method: String, status: Int)
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String {
        switch self.kind {
        case .typeError: self.message
        case .backend(let method, let status): "KV \(method) failed: \(status) \(self.message)"
        }
    }
}

/// A KV namespace binding (`env.KV`).
///
/// Implementations provide four primitives and must call ``KVValidation`` so every backend reports the same
/// errors; the JavaScript-named conveniences (`get` as text/JSON/bytes, `put` of a string) are extensions.
public protocol KVNamespace: Sendable {
    /// `getWithMetadata(key)`: the live entry, or `nil` when missing or expired.
    func getWithMetadata(_ key: String, cacheTtl: Int?) async throws(KVError) -> KVEntry?
    /// `put(key, value, options)`.
    func put(_ key: String, bytes value: [UInt8], options: KVPutOptions) async throws(KVError)
    /// `delete(key)`: deleting a missing key is not an error.
    func delete(_ key: String) async throws(KVError)
    /// `list(options)`: live keys in UTF-8 byte order.
    func list(_ options: KVListOptions) async throws(KVError) -> KVListResult
}

extension KVNamespace {
    /// `get(key)`: the value as text, or `nil`.
    public func get(_ key: String) async throws(KVError) -> String? {
        try await self.getWithMetadata(key, cacheTtl: nil)?.text
    }

    /// `get(key, "json")`: the value parsed as JSON, or `nil`. Invalid JSON throws a `SyntaxError`-like error.
    public func getJSON(_ key: String) async throws -> JSONValue? {
        guard let entry = try await self.getWithMetadata(key, cacheTtl: nil) else { return nil }
        return try JSONValue.parse(entry.value)
    }

    /// `get(key, "arrayBuffer")`: the raw bytes, or `nil`.
    public func getBytes(_ key: String) async throws(KVError) -> [UInt8]? {
        try await self.getWithMetadata(key, cacheTtl: nil)?.value
    }

    /// `getWithMetadata(key)` without a cache TTL.
    public func getWithMetadata(_ key: String) async throws(KVError) -> KVEntry? {
        try await self.getWithMetadata(key, cacheTtl: nil)
    }

    /// `put(key, "text", options)`.
    public func put(_ key: String, _ value: String, options: KVPutOptions = KVPutOptions()) async throws(KVError) {
        try await self.put(key, bytes: Array(value.utf8), options: options)
    }

    /// `list()` with default options.
    public func list() async throws(KVError) -> KVListResult {
        try await self.list(KVListOptions())
    }
}

/// The checks of platform.md 3.2, shared by every KV backend so their errors are identical (host-only).
package enum KVValidation {
    package static let maxKeyBytes = 512
    package static let maxMetadataBytes = 1024
    package static let maxValueBytes = 26_214_400
    package static let maxListLimit = 1000

    /// Key checks made by the binding before storage access.
    package static func checkKey(_ key: String, method: String) throws(KVError) {
        if key.isEmpty { throw KVError(.typeError, "Key name cannot be empty.") }
        if key == "." || key == ".." { throw KVError(.typeError, "\"\(key)\" is not allowed as a key name.") }
        let length = key.utf8.count
        if length > self.maxKeyBytes {
            throw KVError(
                .backend(method: method, status: 414),
                "UTF-8 encoded length of \(length) exceeds key length limit of \(self.maxKeyBytes)."
            )
        }
    }

    /// `cacheTtl` must be at least 30.
    package static func checkCacheTtl(_ cacheTtl: Int?) throws(KVError) {
        if let cacheTtl, cacheTtl < 30 {
            throw KVError(.backend(method: "GET", status: 400), "Invalid cache_ttl of \(cacheTtl). Cache TTL must be at least 30.")
        }
    }

    /// Validates a put and returns the absolute expiration (seconds) to store, or `nil`.
    /// - Parameters:
    ///   - now: the current time in seconds since the epoch (from the namespace's clock).
    ///   - metadataText: the metadata's `JSON.stringify` text, if any.
    package static func checkPut(
        key: String,
        valueLength: Int,
        options: KVPutOptions,
        metadataText: String?,
        now: Int64
    ) throws(KVError) -> Int64? {
        try self.checkKey(key, method: "PUT")
        let put = KVError.Kind.backend(method: "PUT", status: 400)
        var expiration: Int64?
        if let ttl = options.expirationTtl {
            if ttl <= 0 { throw KVError(put, "Invalid expiration_ttl of \(ttl). Please specify integer greater than 0.") }
            if ttl < 60 { throw KVError(put, "Invalid expiration_ttl of \(ttl). Expiration TTL must be at least 60.") }
            expiration = now + ttl
        } else if let absolute = options.expiration {
            if absolute <= now {
                throw KVError(
                    put,
                    "Invalid expiration of \(absolute). Please specify integer greater than the current number of seconds since the UNIX epoch."
                )
            }
            if absolute < now + 60 {
                throw KVError(put, "Invalid expiration of \(absolute). Expiration times must be at least 60 seconds in the future.")
            }
            expiration = absolute
        }
        if let metadataText, metadataText.utf8.count > self.maxMetadataBytes {
            throw KVError(
                .backend(method: "PUT", status: 413),
                "Metadata length of \(metadataText.utf8.count) exceeds limit of \(self.maxMetadataBytes)."
            )
        }
        if valueLength > self.maxValueBytes {
            throw KVError(.backend(method: "PUT", status: 413), "Value length of \(valueLength) exceeds limit of \(self.maxValueBytes).")
        }
        return expiration
    }

    /// Validates list options and returns the effective limit.
    package static func checkList(_ options: KVListOptions) throws(KVError) -> Int {
        if let prefix = options.prefix, prefix.utf8.count > self.maxKeyBytes {
            throw KVError(
                .backend(method: "GET", status: 414),
                "UTF-8 encoded length of \(prefix.utf8.count) exceeds key length limit of \(self.maxKeyBytes)."
            )
        }
        guard let limit = options.limit, limit > 0 else { return self.maxListLimit }
        if limit > self.maxListLimit {
            throw KVError(
                .backend(method: "GET", status: 400),
                "Invalid key_count_limit of \(limit). Please specify an integer less than 1000."
            )
        }
        return limit
    }

    /// Local cursor encoding: base64 of the last returned key.
    package static func encodeCursor(_ key: String) -> String {
        Base64.encode(Array(key.utf8))
    }

    /// Decodes a cursor made by ``encodeCursor(_:)``; `nil` for anything else.
    package static func decodeCursor(_ cursor: String) -> [UInt8]? {
        Base64.decode(cursor)
    }
}

/// Standard base64 (RFC 4648, with padding).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            guard let index = alphabet.firstIndex(of: byte) else { return nil }
            values.append(UInt8(index))
        }
        var out: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            guard chunk.count >= 2 else { return nil }
            var n: UInt32 = 0
            for (offset, v) in chunk.enumerated() { n |= UInt32(v) << (18 - 6 * offset) }
            out.append(UInt8(n >> 16 & 0xff))
            if chunk.count > 2 { out.append(UInt8(n >> 8 & 0xff)) }
            if chunk.count > 3 { out.append(UInt8(n & 0xff)) }
            index += 4
        }
        return out
    }
}
