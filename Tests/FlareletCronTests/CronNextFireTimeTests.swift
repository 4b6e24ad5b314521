import FlareletCron
import Foundation
import Testing

/// Expected dates were checked against a real calendar (Python's `calendar`/`datetime`). Handy facts: 2025-06-15 is a
/// Sunday; 2025-03-01 and 2025-05-31 are Saturdays; 2025-06-01, 2025-08-31 and 2025-11-30 are Sundays; 2028 and 2032
/// are leap years, 2100 is not.
struct CronNextFireTimeTests {
    @Test(
        arguments: [
            // Every minute: the next whole minute strictly after the instant.
            ("* * * * *", "2025-06-15T10:20:30.000Z", "2025-06-15T10:21:00.000Z"),
            ("* * * * *", "2025-06-15T10:20:00.000Z", "2025-06-15T10:21:00.000Z"),
            ("* * * * *", "2025-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z"),
            ("* * * * *", "1969-12-31T23:59:30.000Z", "1970-01-01T00:00:00.000Z"),
            // Steps.
            ("*/15 * * * *", "2025-06-15T10:20:00.000Z", "2025-06-15T10:30:00.000Z"),
            ("*/15 * * * *", "2025-06-15T10:45:00.000Z", "2025-06-15T11:00:00.000Z"),
            ("0 */6 * * *", "2025-06-15T18:00:00.000Z", "2025-06-16T00:00:00.000Z"),
            ("0 0 */10 * *", "2025-01-31T00:00:00.000Z", "2025-02-01T00:00:00.000Z"),
            ("0 0 1 jan-mar/2 *", "2025-01-01T00:00:00.000Z", "2025-03-01T00:00:00.000Z"),
            // Strictly after: from 01:59:30 the same day, from 02:00:00 the next day.
            ("0 2 * * *", "2025-06-15T01:59:30.000Z", "2025-06-15T02:00:00.000Z"),
            ("0 2 * * *", "2025-06-15T02:00:00.000Z", "2025-06-16T02:00:00.000Z"),
            ("30 4 1,15 * *", "2025-06-01T04:30:00.000Z", "2025-06-15T04:30:00.000Z"),
            // Month ends: the 31st skips 30-day months.
            ("0 0 31 * *", "2025-04-01T00:00:00.000Z", "2025-05-31T00:00:00.000Z"),
            ("0 0 31 * *", "2025-05-31T00:00:00.000Z", "2025-07-31T00:00:00.000Z"),
            // Leap years.
            ("0 0 29 2 *", "2025-03-01T00:00:00.000Z", "2028-02-29T00:00:00.000Z"),
            ("0 0 29 2 *", "2099-03-01T00:00:00.000Z", "2104-02-29T00:00:00.000Z"),
            ("0 0 L 2 *", "2028-01-15T00:00:00.000Z", "2028-02-29T00:00:00.000Z"),
            ("0 0 L 2 *", "2027-01-15T00:00:00.000Z", "2027-02-28T00:00:00.000Z"),
            ("0 0 L * *", "2025-04-10T00:00:00.000Z", "2025-04-30T00:00:00.000Z"),
            // LW: last weekday, Friday when the month ends on a weekend.
            ("0 0 LW * *", "2025-05-01T00:00:00.000Z", "2025-05-30T00:00:00.000Z"),
            ("0 0 LW * *", "2025-08-01T00:00:00.000Z", "2025-08-29T00:00:00.000Z"),
            ("0 0 LW * *", "2025-06-01T00:00:00.000Z", "2025-06-30T00:00:00.000Z"),
            // nW: nearest weekday within the same month.
            ("0 0 15W * *", "2025-03-01T00:00:00.000Z", "2025-03-14T00:00:00.000Z"),
            ("0 0 15W * *", "2025-06-01T00:00:00.000Z", "2025-06-16T00:00:00.000Z"),
            ("0 0 1W * *", "2025-02-15T00:00:00.000Z", "2025-03-03T00:00:00.000Z"),
            ("0 0 1W * *", "2025-05-15T00:00:00.000Z", "2025-06-02T00:00:00.000Z"),
            ("0 0 31W * *", "2025-08-01T00:00:00.000Z", "2025-08-29T00:00:00.000Z"),
            ("0 0 31W * *", "2025-04-01T00:00:00.000Z", "2025-05-30T00:00:00.000Z"),
            ("0 0 30W * *", "2025-11-01T00:00:00.000Z", "2025-11-28T00:00:00.000Z"),
            // L-n and L-nW.
            ("0 0 L-2 * *", "2025-02-01T00:00:00.000Z", "2025-02-26T00:00:00.000Z"),
            ("0 0 L-30 * *", "2025-02-01T00:00:00.000Z", "2025-03-01T00:00:00.000Z"),
            ("0 0 L-2W * *", "2025-06-01T00:00:00.000Z", "2025-06-27T00:00:00.000Z"),
            // n#k and nL.
            ("0 0 * * 6#3", "2025-06-01T00:00:00.000Z", "2025-06-20T00:00:00.000Z"),
            ("0 0 * * FRI#3", "2025-06-21T00:00:00.000Z", "2025-07-18T00:00:00.000Z"),
            ("0 0 * * 1#5", "2025-06-01T00:00:00.000Z", "2025-06-29T00:00:00.000Z"),
            ("0 0 * 2 1#5", "2025-01-01T00:00:00.000Z", "2032-02-29T00:00:00.000Z"),
            ("0 0 * 2 1#5", "2088-03-01T00:00:00.000Z", "2128-02-29T00:00:00.000Z"),
            ("0 0 * * 2L", "2025-06-01T00:00:00.000Z", "2025-06-30T00:00:00.000Z"),
            ("0 12 * * L", "2025-06-15T00:00:00.000Z", "2025-06-21T12:00:00.000Z"),
            // Weekday numbering: 1 = Sunday.
            ("0 9 * * MON-FRI", "2025-06-13T10:00:00.000Z", "2025-06-16T09:00:00.000Z"),
            ("0 9 * * 2-6", "2025-06-13T10:00:00.000Z", "2025-06-16T09:00:00.000Z"),
            ("0 17 * * 1", "2025-06-16T12:00:00.000Z", "2025-06-22T17:00:00.000Z"),
            ("5 4 * * sun", "2025-06-15T04:05:00.000Z", "2025-06-22T04:05:00.000Z"),
            ("0 0 * * */2", "2025-06-16T00:00:00.000Z", "2025-06-17T00:00:00.000Z"),
            // Wrapping ranges.
            ("0 0 * * FRI-SUN", "2025-06-16T00:00:00.000Z", "2025-06-20T00:00:00.000Z"),
            ("0 0 * * FRI-SUN", "2025-06-14T01:00:00.000Z", "2025-06-15T00:00:00.000Z"),
            ("50-10 * * * *", "2025-06-15T10:10:00.000Z", "2025-06-15T10:50:00.000Z"),
            ("50-10 * * * *", "2025-06-15T10:55:00.000Z", "2025-06-15T10:56:00.000Z"),
            ("50-10/5 * * * *", "2025-06-15T10:55:00.000Z", "2025-06-15T11:00:00.000Z"),
            ("0 22-2 * * *", "2025-06-15T02:30:00.000Z", "2025-06-15T22:00:00.000Z"),
            ("0 0 1 NOV-FEB *", "2025-03-01T00:00:00.000Z", "2025-11-01T00:00:00.000Z"),
            // Day of month and day of week both restricted: either matches.
            ("0 0 13 * 6", "2025-06-01T00:00:00.000Z", "2025-06-06T00:00:00.000Z"),
            ("0 0 13 * 6", "2025-06-07T00:00:00.000Z", "2025-06-13T00:00:00.000Z"),
            ("0 0 1 * 2", "2025-06-24T00:00:00.000Z", "2025-06-30T00:00:00.000Z"),
            ("0 0 1 * 2", "2025-06-30T00:00:00.000Z", "2025-07-01T00:00:00.000Z"),
            ("0 0 L * 6L", "2025-06-01T00:00:00.000Z", "2025-06-27T00:00:00.000Z"),
            // Year rollover.
            ("0 0 1 1 *", "2025-06-15T00:00:00.000Z", "2026-01-01T00:00:00.000Z"),
            ("59 23 31 12 *", "2025-12-31T23:59:00.000Z", "2026-12-31T23:59:00.000Z"),
        ] as [(String, String, String)]
    )
    func nextFireTime(text: String, after: String, expected: String) throws {
        let expression = try CronExpression(parsing: text)
        let next = try #require(expression.nextFireTime(after: isoDate(after)))
        #expect(isoString(next) == expected)
        #expect(next.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0)
        #expect(expression.matches(next))
    }

    /// Expressions that can never fire return nil, after searching a full 400-year cycle, quickly.
    @Test(arguments: ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 L-30 2 *", "0 0 30W 2 *", "0 0 L-29W 2 *"])
    func impossibleExpressionNeverFires(text: String) throws {
        let expression = try CronExpression(parsing: text)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(expression.nextFireTime(after: isoDate("2025-06-15T00:00:00.000Z")) == nil)
        #expect(clock.now - start < .seconds(1))
    }

    @Test func nonFiniteInstantHasNoNextFireTime() throws {
        let expression = try CronExpression(parsing: "* * * * *")
        #expect(expression.nextFireTime(after: Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(expression.nextFireTime(after: Date(timeIntervalSince1970: .nan)) == nil)
        #expect(!expression.matches(Date(timeIntervalSince1970: .nan)))
    }

    /// `nextFireTime` and `matches` agree: walking firing to firing, every minute in between fails to match.
    @Test(arguments: ["*/7 3-5 * * *", "0,30 * 1W * *", "15 */5 * FEB 6#1", "0 0 L-3W * *", "10-5/20 22-1 * * FRI-MON"])
    func nextFireTimeAgreesWithMatches(text: String) throws {
        let expression = try CronExpression(parsing: text)
        var previous = isoDate("2025-01-30T22:13:00.000Z")
        for _ in 0..<40 {
            let next = try #require(expression.nextFireTime(after: previous))
            #expect(next > previous)
            #expect(expression.matches(next))
            var minute = previous.addingTimeInterval(60)
            while minute < next, next.timeIntervalSince(minute) <= 3 * 86_400 {
                #expect(!expression.matches(minute), "\(isoString(minute)) matches but was skipped")
                minute = minute.addingTimeInterval(60)
            }
            previous = next
        }
    }
}
