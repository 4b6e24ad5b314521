import FlareletCore
import FlareletJSON
import Foundation
import Testing

@testable import FlareletD1

/// Group commit (calls that wait while a commit is in flight share the next one), read connections and the
/// statement cache. The writer is paused while a test queues its calls, so the grouping is deterministic.
struct GroupCommitTests {
    /// Runs `body` on a fresh file database with `schema` applied.
    private func withFileDatabase<T>(schema: String, _ body: (SQLiteD1Database, String) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("group.sqlite").path
            let database = try SQLiteD1Database(path: path)
            defer { database.close() }
            _ = try await database.exec(schema)
            return try await body(database, path)
        }
    }

    /// Pauses the writer, starts one task per call, waits until every call is queued, resumes, and returns the
    /// outcomes in call order.
    private func runInOneGroup(
        _ database: SQLiteD1Database,
        _ calls: [@Sendable () async throws -> D1Result]
    ) async throws -> [Result<D1Result, D1Error>] {
        let resume = database.groupWriter.pause()
        let before = database.writeStatistics
        let tasks = calls.map { call in
            Task { () async -> Result<D1Result, D1Error> in
                do {
                    return .success(try await call())
                } catch let error as D1Error {
                    return .failure(error)
                } catch {
                    return .failure(D1Error(.error, "unexpected \(error)"))
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while database.groupWriter.pendingCount < calls.count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(database.groupWriter.pendingCount == calls.count)
        resume()
        var outcomes: [Result<D1Result, D1Error>] = []
        for task in tasks { outcomes.append(await task.value) }
        let after = database.writeStatistics
        #expect(after.groups - before.groups == 1, "all calls share one commit")
        #expect(after.calls - before.calls == calls.count)
        return outcomes
    }

    @Test func concurrentWritesShareOneCommitAndAFailureStaysItsOwn() async throws {
        try await self.withFileDatabase(schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)") { database, path in
            try await database.run("INSERT INTO t (id, v) VALUES (1, 'existing')")
            let insert = database.prepare("INSERT INTO t (id, v) VALUES (?, ?)")
            var calls: [@Sendable () async throws -> D1Result] = []
            for id in 10..<30 {
                calls.append { () async throws in try await insert.bind(.integer(Int64(id)), .text("v\(id)")).run() }
            }
            // A duplicate key, in the middle of the group.
            calls.insert({ () async throws in try await insert.bind(1, "duplicate").run() }, at: 7)
            // A multi-statement text whose second statement fails: nothing of it stays.
            calls.insert(
                { () async throws in
                    try await database.prepare("INSERT INTO t (id, v) VALUES (100, 'a'); INSERT INTO t (id, v) VALUES (101, NULL)").run()
                },
                at: 12
            )
            let outcomes = try await self.runInOneGroup(database, calls)

            #expect(outcomes.count == 22)
            for (index, outcome) in outcomes.enumerated() {
                switch index {
                case 7:
                    #expect(
                        outcome.failure?.description
                            == "D1_ERROR: UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
                    )
                case 12:
                    #expect(
                        outcome.failure?.description
                            == "D1_ERROR: NOT NULL constraint failed: t.v: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_NOTNULL)"
                    )
                default:
                    let id = Int64(index < 7 ? 10 + index : index < 12 ? 9 + index : 8 + index)
                    let meta = try #require(outcome.success?.meta)
                    #expect(meta.changes == 1)
                    #expect(meta.lastRowId == id)
                    #expect(meta.changedDb)
                }
            }
            // Read through another connection: exactly the successful calls are stored.
            let check = try D1LocalDatabase(path: path)
            defer { check.close() }
            var rows: [[D1Value]] = []
            var source = SQLTextStatements("SELECT id, v FROM t ORDER BY id")
            try check.runScript(&source) { rows = $0.rows }
            #expect(rows == [[1, "existing"]] + (10..<30).map { [.integer(Int64($0)), .text("v\($0)")] })
        }
    }

    @Test func aBatchStaysAllOrNothingInsideAGroup() async throws {
        try await self.withFileDatabase(schema: "CREATE TABLE t (id INTEGER PRIMARY KEY)") { database, _ in
            let insert = database.prepare("INSERT INTO t (id) VALUES (?)")
            let outcomes = try await self.runInOneGroup(
                database,
                [
                    { () async throws in try await insert.bind(1).run() },
                    { () async throws in
                        _ = try await database.batch([insert.bind(2), insert.bind(3), insert.bind(1)])
                        return D1Result(meta: D1Meta(), results: [])
                    },
                    { () async throws in
                        let results = try await database.batch([insert.bind(4), insert.bind(5)])
                        return results[1]
                    },
                ]
            )
            #expect(outcomes[0].success != nil)
            #expect(outcomes[1].failure?.message.hasPrefix("UNIQUE constraint failed: t.id") == true)
            #expect(outcomes[2].success?.meta.lastRowId == 5)
            #expect(try await database.prepare("SELECT id FROM t ORDER BY id").raw() == [[1], [4], [5]])
        }
    }

    /// `INSERT OR ROLLBACK` ends the whole transaction; the calls before it in the group run again.
    @Test func aFailureThatEndsTheTransactionDoesNotCostTheOthers() async throws {
        try await self.withFileDatabase(schema: "CREATE TABLE t (id INTEGER PRIMARY KEY)") { database, _ in
            try await database.run("INSERT INTO t (id) VALUES (1)")
            let outcomes = try await self.runInOneGroup(
                database,
                [
                    { () async throws in try await database.run("INSERT INTO t (id) VALUES (2)") },
                    { () async throws in try await database.run("INSERT INTO t (id) VALUES (3)") },
                    { () async throws in try await database.run("INSERT OR ROLLBACK INTO t (id) VALUES (1)") },
                    { () async throws in try await database.run("INSERT INTO t (id) VALUES (4)") },
                ]
            )
            #expect(outcomes[0].success?.meta.lastRowId == 2)
            #expect(outcomes[1].success?.meta.lastRowId == 3)
            #expect(
                outcomes[2].failure?.description
                    == "D1_ERROR: UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
            )
            #expect(outcomes[3].success?.meta.lastRowId == 4)
            #expect(try await database.prepare("SELECT id FROM t ORDER BY id").raw() == [[1], [2], [3], [4]])
        }
    }

    /// A deferred foreign key is checked when the call's own transaction would commit, not at the group's COMMIT.
    @Test func anUnresolvedDeferredForeignKeyFailsOnlyItsCall() async throws {
        let schema = """
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
            INSERT INTO parent (id) VALUES (1);
            """
        try await self.withFileDatabase(schema: schema) { database, _ in
            let outcomes = try await self.runInOneGroup(
                database,
                [
                    { () async throws in try await database.run("INSERT INTO child (id, parent) VALUES (1, 1)") },
                    { () async throws in try await database.run("INSERT INTO child (id, parent) VALUES (2, 99)") },
                    { () async throws in
                        // Resolved within the batch: fine.
                        let results = try await database.batch([
                            database.prepare("INSERT INTO child (id, parent) VALUES (3, 2)"),
                            database.prepare("INSERT INTO parent (id) VALUES (2)"),
                        ])
                        return results[1]
                    },
                    { () async throws in
                        // `defer_foreign_keys` lasts for its own call only: the next call's immediate check applies.
                        _ = try await database.batch([database.prepare("PRAGMA defer_foreign_keys = ON")])
                        return D1Result(meta: D1Meta(), results: [])
                    },
                    { () async throws in try await database.run("INSERT INTO child (id, parent) VALUES (4, 98)") },
                ]
            )
            #expect(outcomes[0].success != nil)
            let foreignKey = "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
            #expect(outcomes[1].failure?.description == foreignKey)
            #expect(outcomes[2].success != nil)
            #expect(outcomes[3].success != nil)
            #expect(outcomes[4].failure?.description == foreignKey)
            #expect(try await database.prepare("SELECT id, parent FROM child ORDER BY id").raw() == [[1, 1], [3, 2]])
            #expect(try await database.scalar("PRAGMA defer_foreign_keys") == .integer(0))
        }
    }

    /// A deferred violation outside the writer's group behaves the same as alone (one call, one group).
    @Test func deferredForeignKeyAloneGivesTheSameError() async throws {
        try await withDatabase { database in
            _ = try await database.exec(
                "CREATE TABLE parent (id INTEGER PRIMARY KEY)\nCREATE TABLE child (parent INTEGER REFERENCES parent(id))"
            )
            let error = await d1Error {
                _ = try await database.batch([
                    database.prepare("PRAGMA defer_foreign_keys = ON"), database.prepare("INSERT INTO child VALUES (5)"),
                ])
            }
            #expect(error?.description == "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)")
            let execError = await d1Error { _ = try await database.exec("PRAGMA defer_foreign_keys = ON\nINSERT INTO child VALUES (6)") }
            #expect(
                execError?.description
                    == "D1_EXEC_ERROR: Error in line 1: PRAGMA defer_foreign_keys = ON: FOREIGN KEY constraint failed: "
                    + "SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
            )
            #expect(try await database.scalar("SELECT count(*) FROM child") == .integer(0))
        }
    }

    // MARK: - Reads

    @Test func readsDoNotWaitForTheWriter() async throws {
        try await self.withFileDatabase(schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") { database, _ in
            try await database.run("INSERT INTO t (id, v) VALUES (7, 'seven')")
            let resume = database.groupWriter.pause()
            // The writer is busy (as during another request's fsync); a read still answers at once.
            let result = try await database.prepare("SELECT v FROM t WHERE id = ?").bind(7).all()
            resume()
            #expect(result.results.map(\.object) == [["v": "seven"]])
            // Read connections report the writer's last insert rowid (connection-wide in D1), and a read changes
            // nothing.
            #expect(result.meta.lastRowId == 7)
            #expect(result.meta.changes == 0)
            #expect(!result.meta.changedDb)
            #expect(result.meta.sizeAfter == 8192)
        }
    }

    @Test func everyWriteThatReturnedIsVisibleToTheNextRead() async throws {
        try await self.withFileDatabase(schema: "CREATE TABLE counter (n INTEGER)") { database, _ in
            try await database.run("INSERT INTO counter (n) VALUES (0)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<25 {
                            let before = try await database.scalar("SELECT n FROM counter")
                            let inserted = try await database.prepare("INSERT INTO counter (n) VALUES (1) RETURNING rowid").first()
                            let rowid = try #require(inserted?["rowid"])
                            // Read-your-writes: the row this task just wrote is visible to its next read.
                            #expect(try await database.prepare("SELECT count(*) AS c FROM counter WHERE rowid = ?").bind(rowid).first("c") == 1)
                            #expect(before == 0)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await database.scalar("SELECT count(*) FROM counter") == .integer(201))
        }
    }

    @Test func statementsThatOnlyLookLikeReadsGoToTheWriter() async throws {
        try await self.withFileDatabase(schema: "CREATE TABLE t (v INTEGER)") { database, _ in
            // A CTE that writes.
            for value in [1, 2] {
                let result = try await database.prepare("WITH x(v) AS (SELECT ?) INSERT INTO t SELECT v FROM x").bind(.integer(Int64(value))).run()
                #expect(result.meta.changes == 1)
            }
            // Several statements starting with a SELECT.
            let multi = try await database.prepare("SELECT 1; INSERT INTO t (v) VALUES (3)").run()
            #expect(multi.meta.changes == 1)
            // A temporary table lives on the write connection, and reads of it find it.
            try await database.run("CREATE TEMP TABLE scratch (v)")
            try await database.run("INSERT INTO scratch VALUES (42)")
            #expect(try await database.scalar("SELECT v FROM scratch") == .integer(42))
            #expect(try await database.prepare("SELECT v FROM t ORDER BY v").raw() == [[1], [2], [3]])
        }
    }

    @Test func readErrorsAreTheSameAsOnTheWriter() async throws {
        try await self.withFileDatabase(schema: "CREATE TABLE t (v)") { database, _ in
            let missing = await d1Error { try await database.run("SELECT * FROM nope") }
            #expect(missing?.description == "D1_ERROR: no such table: nope: SQLITE_ERROR")
            let bindings = await d1Error { try await database.run("SELECT ?", 1, 2) }
            #expect(bindings?.description == "D1_ERROR: Wrong number of parameter bindings for SQL query.")
            let function = await d1Error { try await database.run("SELECT nope(1)") }
            #expect(function?.description == "D1_ERROR: no such function: nope at offset 7: SQLITE_ERROR")
        }
    }

    // MARK: - Statement cache

    @Test func cachedStatementsFollowSchemaChangesFromAnotherConnection() async throws {
        try await self.withFileDatabase(schema: "CREATE TABLE t (a INTEGER)") { database, path in
            for n in 0..<3 { try await database.run("INSERT INTO t (a) VALUES (?)", .integer(Int64(n))) }
            #expect(try await database.prepare("SELECT * FROM t ORDER BY 1").raw(columnNames: true) == [["a"], [0], [1], [2]])

            let other = try D1LocalDatabase(path: path)
            defer { other.close() }
            var change = SQLTextStatements("DROP TABLE t; CREATE TABLE t (b TEXT, c TEXT); INSERT INTO t VALUES ('x', 'y')")
            try other.runScript(&change)
            // The cached `SELECT *` is prepared again and sees the new columns.
            #expect(try await database.prepare("SELECT * FROM t ORDER BY 1").raw(columnNames: true) == [["b", "c"], ["x", "y"]])
            let insertError = await d1Error { try await database.run("INSERT INTO t (a) VALUES (?)", 9) }
            #expect(insertError?.description == "D1_ERROR: table t has no column named a: SQLITE_ERROR")

            var drop = SQLTextStatements("DROP TABLE t")
            try other.runScript(&drop)
            let error = await d1Error { try await database.run("SELECT * FROM t ORDER BY 1") }
            #expect(error?.description == "D1_ERROR: no such table: t: SQLITE_ERROR")
        }
    }

    @Test func aSettingPragmaLastsForItsCallEvenWhenRepeated() async throws {
        try await withDatabase { database in
            for _ in 0..<3 {
                try await database.run("PRAGMA recursive_triggers = ON")
                #expect(try await database.scalar("PRAGMA recursive_triggers") == .integer(0))
                try await database.run("PRAGMA case_sensitive_like = ON")
                #expect(try await database.scalar("SELECT 'a' LIKE 'A'") == .integer(1))
            }
        }
    }

    @Test func repeatedBatchesReuseStatementsAndReportEachUse() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            let insert = database.prepare("INSERT INTO t (v) VALUES (?)")
            for round in 0..<3 {
                let results = try await database.batch((0..<100).map { insert.bind(.text("r\(round)-\($0)")) })
                #expect(results.map(\.meta.changes) == Array(repeating: 1, count: 100))
                #expect(results.map(\.meta.lastRowId) == (1...100).map { Int64(round * 100 + $0) })
            }
            // A full scan of 300 rows takes 299 steps after the first; a reused statement reports its own use only.
            let scan = try await database.prepare("SELECT count(*) FROM t WHERE v LIKE 'r1-%'").all()
            #expect(scan.meta.rowsRead == 299)
            let again = try await database.prepare("SELECT count(*) FROM t WHERE v LIKE 'r1-%'").all()
            #expect(again.meta.rowsRead == 299)
        }
    }
}

extension Result {
    fileprivate var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
