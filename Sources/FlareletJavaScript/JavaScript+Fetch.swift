public import FlareletJSON

extension JavaScript {
    /// `await request.text()` / `TextDecoder`: UTF-8 with invalid sequences replaced by U+FFFD and one leading
    /// byte-order mark removed.
    public static func decodeUTF8(_ bytes: [UInt8]) -> String {
        String(decoding: self.withoutByteOrderMark(bytes), as: UTF8.self)
    }

    /// `await request.json()`: ``decodeUTF8(_:)`` then `JSON.parse` (same result, without the intermediate text).
    /// - Throws: `JSONParseError` with V8's message.
    public static func parseJSON(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try JSONValue.parse(self.withoutByteOrderMark(bytes))
    }

    /// The bytes after one UTF-8 byte-order mark, if there is one.
    public static func withoutByteOrderMark(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
    }

    /// Isomorphic decoding (Fetch): each byte becomes the code point of the same value, as header values reach a
    /// worker (`ü` sent as UTF-8 `C3 BC` reads as `Ã¼`).
    public static func isomorphicDecode(_ bytes: some Sequence<UInt8>) -> String {
        var text = ""
        for byte in bytes { text.unicodeScalars.append(Unicode.Scalar(byte)) }
        return text
    }

    /// Isomorphic encoding: each code point up to U+00FF becomes one byte; `nil` when a code point is larger (the
    /// Fetch API rejects such a header value).
    public static func isomorphicEncode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }
}
