// Placeholder API; the implementation is being written (parser + JSON.stringify-exact serializer).

/// A JSON text could not be parsed.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A human-readable message, e.g. `Unexpected end of JSON input` or `Unexpected token 'o' at position 1`.
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
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        fatalError("not implemented yet")
    }

    /// Parses a JSON string.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try self.parse(Array(text.utf8))
    }

    /// `JSON.stringify(value)`: compact text, byte for byte what JavaScript prints.
    public func stringify() -> String {
        fatalError("not implemented yet")
    }

    /// `JSON.stringify(value, null, indent)`.
    public func stringify(indent: Int) -> String {
        fatalError("not implemented yet")
    }
}
