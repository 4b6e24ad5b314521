import FlareletJSON
import Foundation
import Testing

/// `(JSON text, JSON.stringify(JSON.parse(text)))`, every expected output as printed by node.
let stringifyVectors: [(input: String, expected: String)] = [
    ("0", "0"),
    ("-0", "0"),
    ("1.0", "1"),
    ("1E2", "100"),
    ("1e2", "100"),
    ("0.1", "0.1"),
    ("0.3333333333333333", "0.3333333333333333"),
    ("123e-20", "1.23e-18"),
    ("9007199254740992", "9007199254740992"),
    ("9007199254740993", "9007199254740992"),
    ("1e21", "1e+21"),
    ("999999999999999999999", "1e+21"),
    ("1e20", "100000000000000000000"),
    ("1.2345678901234568e20", "123456789012345680000"),
    ("123456789012345678901", "123456789012345680000"),
    ("0.000001", "0.000001"),
    ("0.0000001", "1e-7"),
    ("1e-6", "0.000001"),
    ("1e-7", "1e-7"),
    ("1.5e-7", "1.5e-7"),
    ("1.5e300", "1.5e+300"),
    ("-1.7976931348623157e308", "-1.7976931348623157e+308"),
    ("1.7976931348623157e308", "1.7976931348623157e+308"),
    ("5e-324", "5e-324"),
    ("4.9e-324", "5e-324"),
    ("1e400", "null"),
    ("-1e400", "null"),
    ("1e-400", "0"),
    ("-1e-400", "0"),
    ("1e16", "10000000000000000"),
    ("100", "100"),
    ("-100", "-100"),
    ("1.0000000000000002", "1.0000000000000002"),
    ("0.00001", "0.00001"),
    ("2.5e-5", "0.000025"),
    ("1152921504606846976", "1152921504606847000"),
    ("1e15", "1000000000000000"),
    ("123.456", "123.456"),
    ("-123.456e-10", "-1.23456e-8"),
    ("0.1e1", "1"),
    ("100e-2", "1"),
    ("2.2250738585072014e-308", "2.2250738585072014e-308"),
    ("18446744073709551615", "18446744073709552000"),
    ("1e100", "1e+100"),
    ("12345678901234567890123", "1.2345678901234568e+22"),
    ("1.23456789e-7", "1.23456789e-7"),
    ("0.000123", "0.000123"),
    ("-5e-7", "-5e-7"),
    ("3.141592653589793238462643383279", "3.141592653589793"),
    ("0.30000000000000004", "0.30000000000000004"),
    ("1000000000000000000000000000000000000e-36", "1"),
    ("1E+2", "100"),
    ("1e-0", "1"),
    ("-0.0", "0"),
    ("0e10", "0"),
    ("4294967296", "4294967296"),
    ("0.5", "0.5"),
    ("-2.5e-6", "-0.0000025"),
    ("1.5e21", "1.5e+21"),
    ("12.5e20", "1.25e+21"),
    ("1e-5", "0.00001"),
    ("{\"b\":1,\"10\":2,\"2\":3}", "{\"2\":3,\"10\":2,\"b\":1}"),
    ("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}"),
    ("{\"01\":1,\"-1\":2,\"4294967295\":3,\"4294967294\":4,\"1\":5}", "{\"1\":5,\"4294967294\":4,\"01\":1,\"-1\":2,\"4294967295\":3}"),
    ("{\"2\":1,\"1\":2,\"0\":3}", "{\"0\":3,\"1\":2,\"2\":1}"),
    ("{\"1\":1,\"1\":2}", "{\"1\":2}"),
    ("{\"\":1,\"0\":2}", "{\"0\":2,\"\":1}"),
    ("{\"1.5\":1,\"1\":2}", "{\"1\":2,\"1.5\":1}"),
    ("{\"a\":1,\"a\":2,\"b\":3,\"a\":4}", "{\"a\":4,\"b\":3}"),
    ("{\"z\":1,\"y\":{\"3\":0,\"x\":0,\"0\":0}}", "{\"z\":1,\"y\":{\"0\":0,\"3\":0,\"x\":0}}"),
    (" { \"k\" : \"v\" , \"n\" : null } ", "{\"k\":\"v\",\"n\":null}"),
    ("{\"10\":1,\"9\":2,\"100\":3,\"a\":4,\"1e1\":5}", "{\"9\":2,\"10\":1,\"100\":3,\"a\":4,\"1e1\":5}"),
    ("\"\\/\"", "\"/\""),
    ("\"\\u00e9\"", "\"é\""),
    ("\"\\u001f\"", "\"\\u001f\""),
    ("\"\\u001F\"", "\"\\u001f\""),
    ("\"\\u007f\"", "\"\u{7f}\""),
    ("\"\\t\"", "\"\\t\""),
    ("\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\""),
    ("\"\\u0000\"", "\"\\u0000\""),
    ("\"\\u2028\\u2029\"", "\"\u{2028}\u{2029}\""),
    ("\"\\ud83d\\ude00\"", "\"😀\""),
    ("\"\\uD83D\\uDE00\"", "\"😀\""),
    ("\"\\\"\\\\\"", "\"\\\"\\\\\""),
    ("\"é\"", "\"é\""),
    ("\"\\u0041\"", "\"A\""),
    ("\"😀\"", "\"😀\""),
    ("\"\"", "\"\""),
    ("\"a/b\"", "\"a/b\""),
    ("\"\\u000b\\u0001\"", "\"\\u000b\\u0001\""),
    ("\"tab\\tnew\\nline\"", "\"tab\\tnew\\nline\""),
    ("\"\u{7f}\"", "\"\u{7f}\""),
    ("\"中文\"", "\"中文\""),
    ("[[],{},[{}],{\"a\":[]}]", "[[],{},[{}],{\"a\":[]}]"),
    (" [ 1 , [ 2 , [ 3 ] ] ] ", "[1,[2,[3]]]"),
    ("[[[[[\"deep\"]]]]]", "[[[[[\"deep\"]]]]]"),
    ("{\"a\":{\"b\":{\"c\":{\"d\":[true,false,null]}}}}", "{\"a\":{\"b\":{\"c\":{\"d\":[true,false,null]}}}}"),
    ("[{\"x\":[1,{\"y\":[]}]},\"s\",0]", "[{\"x\":[1,{\"y\":[]}]},\"s\",0]"),
    ("[]", "[]"),
    ("{}", "{}"),
    ("[ ]", "[]"),
    ("{ }", "{}"),
    ("true", "true"),
    ("false", "false"),
    ("null", "null"),
    ("\"x\"", "\"x\""),
    (" 42 ", "42"),
    ("\t\n\r 1\r\n", "1"),
]

/// `(JSON text, indent, JSON.stringify(JSON.parse(text), null, indent))` as printed by node.
let indentedVectors: [(input: String, indent: Int, expected: String)] = [
    ("[1,[2,3],{}]", 2, "[\n  1,\n  [\n    2,\n    3\n  ],\n  {}\n]"),
    (
        "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}", 2,
        "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null\n  ],\n  \"c\": {\n    \"d\": \"e\"\n  }\n}"
    ),
    ("{\"a\":[],\"b\":{}}", 4, "{\n    \"a\": [],\n    \"b\": {}\n}"),
    ("[{\"x\":1}]", 1, "[\n {\n  \"x\": 1\n }\n]"),
    ("[1,2]", 0, "[1,2]"),
    ("[1,2]", -3, "[1,2]"),
    ("{\"a\":[1]}", 11, "{\n          \"a\": [\n                    1\n          ]\n}"),
    ("{\"a\":[1]}", 10, "{\n          \"a\": [\n                    1\n          ]\n}"),
    ("\"s\"", 2, "\"s\""),
    ("[]", 2, "[]"),
    ("{}", 2, "{}"),
    ("{\"2\":1,\"1\":[{\"k\":-0}]}", 3, "{\n   \"1\": [\n      {\n         \"k\": 0\n      }\n   ],\n   \"2\": 1\n}"),
]

struct StringifyVectorTests {
    @Test func tableIsLargeEnough() {
        #expect(stringifyVectors.count >= 60)
    }

    @Test(arguments: stringifyVectors)
    func compactOutputMatchesJavaScript(input: String, expected: String) throws {
        let value = try JSONValue.parse(input)
        #expect(value.stringify() == expected)
        #expect(value.stringifiedBytes() == Array(expected.utf8))
    }

    @Test(arguments: stringifyVectors)
    func roundTrip(input: String, expected: String) throws {
        let value = try JSONValue.parse(input)
        let reparsed = try JSONValue.parse(value.stringify())
        // Infinities print as null (as in JavaScript); every other value survives the round trip.
        if Self.isFinite(value) { #expect(reparsed == value) }
        #expect(reparsed.stringify() == expected)
    }

    static func isFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let number): number.isFinite
        case .array(let elements): elements.allSatisfy(Self.isFinite)
        case .object(let object): object.entries.allSatisfy { Self.isFinite($0.value) }
        default: true
        }
    }

    @Test(arguments: indentedVectors)
    func indentedOutputMatchesJavaScript(input: String, indent: Int, expected: String) throws {
        let value = try JSONValue.parse(input)
        #expect(value.stringify(indent: indent) == expected)
        #expect(try JSONValue.parse(expected) == value)
    }

    @Test func numbersAreDoubles() throws {
        #expect(try JSONValue.parse("9007199254740993") == .number(9_007_199_254_740_992))
        #expect(try JSONValue.parse("1e400") == .number(.infinity))
        #expect(try JSONValue.parse("-1e400") == .number(-.infinity))
        let negativeZero = try #require(try JSONValue.parse("-0").doubleValue)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        let negativeZeroFraction = try #require(try JSONValue.parse("-0.0e5").doubleValue)
        #expect(negativeZeroFraction.sign == .minus)
        #expect(try JSONValue.parse("0.1") == .number(0.1))
        #expect(try JSONValue.parse("[1.5e-7]") == [.number(1.5e-7)])
    }

    @Test func valuesBuiltInSwiftStringify() {
        #expect(JSONValue.number(.nan).stringify() == "null")
        #expect(JSONValue.array([.number(.infinity), .number(-.infinity), .number(-0.0)]).stringify() == "[null,null,0]")
        #expect(JSONValue.integer(.min).stringify() == "-9223372036854775808")
        #expect(JSONValue.integer(.max).stringify() == "9223372036854775807")
        #expect(JSONValue.integer(0).stringify() == "0")
        #expect(JSONValue.integer(-42).stringify() == "-42")
        #expect(JSONValue.number(Double(Int64.max)).stringify() == "9223372036854776000")
        #expect(JSONValue.string("\u{1}\u{7f}\u{80}\u{2028}/\"\\").stringify() == "\"\\u0001\u{7f}\u{80}\u{2028}/\\\"\\\\\"")
        let object: JSONValue = ["b": 1, "10": [], "2": ["x": nil]]
        #expect(object.stringify() == #"{"2":{"x":null},"10":[],"b":1}"#)
        #expect(object.stringify(indent: 2) == "{\n  \"2\": {\n    \"x\": null\n  },\n  \"10\": [],\n  \"b\": 1\n}")
    }

    // MARK: Runt signed message (spec section 4)

    static let runtMessage =
        #"[{"event_type":"auto_launch","data":{"runtime":"python","success":true,"prewarmed":true,"duration_ms":150},"#
        + #""timestamp":"2024-02-16T12:00:00Z"}]"#

    @Test func runtMessageRoundTripsByteExactly() throws {
        #expect(Self.runtMessage.utf8.count == 143)
        let value = try JSONValue.parse(Array(Self.runtMessage.utf8))
        #expect(value.stringifiedBytes() == Array(Self.runtMessage.utf8))
        #expect(value.stringify() == Self.runtMessage)
    }

    @Test func prettyPrintedRuntMessageStringifiesToCompactForm() throws {
        let pretty =
            "[\n  {\n    \"event_type\": \"auto_launch\",\n    \"data\": {\n      \"runtime\": \"python\",\n"
            + "      \"success\": true,\n      \"prewarmed\": true,\n      \"duration_ms\": 150\n    },\n"
            + "    \"timestamp\": \"2024-02-16T12:00:00Z\"\n  }\n]"
        let compact = try JSONValue.parse(Self.runtMessage)
        #expect(compact.stringify(indent: 2) == pretty)
        #expect(try JSONValue.parse(pretty).stringify() == Self.runtMessage)
        let tabsAndCRLF = pretty.replacingOccurrences(of: "\n", with: "\r\n").replacingOccurrences(of: "  ", with: "\t")
        #expect(try JSONValue.parse(tabsAndCRLF).stringify() == Self.runtMessage)
    }

    @Test func floatInSignedEventsIsReformatted() throws {
        // A serde_json client printing 1.0 signs different bytes than the server re-serialises (spec section 4).
        let value = try JSONValue.parse(#"[{"data":{"duration_ms":150.0,"ratio":1e2}}]"#)
        #expect(value.stringify() == #"[{"data":{"duration_ms":150,"ratio":100}}]"#)
    }
}
