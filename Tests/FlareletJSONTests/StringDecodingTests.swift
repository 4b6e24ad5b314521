import FlareletJSON
import Testing

struct StringDecodingTests {
    /// Invalid UTF-8 decodes like `TextDecoder` before `JSON.parse`: outputs as printed by node.
    static let invalidUTF8: [(bytes: [UInt8], expected: String)] = [
        ([0x22, 0xFF, 0x22], "\"\u{FFFD}\""),
        ([0x22, 0xE2, 0x82, 0x22], "\"\u{FFFD}\""),
        ([0x22, 0x61, 0xC3, 0x22], "\"a\u{FFFD}\""),
        ([0x22, 0xF0, 0x9F, 0x98, 0x41, 0x22], "\"\u{FFFD}A\""),
        ([0x22, 0xED, 0xA0, 0x80, 0x22], "\"\u{FFFD}\u{FFFD}\u{FFFD}\""),
        ([0x22, 0xC0, 0xAF, 0x5C, 0x6E, 0x22], "\"\u{FFFD}\u{FFFD}\\n\""),
        ([0x5B, 0x22, 0xE2, 0x82, 0x5C, 0x75, 0x30, 0x30, 0x65, 0x39, 0x22, 0x5D], "[\"\u{FFFD}é\"]"),
        ([0x7B, 0x22, 0x80, 0x22, 0x3A, 0x31, 0x7D], "{\"\u{FFFD}\":1}"),
    ]

    @Test(arguments: invalidUTF8)
    func invalidUTF8IsReplaced(bytes: [UInt8], expected: String) throws {
        #expect(try JSONValue.parse(bytes).stringify() == expected)
    }

    @Test func invalidUTF8OutsideStringsIsAnError() {
        #expect(throws: JSONParseError(message: "Unexpected token '\u{FFFD}', \"[\u{FFFD}]\" is not valid JSON", offset: 1)) {
            try JSONValue.parse([0x5B, 0xFF, 0x5D])
        }
    }

    /// JavaScript keeps lone surrogates (`"\ud800"`); a Swift string cannot, so they become U+FFFD.
    static let surrogates: [(input: String, expected: String)] = [
        (#""\ud83d\ude00""#, "😀"),
        (#""\ud800""#, "\u{FFFD}"),
        (#""\udc00""#, "\u{FFFD}"),
        (#""\ud83d\u0041""#, "\u{FFFD}A"),
        (#""\ude00\ud83d""#, "\u{FFFD}\u{FFFD}"),
        (#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"),
        (#""\ud83dx""#, "\u{FFFD}x"),
        (#""\ud83d\"""#, "\u{FFFD}\""),
        (#""a\ud83d""#, "a\u{FFFD}"),
        (#""\u0000\u00e9\u4e2d\uffff""#, "\u{0}é中\u{FFFF}"),
    ]

    @Test(arguments: surrogates)
    func unicodeEscapes(input: String, expected: String) throws {
        #expect(try JSONValue.parse(input) == .string(expected))
    }

    @Test func everyShortEscape() throws {
        #expect(try JSONValue.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
    }

    @Test func everyControlCharacterIsEscapedInLowerCaseHex() throws {
        let shortForms: [UInt8: String] = [0x08: #"\b"#, 0x09: #"\t"#, 0x0A: #"\n"#, 0x0C: #"\f"#, 0x0D: #"\r"#]
        let hex = Array("0123456789abcdef")
        for byte in UInt8(0)..<0x20 {
            let expected = shortForms[byte] ?? "\\u00\(hex[Int(byte >> 4)])\(hex[Int(byte & 0xF)])"
            let value = JSONValue.string(String(UnicodeScalar(byte)))
            #expect(value.stringify() == "\"\(expected)\"")
            #expect(try JSONValue.parse(value.stringify()) == value)
        }
    }

    @Test func rawControlCharactersAreRejectedInStrings() {
        for byte in UInt8(0)..<0x20 {
            #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, byte, 0x22]) }
        }
    }

    @Test func parsesFromNonContiguousCollections() throws {
        let bytes = Array(#"{"a":[1,"x"]}"#.utf8)
        #expect(try JSONValue.parse(bytes.lazy.map { $0 }).stringify() == #"{"a":[1,"x"]}"#)
        #expect(try JSONValue.parse(bytes[5...11]).stringify() == #"[1,"x"]"#)
    }
}
