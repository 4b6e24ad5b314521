import FlareletJSON
import Testing

struct ObjectOrderTests {
    @Test func integerLikeKeys() {
        #expect(JSONObject.arrayIndex("0") == 0)
        #expect(JSONObject.arrayIndex("4294967294") == 4_294_967_294)
        #expect(JSONObject.arrayIndex("4294967295") == nil)
        #expect(JSONObject.arrayIndex("01") == nil)
        #expect(JSONObject.arrayIndex("-1") == nil)
        #expect(JSONObject.arrayIndex("") == nil)
        #expect(JSONObject.arrayIndex("1.0") == nil)
    }

    @Test func assignmentOrderMatchesJavaScript() {
        // node: const o = {}; for (const k of keys) o[k] = k; Object.keys(o)
        let keys = ["b", "10", "2", "a", "4294967295", "0", "01", "4294967294", "2", "-1", "7", "b", "3"]
        var object = JSONObject()
        for key in keys { object[key] = .string(key) }
        #expect(object.keys == ["0", "2", "3", "7", "10", "4294967294", "b", "a", "4294967295", "01", "-1"])
        object["7"] = nil
        object["b"] = nil
        #expect(object.keys == ["0", "2", "3", "10", "4294967294", "a", "4294967295", "01", "-1"])
        object["5"] = 1
        #expect(object.keys == ["0", "2", "3", "5", "10", "4294967294", "a", "4294967295", "01", "-1"])
    }

    @Test func parsedObjectsEqualAssignedObjects() throws {
        let text = #"{"b":1,"10":2,"2":3,"a":4,"b":5,"2":6,"0":7}"#
        let parsed = try #require(try JSONValue.parse(text).objectValue)
        let assigned = JSONObject([("b", 1), ("10", 2), ("2", 3), ("a", 4), ("b", 5), ("2", 6), ("0", 7)])
        #expect(parsed == assigned)
        #expect(parsed.keys == ["0", "2", "10", "b", "a"])
        #expect(parsed["b"] == 5)
        #expect(parsed["2"] == 6)
    }

    @Test func adversarialKeyOrderParses() throws {
        // Many ordinary keys followed by descending integer keys: must stay fast and correct.
        let count = 20_000
        var text = "{"
        for index in 0..<count { text += "\"k\(index)\":0," }
        for index in (0..<count).reversed() { text += "\"\(index)\":\(index)," }
        text += "\"end\":1}"
        let object = try #require(try JSONValue.parse(text).objectValue)
        #expect(object.count == 2 * count + 1)
        #expect(Array(object.keys.prefix(3)) == ["0", "1", "2"])
        #expect(object.keys[count - 1] == JSString("\(count - 1)"))
        #expect(object.keys[count] == "k0")
        #expect(object.keys.last == "end")
        #expect(object["19999"] == 19999)
    }
}
