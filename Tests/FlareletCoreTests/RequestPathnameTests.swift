import FlareletCore
import FlareletJSON
import Foundation
import Testing

/// `request.pathname` is `new URL(request.url).pathname` (Node's answers in `url.json`), whether it takes the
/// split-only fast path or runs the WHATWG parser; `headers.get` joins repeated fields like Fetch.
struct RequestPathnameTests {
    @Test func pathnameMatchesNode() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../FlareletJavaScriptTests/Vectors/url.json")
        let cases = try #require(try JSONValue.parse(Array(try Data(contentsOf: url))).arrayValue)
        var checked = 0
        for item in cases where item["error"] == nil {
            let input = try #require(item["input"]?.stringValue)
            // Request URLs are http(s) with a host; the dev server builds them as "http://host/…".
            guard input.hasPrefix("http://h/") || input.hasPrefix("http://127.0.0.1:8787/") else { continue }
            let request = WorkerRequest(method: "GET", url: input)
            #expect(request.pathname == item["pathname"]?.stringValue, "\(input)")
            checked += 1
        }
        #expect(checked > 30)
    }

    @Test(arguments: [
        ("/v1/events", true), ("/", true), ("/a/b@c:d;e=f", true), ("/v1/x/../events", false), ("/file.txt", false),
        ("/a%2e", false), ("/a\\b", false), ("/a b", false), ("/ü", false), ("", false),
    ])
    func fastPathOnlyForPathsTheParserKeeps(path: String, invariant: Bool) {
        #expect(URLParts.isParserInvariant(path) == invariant)
    }

    @Test func headersGetJoinsRepeatedFields() {
        var headers: Headers = ["CF-Connecting-IP": "1.1.1.1"]
        headers.append("cf-connecting-ip", "2.2.2.2")
        #expect(headers.get("Cf-Connecting-Ip") == "1.1.1.1, 2.2.2.2")
        #expect(headers.get("X-Missing") == nil)
    }
}
