public import FlareletJSON
import FlareletJavaScript

// MARK: Bulk reads

extension KVValidation {
    /// The most keys one bulk read may ask for.
    public static let maxBulkKeys = 100
    /// The largest total of a bulk read (Miniflare counts the UTF-16 length of every value read as text).
    public static let maxBulkSize = 26_214_400

    /// A `KV GET_BULK failed: <status> <message>` error.
    static func bulkError(_ status: Int, _ message: String) -> KVError {
        KVError(.backend(method: "GET_BULK", status: status), message)
    }
}

extension KVNamespace {
    /// `get([keys], type)`: several values in one call, as a JavaScript `Map` keyed by the requested keys.
    ///
    /// Missing keys map to `null`. `type` is `"text"` (the default; also `""`) or `"json"`. The result lists the
    /// entries in the order workerd builds the `Map` from Miniflare's JSON object: requested order, a repeated key
    /// once (at its first position), integer-like keys first, and never `__proto__`.
    /// - Parameters:
    ///   - keys: 1 to 100 keys.
    ///   - type: `"text"` or `"json"`.
    ///   - cacheTtl: validated (at least 30) and otherwise ignored.
    /// - Throws: Miniflare's errors, `KV GET_BULK failed: 400 "stream" is not a valid type. Use "json" or "text"`,
    ///   `… 400 You can request a maximum of 100 keys`, `… 400 You must request a minimum of 1 key`, the key and
    ///   `cache_ttl` checks, `… 400 At least one of the requested keys corresponds to a non-json value`, and
    ///   `… 413 Total size of request exceeds the limit of 25MB`.
    public func get(_ keys: [String], type: String = "text", cacheTtl: Int? = nil) async throws(KVError) -> JSONObject {
        try await self.bulkGet(keys, type: type, cacheTtl: cacheTtl, withMetadata: false)
    }

    /// `getWithMetadata([keys], type)`: like ``get(_:type:cacheTtl:)`` with each present value as
    /// `{value, metadata}` (`metadata` `null` when none). As in Miniflare, a falsy value (`""`, or JSON `0`, `false`,
    /// `null`) is returned bare, without the wrapper.
    public func getWithMetadata(_ keys: [String], type: String = "text", cacheTtl: Int? = nil) async throws(KVError) -> JSONObject {
        try await self.bulkGet(keys, type: type, cacheTtl: cacheTtl, withMetadata: true)
    }

    private func bulkGet(_ keys: [String], type: String, cacheTtl: Int?, withMetadata: Bool) async throws(KVError) -> JSONObject {
        if !type.isEmpty && type != "text" && type != "json" {
            throw KVValidation.bulkError(400, "\"\(type)\" is not a valid type. Use \"json\" or \"text\"")
        }
        if keys.count > KVValidation.maxBulkKeys {
            throw KVValidation.bulkError(400, "You can request a maximum of \(KVValidation.maxBulkKeys) keys")
        }
        if keys.isEmpty { throw KVValidation.bulkError(400, "You must request a minimum of 1 key") }
        var result = JSONObject()
        var size = 0
        for key in keys {
            try Self.checkBulkKey(key, cacheTtl: cacheTtl)
            let entry = try await self.getWithMetadata(key, cacheTtl: nil)
            var value: JSONValue = .null
            if let entry {
                let text = String(decoding: entry.value, as: UTF8.self)
                size += text.utf16.count
                if type == "json" {
                    do {
                        value = try JSONValue.parse(text)
                    } catch {
                        throw KVValidation.bulkError(400, "At least one of the requested keys corresponds to a non-json value")
                    }
                } else {
                    value = .string(text)
                }
                if withMetadata && value.isTruthy {
                    value = ["value": value, "metadata": entry.metadata ?? .null]
                }
            }
            JavaScript.assign(value, to: JSString(key), in: &result)
        }
        if size > KVValidation.maxBulkSize {
            throw KVValidation.bulkError(413, "Total size of request exceeds the limit of 25MB")
        }
        return result
    }

    /// Miniflare's per-key checks of a bulk read (its backend messages, not the binding's TypeErrors).
    private static func checkBulkKey(_ key: String, cacheTtl: Int?) throws(KVError) {
        if key.isEmpty { throw KVValidation.bulkError(400, "Key names must not be empty") }
        if key == "." || key == ".." { throw KVValidation.bulkError(400, "Illegal key name \"\(key)\". Please use a different name.") }
        let length = key.utf8.count
        if length > KVValidation.maxKeyBytes {
            throw KVValidation.bulkError(414, "UTF-8 encoded length of \(length) exceeds key length limit of \(KVValidation.maxKeyBytes).")
        }
        if let cacheTtl, cacheTtl < 30 {
            throw KVValidation.bulkError(400, "Invalid cache_ttl of \(cacheTtl). Cache TTL must be at least 30.")
        }
    }
}

// MARK: Streams

/// A KV value as a stream of byte chunks (`get(key, "stream")`, a `ReadableStream` in JavaScript).
public struct KVByteStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    /// Chunks of at most this many bytes.
    public static let chunkSize = 65_536

    private let bytes: [UInt8]

    /// A stream over `bytes`, in chunks of ``chunkSize``.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        var offset = 0

        public mutating func next() async -> [UInt8]? {
            guard self.offset < self.bytes.count else { return nil }
            let end = Swift.min(self.offset + KVByteStream.chunkSize, self.bytes.count)
            defer { self.offset = end }
            return Array(self.bytes[self.offset..<end])
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(bytes: self.bytes)
    }

    /// Every chunk, concatenated (`new Response(stream).arrayBuffer()`).
    public func collect() async -> [UInt8] {
        var result: [UInt8] = []
        for await chunk in self { result.append(contentsOf: chunk) }
        return result
    }
}

extension KVNamespace {
    /// `get(key, "stream")`: the value as a byte stream, or `nil` when missing or expired.
    public func getStream(_ key: String, cacheTtl: Int? = nil) async throws(KVError) -> KVByteStream? {
        try await self.getWithMetadata(key, cacheTtl: cacheTtl).map { KVByteStream($0.value) }
    }

    /// `put(key, stream, options)`: stores everything `stream` yields.
    ///
    /// The key is checked before the stream is read. Like Miniflare, a stream longer than 25 MiB is read to its end
    /// so that the error names its full length: `KV PUT failed: 413 Value length of <n> exceeds limit of 26214400.`
    /// (only the first 25 MiB are kept in memory).
    /// - Throws: ``KVError`` as ``put(_:bytes:options:)`` does, or what the stream throws.
    public func put<Stream: AsyncSequence>(_ key: String, stream: Stream, options: KVPutOptions = KVPutOptions()) async throws
    where Stream.Element == [UInt8] {
        try KVValidation.checkKey(key, method: "PUT")
        var bytes: [UInt8] = []
        var length = 0
        for try await chunk in stream {
            length += chunk.count
            if length <= KVValidation.maxValueBytes { bytes.append(contentsOf: chunk) }
        }
        guard length <= KVValidation.maxValueBytes else {
            throw KVError(
                .backend(method: "PUT", status: 413),
                "Value length of \(length) exceeds limit of \(KVValidation.maxValueBytes)."
            )
        }
        try await self.put(key, bytes: bytes, options: options)
    }
}
