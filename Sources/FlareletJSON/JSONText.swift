/// A JSON text could not be parsed.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A human-readable message, e.g. `Unexpected end of JSON input` or `Unexpected token 'o', "not json" is not valid
    /// JSON`: V8's wording, whose positions count UTF-16 code units.
    public var message: String
    /// Byte offset in the input where the problem was found.
    public var offset: Int
    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
    public var description: String { self.message }
}

extension JSONValue {
    /// Parses any JSON text (RFC 8259; top-level scalars allowed; surrounding JSON whitespace allowed) the way
    /// `JSON.parse` does: numbers become doubles, objects are built by assignment (``JSONObject``).
    ///
    /// Invalid UTF-8 is decoded with U+FFFD replacement (as `TextDecoder` does before `JSON.parse`); a `\u` escape
    /// of a lone surrogate is kept (see ``JSString``). A byte-order mark is not skipped (`JSON.parse` rejects it
    /// too; `request.json()` strips one first). V8 has no nesting limit; nesting deeper than 100,000
    /// arrays/objects is rejected here.
    /// - Parameter bytes: the UTF-8 encoded JSON text.
    /// - Throws: ``JSONParseError`` with V8's message and the byte offset of the problem.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in
                var parser = JSONParser(bytes: buffer)
                return try parser.parseDocument()
            }
        }
        if let contiguous { return try contiguous.get() }
        return try self.parse(Array(bytes))
    }

    /// Parses a JSON string.
    /// - Parameter text: the JSON text.
    /// - Throws: ``JSONParseError``.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try self.parse(text.utf8)
    }

    /// `JSON.stringify(value)`: compact text, byte for byte what JavaScript prints (lone surrogates as `\udXXX`,
    /// any nesting depth).
    public func stringify() -> String {
        String(decoding: self.stringifiedBytes(), as: UTF8.self)
    }

    /// `JSON.stringify(value, null, indent)`: one line per element or member, `indent` spaces per level (clamped to
    /// 10; 0 or less gives compact output), `": "` after keys, `[]` and `{}` for empty containers.
    /// - Parameter indent: spaces per nesting level.
    public func stringify(indent: Int) -> String {
        var writer = JSONWriter(indent: indent)
        writer.write(self)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The UTF-8 bytes of `JSON.stringify(value)` (what gets signed, hashed or stored).
    public func stringifiedBytes() -> [UInt8] {
        var writer = JSONWriter()
        writer.write(self)
        return writer.bytes
    }
}
