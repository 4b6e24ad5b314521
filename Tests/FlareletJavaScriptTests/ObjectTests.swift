import FlareletJSON
import FlareletJavaScript
import Testing

struct ObjectTests {
    /// `counter[k] = (counter[k] || 0) + 1` over key sequences, then `Object.entries(counter)`: prototype methods
    /// concatenate their source text, `__proto__` is dropped, integer keys sort first, canonically equivalent and
    /// lone-surrogate keys stay apart.
    @Test func countersMatchJavaScript() throws {
        for item in try Vectors.load("counters") {
            let keys = try #require(item["keys"]?.arrayValue).map { try #require($0.jsStringValue) }
            var counter = JSONObject()
            for key in keys { try JavaScript.increment(key, in: &counter) }
            let expected = try #require(item["entries"]?.arrayValue)
            let actual = JSONValue.array(counter.entries.map { .array([.string($0.key), $0.value]) })
            #expect(actual == .array(expected), "keys \(keys)")
        }
    }

    @Test func propertyLookup() {
        let object: JSONObject = ["a": 1, "toString": "own"]
        #expect(JavaScript.property(of: object, "a") == .own(1))
        #expect(JavaScript.property(of: object, "toString") == .own("own"))
        #expect(JavaScript.property(of: object, "valueOf") == .method(.valueOf))
        #expect(JavaScript.property(of: object, "constructor").primitive == "function Object() { [native code] }")
        #expect(JavaScript.property(of: object, "__proto__") == .prototype)
        #expect(JavaScript.property(of: object, "missing") == .undefined)
    }
}
