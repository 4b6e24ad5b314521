import FlareletJSON
import Foundation
import Testing

/// `(invalid JSON text, byte offset, JSON.parse error message)`; messages as printed by node 20 (V8).
let invalidInputs: [(input: String, offset: Int, message: String)] = [
    ("", 0, "Unexpected end of JSON input"),
    (" ", 1, "Unexpected end of JSON input"),
    ("not json", 1, "Unexpected token 'o', \"not json\" is not valid JSON"),
    ("[1,]", 3, "Unexpected token ']', \"[1,]\" is not valid JSON"),
    ("{\"a\":1,}", 7, "Expected double-quoted property name in JSON at position 7"),
    ("\"abc", 4, "Unterminated string in JSON at position 4"),
    ("[1] x", 4, "Unexpected non-whitespace character after JSON at position 4"),
    ("\"\u{1}\"", 1, "Bad control character in string literal in JSON at position 1"),
    ("\"\t\"", 1, "Bad control character in string literal in JSON at position 1"),
    ("\"\\x\"", 2, "Bad escaped character in JSON at position 2"),
    ("\"\\u12\"", 5, "Bad Unicode escape in JSON at position 5"),
    ("\"\\u12G4\"", 5, "Bad Unicode escape in JSON at position 5"),
    ("\"\\u", 3, "Bad Unicode escape in JSON at position 3"),
    ("01", 1, "Unexpected number in JSON at position 1"),
    ("-01", 2, "Unexpected number in JSON at position 2"),
    ("00", 1, "Unexpected number in JSON at position 1"),
    ("-", 1, "No number after minus sign in JSON at position 1"),
    ("-a", 1, "No number after minus sign in JSON at position 1"),
    ("1.", 2, "Unterminated fractional number in JSON at position 2"),
    ("1.e3", 2, "Unterminated fractional number in JSON at position 2"),
    (".5", 0, "Unexpected token '.', \".5\" is not valid JSON"),
    ("+1", 0, "Unexpected token '+', \"+1\" is not valid JSON"),
    ("1e", 2, "Exponent part is missing a number in JSON at position 2"),
    ("1e+", 3, "Exponent part is missing a number in JSON at position 3"),
    ("NaN", 0, "\"NaN\" is not valid JSON"),
    ("Infinity", 0, "\"Infinity\" is not valid JSON"),
    ("-Infinity", 1, "No number after minus sign in JSON at position 1"),
    ("undefined", 0, "\"undefined\" is not valid JSON"),
    ("'a'", 0, "Unexpected token ''', \"'a'\" is not valid JSON"),
    ("/*c*/1", 0, "Unexpected token '/', \"/*c*/1\" is not valid JSON"),
    ("// c\n1", 0, "Unexpected token '/', \"// c\n1\" is not valid JSON"),
    ("{", 1, "Expected property name or '}' in JSON at position 1"),
    ("[", 1, "Unexpected end of JSON input"),
    ("{\"a\"", 4, "Expected ':' after property name in JSON at position 4"),
    ("{\"a\":", 5, "Unexpected end of JSON input"),
    ("{\"a\" 1}", 5, "Expected ':' after property name in JSON at position 5"),
    ("{a:1}", 1, "Expected property name or '}' in JSON at position 1"),
    ("[1 2]", 3, "Expected ',' or ']' after array element in JSON at position 3"),
    ("tru", 3, "Unexpected end of JSON input"),
    ("trux", 3, "Unexpected token 'x', \"trux\" is not valid JSON"),
    ("nul", 3, "Unexpected end of JSON input"),
    ("t1", 1, "Unexpected number in JSON at position 1"),
    ("tr\"", 2, "Unexpected string in JSON at position 2"),
    ("\u{feff}1", 0, "Unexpected token '\u{feff}', \"\u{feff}1\" is not valid JSON"),
    ("{\"a\":1}}", 7, "Unexpected non-whitespace character after JSON at position 7"),
    ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, "Unexpected token 'x', \"xxxxxxxxxx\"... is not valid JSON"),
    (
        "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,]", 81,
        "Unexpected token ']', ...\"1,1,1,1,1,]\" is not valid JSON"
    ),
    ("[1,2,3,4,5,6,7,8,9,10,11,12,,13,14,15,16]", 28, "Unexpected token ',', ...\",10,11,12,,13,14,15,\"... is not valid JSON"),
    ("\"é\" x", 5, "Unexpected non-whitespace character after JSON at position 4"),
    ("[-]", 2, "No number after minus sign in JSON at position 2"),
    ("[1,,2]", 3, "Unexpected token ',', \"[1,,2]\" is not valid JSON"),
    ("{\"a\":1 \"b\":2}", 7, "Expected ',' or '}' after property value in JSON at position 7"),
    ("{,}", 1, "Expected property name or '}' in JSON at position 1"),
    ("1.5.3", 3, "Unexpected non-whitespace character after JSON at position 3"),
    ("\u{a0}1", 0, "Unexpected token '\u{a0}', \"\u{a0}1\" is not valid JSON"),
    ("{\"a\":1,\"b\"}", 10, "Unexpected token '}', \"{\"a\":1,\"b\"}\" is not valid JSON"),
    ("{\"a\":1,\"b\" 2}", 11, "Unexpected number in JSON at position 11"),
    ("{\"a\":1,\"b\" \"c\"}", 11, "Unexpected string in JSON at position 11"),
    ("1 2", 2, "Unexpected non-whitespace character after JSON at position 2"),
    ("\"a\\", 3, "Unexpected end of JSON input"),
    ("\"\\", 2, "Unexpected end of JSON input"),
    ("{\"a\":1", 6, "Expected ',' or '}' after property value in JSON at position 6"),
    ("[1", 2, "Expected ',' or ']' after array element in JSON at position 2"),
    ("[1,", 3, "Unexpected end of JSON input"),
    ("falsey", 5, "Unexpected non-whitespace character after JSON at position 5"),
    ("[\n\n}", 3, "Unexpected token '}', \"[\n\n}\" is not valid JSON"),
    ("\"\\ud800\\u12\"", 11, "Bad Unicode escape in JSON at position 11"),
    ("True", 0, "Unexpected token 'T', \"True\" is not valid JSON"),
    ("[1]]", 3, "Unexpected non-whitespace character after JSON at position 3"),
    ("{\"a\":1}{", 7, "Unexpected non-whitespace character after JSON at position 7"),
    ("0x10", 1, "Unexpected non-whitespace character after JSON at position 1"),
    ("1e5.5", 3, "Unexpected non-whitespace character after JSON at position 3"),
    ("--1", 1, "No number after minus sign in JSON at position 1"),
    ("[01]", 2, "Unexpected number in JSON at position 2"),
    ("Nan", 0, "Unexpected token 'N', \"Nan\" is not valid JSON"),
    ("é", 0, "Unexpected token 'é', \"é\" is not valid JSON"),
    ("\"ab\u{0}\"", 3, "Bad control character in string literal in JSON at position 3"),
]

struct ParseErrorTests {
    @Test(arguments: invalidInputs)
    func rejectsLikeJSONParse(input: String, offset: Int, message: String) {
        #expect(throws: JSONParseError(message: message, offset: offset)) {
            try JSONValue.parse(input)
        }
    }

    @Test func tableIsLargeEnough() {
        #expect(invalidInputs.count >= 20)
    }

    @Test func nestingBeyondTheLimitThrowsInsteadOfCrashing() {
        let open = String(repeating: "[", count: 100_001)
        #expect(throws: JSONParseError(message: "Nesting deeper than 100000 levels in JSON at position 100000", offset: 100_000)) {
            try JSONValue.parse(open)
        }
        #expect(throws: JSONParseError.self) {
            try JSONValue.parse(open + String(repeating: "]", count: 100_001))
        }
        let objects = String(repeating: #"{"a":"#, count: 100_001) + "1" + String(repeating: "}", count: 100_001)
        #expect(throws: JSONParseError(message: "Nesting deeper than 100000 levels in JSON at position 500000", offset: 500_000)) {
            try JSONValue.parse(objects)
        }
    }

    /// JavaScript parses any depth; 100,000 levels (upstream answers such a VoiceMode body with its validation's
    /// 400) parse here, and every operation on the value (stringify, equality, hashing, release) is iterative.
    @Test func hundredThousandLevelsParseAndAreSafeToUse() throws {
        let arrays = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let parsed = try JSONValue.parse(arrays)
        #expect(parsed.stringify() == arrays)
        #expect(parsed == (try JSONValue.parse(arrays)))
        #expect(parsed.hashValue == (try JSONValue.parse(arrays)).hashValue)
        #expect(parsed != (try JSONValue.parse("[" + String(arrays.dropFirst(2).dropLast(2)) + "]")))
        let objects = String(repeating: #"{"a":"#, count: 99_999) + "{}" + String(repeating: "}", count: 99_999)
        let object = try JSONValue.parse(objects)
        #expect(object.stringify() == objects)
        var indented = JSONValue.array([])
        for _ in 0..<1000 { indented = .array([indented]) }
        // Each of the 1,000 wrappers at depth k adds "[", "\n", k + 1 spaces, "\n", k spaces and "]".
        #expect(indented.stringify(indent: 1).count == 2 + (0..<1000).reduce(0) { $0 + 4 + 2 * $1 + 1 })
    }

    /// Releasing a deep value on a small stack (a detached thread with 256 KiB) does not recurse.
    @Test func releasingDeepValuesUsesConstantStack() async throws {
        let text = String(repeating: #"[{"a":"#, count: 50_000) + "1" + String(repeating: "}]", count: 50_000)
        let done = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let thread = Thread {
                var value: JSONValue? = try? JSONValue.parse(text)
                let parsed = value != nil
                value = nil
                continuation.resume(returning: parsed && value == nil)
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        #expect(done)
    }

    @Test func messageIsTheDescription() {
        do {
            _ = try JSONValue.parse("not json")
            Issue.record("parsed")
        } catch {
            #expect(error.description == #"Unexpected token 'o', "not json" is not valid JSON"#)
            #expect(error.offset == 1)
        }
    }
}
