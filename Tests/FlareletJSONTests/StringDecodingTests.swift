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

    /// JavaScript keeps lone surrogates: `JSON.parse` gives the code units and `JSON.stringify` writes them back
    /// as lower-case escapes (outputs as printed by node: `JSON.stringify(JSON.parse(input))`).
    static let surrogates: [(input: String, units: [UInt16], stringified: String)] = [
        (#""\ud83d\ude00""#, [0xD83D, 0xDE00], "\"😀\""),
        (#""\ud800""#, [0xD800], #""\ud800""#),
        (#""\uDC00""#, [0xDC00], #""\udc00""#),
        (#""\ud83d\u0041""#, [0xD83D, 0x41], #""\ud83dA""#),
        (#""\ude00\ud83d""#, [0xDE00, 0xD83D], #""\ude00\ud83d""#),
        (#""\ud83d\ud83d\ude00""#, [0xD83D, 0xD83D, 0xDE00], #""\ud83d😀""#),
        (#""\ud83dx""#, [0xD83D, 0x78], #""\ud83dx""#),
        (#""\ud83d\"""#, [0xD83D, 0x22], #""\ud83d\"""#),
        (#""a\ud83d""#, [0x61, 0xD83D], #""a\ud83d""#),
        (#""é\ud800\n""#, [0xE9, 0xD800, 0x0A], #""é\ud800\n""#),
        (#""\u0000\u00e9\u4e2d\uffff""#, [0, 0xE9, 0x4E2D, 0xFFFF], "\"\\u0000é中\u{FFFF}\""),
    ]

    @Test(arguments: surrogates)
    func unicodeEscapes(input: String, units: [UInt16], stringified: String) throws {
        let value = try JSONValue.parse(input)
        #expect(value.jsStringValue?.codeUnits == units)
        #expect(value.stringify() == stringified)
        #expect(try JSONValue.parse(value.stringify()) == value)
    }

    @Test func loneSurrogatesInKeysAreKept() throws {
        let value = try JSONValue.parse(#"{"\ud800":1,"\udc00":2,"\ud800":3}"#)
        #expect(value.stringify() == #"{"\ud800":3,"\udc00":2}"#)
        #expect(value.objectValue?.keys.map(\.codeUnits) == [[0xD800], [0xDC00]])
        // Swift text sees U+FFFD (what UTF-8 encoding, D1 and KV receive).
        #expect(value.objectValue?.keys.map(\.string) == ["\u{FFFD}", "\u{FFFD}"])
    }

    /// `{"é":1,"é":2}` with U+00E9 and `e` + U+0301 is two keys in JavaScript (Swift's `==` would merge them).
    @Test func canonicallyEquivalentKeysStayApart() throws {
        let value = try JSONValue.parse("{\"\u{E9}\":1,\"e\u{301}\":2,\"\u{E9}\":3}")
        #expect(value.objectValue?.count == 2)
        #expect(value.stringify() == "{\"\u{E9}\":3,\"e\u{301}\":2}")
        #expect(JSONValue.string("\u{E9}") != JSONValue.string("e\u{301}"))
        #expect(Set([JSString("\u{E9}"), JSString("e\u{301}")]).count == 2)
        #expect(JSString("\u{E9}") > JSString("e\u{301}"))
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
