import FlareletJSON
import FlareletJavaScript
import Testing

struct URLTests {
    /// `new URL(input)` for 77 inputs: dot segments (also `%2e`), backslashes, percent-encoding per component,
    /// default ports, IPv4/IPv6 hosts, credentials, failures.
    @Test func urlMatchesWHATWG() throws {
        for item in try Vectors.load("url") {
            let input = try #require(item["input"]?.stringValue)
            let url = JavaScript.URL(input)
            if item["error"] == .bool(true) {
                #expect(url == nil, "new URL(\(input.debugDescription)) throws")
                continue
            }
            guard let url else {
                Issue.record("new URL(\(input.debugDescription)) should parse")
                continue
            }
            #expect(url.href == item["href"]?.stringValue, "href of \(input.debugDescription)")
            #expect(url.protocol == item["protocol"]?.stringValue, "protocol of \(input.debugDescription)")
            #expect(url.host == item["host"]?.stringValue, "host of \(input.debugDescription)")
            #expect(url.hostname == item["hostname"]?.stringValue, "hostname of \(input.debugDescription)")
            #expect(url.port.map(String.init) ?? "" == item["port"]?.stringValue, "port of \(input.debugDescription)")
            #expect(url.pathname == item["pathname"]?.stringValue, "pathname of \(input.debugDescription)")
            #expect(url.search == item["search"]?.stringValue, "search of \(input.debugDescription)")
            #expect(url.hash == item["hash"]?.stringValue, "hash of \(input.debugDescription)")
            #expect(url.origin == item["origin"]?.stringValue, "origin of \(input.debugDescription)")
            let params = JSONValue.array(url.searchParams.map { .array([.string($0.name), .string($0.value)]) })
            #expect(params == item["searchParams"], "searchParams of \(input.debugDescription)")
        }
    }

    /// Only the special schemes a worker's request can have are supported; others do not parse (documented).
    @Test func nonSpecialSchemesAreNotSupported() {
        #expect(JavaScript.URL("foo://h/x") == nil)
        #expect(JavaScript.URL("mailto:someone@example.com") == nil)
    }
}
