import FlareletJSON
import FlareletJavaScript
import Testing

struct ConversionTests {
    /// `String(JSON.parse(text))` for scalars, nested arrays (joined, `null` empty), objects, lone surrogates.
    @Test func toStringMatchesJavaScript() throws {
        for item in try Vectors.load("to-string") {
            let text = try #require(item["value"]?.stringValue)
            let value = try JSONValue.parse(text)
            if let error = item["error"]?.stringValue {
                #expect(throws: JavaScriptError.self, "\(text)") { try JavaScript.toString(value) }
                #expect(error == JavaScriptError.cannotConvertToPrimitive.description)
            } else {
                #expect(try JavaScript.toString(value) == item["expected"]?.jsStringValue, "String(\(text))")
            }
        }
    }

    /// `Number(JSON.parse(text))`.
    @Test func toNumberMatchesJavaScript() throws {
        for item in try Vectors.load("to-number") {
            let text = try #require(item["value"]?.stringValue)
            let value = try JSONValue.parse(text)
            if item["error"] != nil {
                #expect(throws: JavaScriptError.self, "\(text)") { try JavaScript.toNumber(value) }
            } else {
                #expect(numberText(try JavaScript.toNumber(value)) == item["expected"]?.stringValue, "Number(\(text))")
            }
        }
    }

    /// `parseInt(input, radix)` for 62 inputs × 15 radices (white space, signs, prefixes, long digit runs).
    @Test func parseIntMatchesJavaScript() throws {
        var failures: [String] = []
        for item in try Vectors.load("parse-int") {
            let input = try #require(item["input"]?.jsStringValue)
            let radix: Double? = item["radix"]?.doubleValue
            let actual = try JavaScript.parseInt(.string(input), radix: radix.map(JSONValue.number))
            let expected = try #require(item["expected"]?.stringValue)
            if numberText(actual) != expected {
                failures.append(
                    "parseInt(\(input.debugDescription), \(radix.map { "\($0)" } ?? "undefined")): expected \(expected), got \(numberText(actual))"
                )
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches:\n\(failures.prefix(30).joined(separator: "\n"))")
    }

    @Test func stringOfDeeplyNestedArraysOverflowsLikeV8() throws {
        func nested(_ depth: Int) -> JSONValue {
            var value = JSONValue.array([])
            for _ in 1..<depth { value = .array([value]) }
            return value
        }
        #expect(try JavaScript.toString(nested(JavaScript.maximumJoinDepth)) == "")
        #expect(throws: JavaScriptError.stackOverflow) { try JavaScript.toString(nested(JavaScript.maximumJoinDepth + 1)) }
    }

    @Test func addition() throws {
        #expect(try JavaScript.add(.number(1), .number(1)) == .number(2))
        #expect(try JavaScript.add(.string("a"), .number(1)) == .string("a1"))
        #expect(try JavaScript.add(.number(1), .string("a")) == .string("1a"))
        #expect(try JavaScript.add(.bool(true), .number(1)) == .number(2))
        #expect(try JavaScript.add(.array([1, 2]), .number(1)) == .string("1,21"))
        #expect(try JavaScript.add(.object([:]), .number(1)) == .string("[object Object]1"))
        #expect(try JavaScript.add(nil, .number(1)).doubleValue?.isNaN == true)
        #expect(throws: JavaScriptError.cannotConvertToPrimitive) { try JavaScript.add(.object(["toString": 1]), .number(1)) }
    }
}
