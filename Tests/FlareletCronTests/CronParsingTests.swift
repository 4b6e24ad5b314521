import FlareletCron
import Foundation
import Testing

struct CronParsingTests {
    // MARK: Accepted expressions

    /// Each accepted expression with one minute (UTC) it must match and, where one exists, one it must not.
    /// June 2025: Sunday 1, 8, 15, 22, 29; Monday 2, 9, 16, 23, 30; Friday 6, 13, 20, 27; Saturday 7, 14, 21, 28.
    @Test(
        arguments: [
            ("* * * * *", "2025-06-15T10:21:00.000Z", nil),
            ("0 0 * * SUN", "2025-06-15T00:00:00.000Z", "2025-06-16T00:00:00.000Z"),
            ("0 0 * * sun", "2025-06-15T00:00:00.000Z", "2025-06-16T00:00:00.000Z"),
            ("0 0 * * Sun", "2025-06-15T00:00:00.000Z", "2025-06-14T00:00:00.000Z"),
            ("0 0 * * 1", "2025-06-15T00:00:00.000Z", "2025-06-16T00:00:00.000Z"),
            ("0 0 * * 7", "2025-06-14T00:00:00.000Z", "2025-06-15T00:00:00.000Z"),
            ("0 0 1 jan *", "2025-01-01T00:00:00.000Z", "2025-02-01T00:00:00.000Z"),
            ("0 0 1 Jan-Mar *", "2025-03-01T00:00:00.000Z", "2025-04-01T00:00:00.000Z"),
            ("0 0 1 DEC *", "2025-12-01T00:00:00.000Z", "2025-11-01T00:00:00.000Z"),
            ("0 0 * * FRI-SUN", "2025-06-15T00:00:00.000Z", "2025-06-16T00:00:00.000Z"),
            ("0 0 * * MON-FRI", "2025-06-20T00:00:00.000Z", "2025-06-21T00:00:00.000Z"),
            ("50-10 * * * *", "2025-06-15T10:05:00.000Z", "2025-06-15T10:30:00.000Z"),
            ("0 22-2 * * *", "2025-06-15T01:00:00.000Z", "2025-06-15T03:00:00.000Z"),
            ("0 0 25-5 * *", "2025-06-03T00:00:00.000Z", "2025-06-10T00:00:00.000Z"),
            ("0 0 1 NOV-FEB *", "2026-01-01T00:00:00.000Z", "2025-06-01T00:00:00.000Z"),
            ("*/15 * * * *", "2025-06-15T10:45:00.000Z", "2025-06-15T10:40:00.000Z"),
            ("*/59 * * * *", "2025-06-15T10:59:00.000Z", "2025-06-15T10:58:00.000Z"),
            ("5/20 * * * *", "2025-06-15T10:45:00.000Z", "2025-06-15T10:50:00.000Z"),
            ("10-30/10 * * * *", "2025-06-15T10:30:00.000Z", "2025-06-15T10:40:00.000Z"),
            ("50-10/5 * * * *", "2025-06-15T11:05:00.000Z", "2025-06-15T11:52:00.000Z"),
            ("0 0 */30 * *", "2025-05-31T00:00:00.000Z", "2025-05-30T00:00:00.000Z"),
            ("0 0 1 */11 *", "2025-12-01T00:00:00.000Z", "2025-06-01T00:00:00.000Z"),
            ("0 0 * * */6", "2025-06-21T00:00:00.000Z", "2025-06-20T00:00:00.000Z"),
            ("0 0 * * */2", "2025-06-15T00:00:00.000Z", "2025-06-16T00:00:00.000Z"),
            ("0 0 L * *", "2025-06-30T00:00:00.000Z", "2025-06-29T00:00:00.000Z"),
            ("0 0 LW * *", "2025-05-30T00:00:00.000Z", "2025-05-31T00:00:00.000Z"),
            ("0 0 L-3 * *", "2025-06-27T00:00:00.000Z", "2025-06-30T00:00:00.000Z"),
            ("0 0 L-2W * *", "2025-06-27T00:00:00.000Z", "2025-06-28T00:00:00.000Z"),
            ("0 0 15W * *", "2025-03-14T00:00:00.000Z", "2025-03-15T00:00:00.000Z"),
            ("0 0 * * 6#3", "2025-06-20T00:00:00.000Z", "2025-06-13T00:00:00.000Z"),
            ("0 0 * * FRI#3", "2025-06-20T00:00:00.000Z", "2025-06-27T00:00:00.000Z"),
            ("0 0 * * 2L", "2025-06-30T00:00:00.000Z", "2025-06-23T00:00:00.000Z"),
            ("0 0 * * L", "2025-06-21T00:00:00.000Z", "2025-06-20T00:00:00.000Z"),
            ("0,30 9-17 * * MON-FRI", "2025-06-16T09:30:00.000Z", "2025-06-15T09:30:00.000Z"),
            ("5,*/20 * * * *", "2025-06-15T10:40:00.000Z", "2025-06-15T10:30:00.000Z"),
            ("1,5-7,10/25 * * * *", "2025-06-15T10:35:00.000Z", "2025-06-15T10:08:00.000Z"),
            ("07 07 07 07 *", "2025-07-07T07:07:00.000Z", "2025-07-08T07:07:00.000Z"),
            ("0 0 1 * 2", "2025-06-30T00:00:00.000Z", "2025-06-29T00:00:00.000Z"),
            ("  0 12 * * *  ", "2025-06-15T12:00:00.000Z", "2025-06-15T12:01:00.000Z"),
            ("0\t12  *\t* *", "2025-06-15T12:00:00.000Z", "2025-06-15T13:00:00.000Z"),
        ] as [(String, String, String?)]
    )
    func accepts(text: String, matching: String, notMatching: String?) throws {
        let expression = try CronExpression(parsing: text)
        #expect(expression.text == text)
        #expect(expression.description == text)
        #expect(expression.matches(isoDate(matching)))
        if let notMatching {
            #expect(!expression.matches(isoDate(notMatching)))
        }
    }

    @Test func matchesIgnoresSeconds() throws {
        let expression = try CronExpression(parsing: "30 4 * * *")
        #expect(expression.matches(isoDate("2025-06-15T04:30:59.999Z")))
        #expect(!expression.matches(isoDate("2025-06-15T04:31:00.000Z")))
        #expect(!expression.matches(isoDate("2025-06-15T04:29:59.999Z")))
    }

    @Test func equalityFollowsTheText() throws {
        #expect(try CronExpression(parsing: "0 0 * * 1") == CronExpression(parsing: "0 0 * * 1"))
        #expect(try CronExpression(parsing: "0 0 * * 1") != CronExpression(parsing: "0 0 * * SUN"))
    }

    // MARK: Rejected expressions

    static let weekdays = "weekdays are 1-7 with 1 = Sunday (or SUN-SAT)"
    static let fiveFields = "Cloudflare crons have exactly 5 (minute hour day-of-month month day-of-week)"
    static let fiveFieldsMacro = "Cloudflare crons have exactly 5 fields (minute hour day-of-month month day-of-week)"
    static let plainSyntax = "expected a value, a range a-b, a step */n, a/n or a-b/n, or a comma-separated list of them"
    static let domSyntax = "expected a value, a range, a step or a list of them, or one of L, LW, L-n, L-nW, nW"
    static let dowSyntax = "expected a value, a range, a step or a list of them, or one of L, nL, n#k"

    /// Each rejected expression with the field and token the error names and the reason after `invalid cron "…": `.
    @Test(
        arguments: [
            ("0 0 * * 0", .dayOfWeek, "0", "day-of-week value 0 is out of range; \(weekdays)"),
            ("0 0 * * 0-6", .dayOfWeek, "0-6", "day-of-week value 0 in \"0-6\" is out of range; \(weekdays)"),
            ("0 0 * * 1,0", .dayOfWeek, "1,0", "day-of-week value 0 in \"1,0\" is out of range; \(weekdays)"),
            ("0 0 * * 0L", .dayOfWeek, "0L", "day-of-week value 0 in \"0L\" is out of range; \(weekdays)"),
            ("0 0 * * 0#2", .dayOfWeek, "0#2", "day-of-week value 0 in \"0#2\" is out of range; \(weekdays)"),
            ("0 0 * * 8", .dayOfWeek, "8", "day-of-week value 8 is out of range; \(weekdays)"),
            ("60 * * * *", .minute, "60", "minute value 60 is out of range; minutes are 0-59"),
            ("0 24 * * *", .hour, "24", "hour value 24 is out of range; hours are 0-23"),
            ("0 0 0 * *", .dayOfMonth, "0", "day-of-month value 0 is out of range; days of the month are 1-31"),
            ("0 0 32 * *", .dayOfMonth, "32", "day-of-month value 32 is out of range; days of the month are 1-31"),
            ("0 0 * 13 *", .month, "13", "month value 13 is out of range; months are 1-12 (or JAN-DEC)"),
            ("0 0 * 0-3 *", .month, "0-3", "month value 0 in \"0-3\" is out of range; months are 1-12 (or JAN-DEC)"),
            (
                "99999999999999999999 * * * *", .minute, "99999999999999999999",
                "minute value 99999999999999999999 is out of range; minutes are 0-59"
            ),
            ("*/0 * * * *", .minute, "*/0", "minute step 0 in \"*/0\" is out of range; steps are 1-59 for this field"),
            ("*/60 * * * *", .minute, "*/60", "minute step 60 in \"*/60\" is out of range; steps are 1-59 for this field"),
            ("0 */24 * * *", .hour, "*/24", "hour step 24 in \"*/24\" is out of range; steps are 1-23 for this field"),
            ("0 0 */31 * *", .dayOfMonth, "*/31", "day-of-month step 31 in \"*/31\" is out of range; steps are 1-30 for this field"),
            ("0 0 * */12 *", .month, "*/12", "month step 12 in \"*/12\" is out of range; steps are 1-11 for this field"),
            ("0 0 * * */7", .dayOfWeek, "*/7", "day-of-week step 7 in \"*/7\" is out of range; steps are 1-6 for this field"),
            ("0 0 * * 2-6/0", .dayOfWeek, "2-6/0", "day-of-week step 0 in \"2-6/0\" is out of range; steps are 1-6 for this field"),
            ("0 0 ? * MON", .dayOfMonth, "?", "day-of-month \"?\": \"?\" is not supported; use \"*\" for any value"),
            ("0 0 * * ?", .dayOfWeek, "?", "day-of-week \"?\": \"?\" is not supported; use \"*\" for any value"),
            (
                "0 0 L,15 * *", .dayOfMonth, "L,15",
                "day-of-month \"L\" cannot be combined with other values in a list (\"L,15\"); L, W and # forms must stand alone"
            ),
            (
                "0 0 1,15W * *", .dayOfMonth, "1,15W",
                "day-of-month \"15W\" cannot be combined with other values in a list (\"1,15W\"); L, W and # forms must stand alone"
            ),
            (
                "0 0 * * 2,6#3", .dayOfWeek, "2,6#3",
                "day-of-week \"6#3\" cannot be combined with other values in a list (\"2,6#3\"); L, W and # forms must stand alone"
            ),
            (
                "0 0 * * L,2", .dayOfWeek, "L,2",
                "day-of-week \"L\" cannot be combined with other values in a list (\"L,2\"); L, W and # forms must stand alone"
            ),
            ("*,5 * * * *", .minute, "*,5", "minute \"*\" cannot be combined with other values in a list (\"*,5\"); \"*\" must stand alone"),
            ("0 0 * * 6#6", .dayOfWeek, "6#6", "day-of-week occurrence 6 in \"6#6\" is out of range; n#k takes k from 1 to 5"),
            ("0 0 * * 6#0", .dayOfWeek, "6#0", "day-of-week occurrence 0 in \"6#0\" is out of range; n#k takes k from 1 to 5"),
            ("0 0 L-31 * *", .dayOfMonth, "L-31", "day-of-month offset 31 in \"L-31\" is out of range; L-n takes n from 1 to 30"),
            ("0 0 L-0W * *", .dayOfMonth, "L-0W", "day-of-month offset 0 in \"L-0W\" is out of range; L-n takes n from 1 to 30"),
            ("0 0 32W * *", .dayOfMonth, "32W", "day-of-month value 32 in \"32W\" is out of range; days of the month are 1-31"),
            ("0 0 0W * *", .dayOfMonth, "0W", "day-of-month value 0 in \"0W\" is out of range; days of the month are 1-31"),
            ("0 0 l * *", .dayOfMonth, "l", "day-of-month \"l\" is not valid; \(domSyntax); days of the month are 1-31"),
            ("0 0 L-W * *", .dayOfMonth, "L-W", "day-of-month \"L-W\" is not valid; \(domSyntax); days of the month are 1-31"),
            ("0 0 W * *", .dayOfMonth, "W", "day-of-month \"W\" is not valid; \(domSyntax); days of the month are 1-31"),
            ("0 0 * * MON-FOO", .dayOfWeek, "MON-FOO", "day-of-week \"MON-FOO\" is not valid; \(dowSyntax); \(weekdays)"),
            ("0 0 * * #3", .dayOfWeek, "#3", "day-of-week \"#3\" is not valid; \(dowSyntax); \(weekdays)"),
            ("0 0 * JANUARY *", .month, "JANUARY", "month \"JANUARY\" is not valid; \(plainSyntax); months are 1-12 (or JAN-DEC)"),
            ("0 0 * MON *", .month, "MON", "month \"MON\" is not valid; \(plainSyntax); months are 1-12 (or JAN-DEC)"),
            ("0 JAN * * *", .hour, "JAN", "hour \"JAN\" is not valid; \(plainSyntax); hours are 0-23"),
            ("1-2-3 * * * *", .minute, "1-2-3", "minute \"1-2-3\" is not valid; \(plainSyntax); minutes are 0-59"),
            ("-1 * * * *", .minute, "-1", "minute \"-1\" is not valid; \(plainSyntax); minutes are 0-59"),
            ("5/ * * * *", .minute, "5/", "minute \"5/\" is not valid; \(plainSyntax); minutes are 0-59"),
            ("*/5/2 * * * *", .minute, "*/5/2", "minute \"*/5/2\" is not valid; \(plainSyntax); minutes are 0-59"),
            ("*-5 * * * *", .minute, "*-5", "minute \"*-5\" is not valid; \(plainSyntax); minutes are 0-59"),
            ("0 0 * * 1,,2", .dayOfWeek, "1,,2", "day-of-week \"1,,2\" has an empty list item"),
            ("0,5, * * * *", .minute, "0,5,", "minute \"0,5,\" has an empty list item"),
        ] as [(String, CronField, String, String)]
    )
    func rejectsField(text: String, field: CronField, token: String, reason: String) throws {
        let error = try #require(throws: CronParseError.self) { try CronExpression(parsing: text) }
        #expect(error.expression == text)
        #expect(error.field == field)
        #expect(error.fieldIndex == field.rawValue)
        #expect(error.token == token)
        #expect(error.reason == reason)
        #expect(error.description == "invalid cron \"\(text)\": \(reason)")
    }

    /// Whole-expression errors: wrong field count and macros name no field.
    @Test(
        arguments: [
            ("* * * * * *", nil, "found 6 fields; \(fiveFields), with no seconds or year field"),
            ("0 0 1 * 7 2025", nil, "found 6 fields; \(fiveFields), with no seconds or year field"),
            ("0 0 0 1 * 7 2025", nil, "found 7 fields; \(fiveFields), with no seconds or year field"),
            ("* * * *", nil, "found 4 fields; \(fiveFields)"),
            ("*", nil, "found 1 field; \(fiveFields)"),
            ("", nil, "found 0 fields; \(fiveFields)"),
            ("   ", nil, "found 0 fields; \(fiveFields)"),
            ("@daily", "@daily", "macros like \"@daily\" are not supported; write \"0 0 * * *\" instead; \(fiveFieldsMacro)"),
            ("@weekly", "@weekly", "macros like \"@weekly\" are not supported; write \"0 0 * * 1\" instead; \(fiveFieldsMacro)"),
            ("@reboot", "@reboot", "macros like \"@reboot\" are not supported; \(fiveFieldsMacro)"),
        ] as [(String, String?, String)]
    )
    func rejectsExpression(text: String, token: String?, reason: String) throws {
        let error = try #require(throws: CronParseError.self) { try CronExpression(parsing: text) }
        #expect(error.expression == text)
        #expect(error.field == nil)
        #expect(error.fieldIndex == nil)
        #expect(error.token == token)
        #expect(error.reason == reason)
        #expect(error.description == "invalid cron \"\(text)\": \(reason)")
    }

    /// The message platform.md 7.1 asks for, word for word as the brief's example.
    @Test func weekdayZeroExplainsSundayIsOne() {
        do {
            _ = try CronExpression(parsing: "0 0 * * 0")
            Issue.record("weekday 0 was accepted")
        } catch {
            #expect(
                error.description
                    == "invalid cron \"0 0 * * 0\": day-of-week value 0 is out of range; weekdays are 1-7 with 1 = Sunday (or SUN-SAT)"
            )
        }
    }

    @Test func fieldNamesAndIndexes() {
        #expect(CronField.allCases.map(\.name) == ["minute", "hour", "day-of-month", "month", "day-of-week"])
        #expect(CronField.allCases.map(\.rawValue) == [0, 1, 2, 3, 4])
    }
}
