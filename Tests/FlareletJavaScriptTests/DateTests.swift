import FlareletJSON
import FlareletJavaScript
import Testing

struct DateTests {
    /// `Date.parse` of 3,099 strings (the forms of the issue, legacy forms, and seeded random ones) as Node computes it
    /// in UTC.
    @Test func dateParseMatchesV8() throws {
        var failures: [String] = []
        let cases = try Vectors.load("date-parse")
        #expect(cases.count > 3000)
        for item in cases {
            let input = try #require(item["input"]?.jsStringValue)
            let actual = JavaScript.parseDate(input)
            switch item["expected"] {
            case .null?:
                if !actual.isNaN { failures.append("\(input.debugDescription): expected NaN, got \(actual)") }
            case .number(let expected)?:
                if actual != expected { failures.append("\(input.debugDescription): expected \(Int64(expected)), got \(actual)") }
            default:
                failures.append("bad vector \(item)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches:\n\(failures.prefix(30).joined(separator: "\n"))")
    }

    @Test(arguments: [
        ("2026-11-10t05:13:25z", 1_794_287_605_000.0),
        ("Wed, 02 Dec 2026 16:30:25 GMT", 1_796_229_025_000),
        ("2026/12/02", 1_796_169_600_000),
        ("12/02/2026 16:30", 1_796_229_000_000),
        ("Dec 02, 2026", 1_796_169_600_000),
        ("2026-12-02T16:30:25+0000", 1_796_229_025_000),
        ("Wed Dec 02 2026 16:30:25 GMT+0000 (Coordinated Universal Time)", 1_796_229_025_000),
        ("0", 946_684_800_000),
    ])
    func theIssuesExamples(input: String, expected: Double) {
        #expect(JavaScript.parseDate(JSString(input)) == expected)
    }

    @Test func toISOStringMatchesV8() throws {
        for item in try Vectors.load("to-iso-string") {
            let time = try #require(item["time"]?.doubleValue)
            #expect(try JavaScript.toISOString(time) == item["expected"]?.stringValue, "time \(time)")
        }
    }

    @Test func toISOStringOfAnInvalidTimeThrowsRangeError() {
        #expect(throws: JavaScriptError.invalidTimeValue) { try JavaScript.toISOString(.nan) }
        #expect(throws: JavaScriptError.invalidTimeValue) { try JavaScript.toISOString(8.64e15 + 1) }
    }
}
