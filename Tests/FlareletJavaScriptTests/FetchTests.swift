import FlareletJSON
import FlareletJavaScript
import Testing

struct FetchTests {
    /// Header bytes are decoded as Latin-1 (isomorphic decode), so `ünïcode` sent as UTF-8 reads as `Ã¼nÃ¯code`.
    @Test func headerBytesAreLatin1() throws {
        for item in try Vectors.load("header-latin1") {
            let bytes = try #require(item["bytes"]?.arrayValue).map { UInt8(try #require($0.doubleValue)) }
            let latin1 = JavaScript.isomorphicDecode(bytes)
            #expect(latin1 == item["latin1"]?.stringValue)
            #expect(JavaScript.isomorphicEncode(latin1) == bytes)
        }
        #expect(JavaScript.isomorphicEncode("日本") == nil)
    }

    /// `request.text()` / `request.json()`: UTF-8 with replacement, exactly one BOM stripped.
    @Test func bodyDecoding() throws {
        for item in try Vectors.load("body-text") {
            let bytes = try #require(item["bytes"]?.arrayValue).map { UInt8(try #require($0.doubleValue)) }
            #expect(JavaScript.decodeUTF8(bytes) == item["text"]?.stringValue, "\(bytes)")
            let json = try #require(item["json"])
            if let value = json["value"] {
                #expect(try JavaScript.parseJSON(bytes) == value)
            } else {
                #expect(throws: JSONParseError.self) { try JavaScript.parseJSON(bytes) }
            }
        }
    }
}
