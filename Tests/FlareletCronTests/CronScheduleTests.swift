import FlareletCron
import Foundation
import Testing

struct CronScheduleTests {
    private func listing(_ firings: [CronSchedule.Firing]) -> [String] {
        firings.map { "\(isoString($0.date)) \($0.expression.text)" }
    }

    @Test func mergesExpressionsInTimeOrderWithTiesInConfigurationOrder() throws {
        let schedule = try CronSchedule(parsing: ["*/20 * * * *", "0 * * * *"])
        let firings = schedule.nextFireTimes(after: isoDate("2025-06-15T10:50:00.000Z"), count: 6)
        #expect(
            self.listing(firings) == [
                "2025-06-15T11:00:00.000Z */20 * * * *",
                "2025-06-15T11:00:00.000Z 0 * * * *",
                "2025-06-15T11:20:00.000Z */20 * * * *",
                "2025-06-15T11:40:00.000Z */20 * * * *",
                "2025-06-15T12:00:00.000Z */20 * * * *",
                "2025-06-15T12:00:00.000Z 0 * * * *",
            ]
        )

        let reversed = try CronSchedule(parsing: ["0 * * * *", "*/20 * * * *"])
        #expect(
            self.listing(reversed.nextFireTimes(after: isoDate("2025-06-15T10:50:00.000Z"), count: 2)) == [
                "2025-06-15T11:00:00.000Z 0 * * * *",
                "2025-06-15T11:00:00.000Z */20 * * * *",
            ]
        )
    }

    @Test func weekdayAndMonthlyCronsInterleave() throws {
        let schedule = try CronSchedule(parsing: ["0 17 * * 1", "0 9 L * *"])
        let firings = schedule.nextFireTimes(after: isoDate("2025-06-20T00:00:00.000Z"), count: 4)
        #expect(
            self.listing(firings) == [
                "2025-06-22T17:00:00.000Z 0 17 * * 1",
                "2025-06-29T17:00:00.000Z 0 17 * * 1",
                "2025-06-30T09:00:00.000Z 0 9 L * *",
                "2025-07-06T17:00:00.000Z 0 17 * * 1",
            ]
        )
    }

    @Test func expressionsThatNeverFireAreLeftOut() throws {
        let schedule = try CronSchedule(parsing: ["0 0 30 2 *", "0 0 * * *"])
        #expect(
            self.listing(schedule.nextFireTimes(after: isoDate("2025-06-15T12:00:00.000Z"), count: 3)) == [
                "2025-06-16T00:00:00.000Z 0 0 * * *",
                "2025-06-17T00:00:00.000Z 0 0 * * *",
                "2025-06-18T00:00:00.000Z 0 0 * * *",
            ]
        )
        let never = try CronSchedule(parsing: ["0 0 30 2 *"])
        #expect(never.nextFireTimes(after: isoDate("2025-06-15T12:00:00.000Z"), count: 3).isEmpty)
        #expect(never.nextFiring(after: isoDate("2025-06-15T12:00:00.000Z")) == nil)
    }

    @Test func countZeroOrNegativeAndEmptySchedule() throws {
        let schedule = try CronSchedule(parsing: ["* * * * *"])
        #expect(schedule.nextFireTimes(after: isoDate("2025-06-15T12:00:00.000Z"), count: 0).isEmpty)
        #expect(schedule.nextFireTimes(after: isoDate("2025-06-15T12:00:00.000Z"), count: -1).isEmpty)
        #expect(CronSchedule([]).nextFireTimes(after: isoDate("2025-06-15T12:00:00.000Z"), count: 5).isEmpty)
    }

    @Test func nextFiringIsTheEarliest() throws {
        let schedule = try CronSchedule(parsing: ["0 3 * * *", "30 2 * * *"])
        let firing = try #require(schedule.nextFiring(after: isoDate("2025-06-15T02:00:00.000Z")))
        #expect(isoString(firing.date) == "2025-06-15T02:30:00.000Z")
        #expect(firing.expression.text == "30 2 * * *")
        #expect(schedule.expressions.map(\.text) == ["0 3 * * *", "30 2 * * *"])
    }

    @Test func parsingStopsAtTheFirstInvalidExpression() throws {
        let error = try #require(throws: CronParseError.self) {
            try CronSchedule(parsing: ["* * * * *", "0 0 * * 0", "@daily"])
        }
        #expect(error.expression == "0 0 * * 0")
        #expect(error.field == .dayOfWeek)
        #expect(error.description.contains("1 = Sunday"))
    }
}
