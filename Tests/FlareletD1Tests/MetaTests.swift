import FlareletCore
import FlareletD1
import FlareletJSON
import Testing

/// 1.2: `meta` values and the `D1Result` shape.
struct MetaTests {
    @Test func createTableChangesTheDatabase() async throws {
        try await withDatabase { database in
            let meta = try await database.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").meta
            #expect(meta.servedBy == "miniflare.db")
            #expect(meta.changes == 0)
            #expect(meta.lastRowId == 0)
            #expect(meta.changedDb)
            #expect(meta.sizeAfter == 8192)
            #expect(meta.rowsWritten == 0)
        }
    }

    @Test func insertUpdateSelectMeta() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")

            let insert = try await database.run("INSERT INTO t (v) VALUES ('a'), ('b')").meta
            #expect(insert.changes == 2)
            #expect(insert.rowsWritten == 2)
            #expect(insert.lastRowId == 2)
            #expect(insert.changedDb)
            #expect(insert.sizeAfter == 8192)

            // last_row_id is connection-wide: a read reports what the last insert left.
            let select = try await database.run("SELECT * FROM t").meta
            #expect(select.changes == 0)
            #expect(select.lastRowId == 2)
            #expect(select.changedDb == false)
            #expect(select.sizeAfter == 8192)
            #expect(select.rowsRead >= 2)

            let update = try await database.run("UPDATE t SET v = 'c' WHERE id = 1").meta
            #expect(update.changes == 1)
            #expect(update.lastRowId == 2)
            #expect(update.changedDb)

            let noop = try await database.run("UPDATE t SET v = 'c' WHERE id = 99").meta
            #expect(noop.changes == 0)
            #expect(noop.changedDb == false)

            let delete = try await database.run("DELETE FROM t").meta
            #expect(delete.changes == 2)
            #expect(delete.changedDb)
        }
    }

    /// `rows_read` / `rows_written` as Miniflare reports them: a plain one-row `INSERT` reads 1 row, `INSERT …
    /// RETURNING` reads 2; a text of several statements reports the last statement's counters while `changes`
    /// covers all of them.
    @Test func rowsReadAndWrittenFollowMiniflare() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            let insert = try await database.run("INSERT INTO t (v) VALUES ('a')").meta
            #expect(insert.rowsRead == 1)
            #expect(insert.rowsWritten == 1)
            let returning = try await database.prepare("INSERT INTO t (v) VALUES ('b') RETURNING id").run()
            #expect(returning.meta.rowsRead == 2)
            #expect(returning.meta.rowsWritten == 1)
            #expect(returning.results.count == 1)

            let several = try await database.run(
                "INSERT INTO t (v) VALUES ('c'); INSERT INTO t (v) VALUES ('d'), ('e'); SELECT v FROM t WHERE id = 1"
            )
            #expect(several.meta.changes == 3)
            #expect(several.meta.rowsWritten == 0)
            #expect(several.meta.rowsRead == 1)
            let writes = try await database.run("SELECT 1; INSERT INTO t (v) VALUES ('f'), ('g')").meta
            #expect(writes.changes == 2)
            #expect(writes.rowsWritten == 2)
            #expect(writes.rowsRead == 2)
        }
    }

    @Test func changesIncludeRowsChangedByTriggers() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (v); CREATE TABLE log (v)")
            try await database.run("CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.v); END")
            let meta = try await database.run("INSERT INTO t VALUES (1)").meta
            #expect(meta.changes == 2)
            #expect(meta.lastRowId == 1)
        }
    }

    @Test func sizeAfterIsPageCountTimesPageSize() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE a (x); CREATE TABLE b (x)")
            let pageSize = try #require(try await database.scalar("PRAGMA page_size"))
            let meta = try await database.run("SELECT 1").meta
            #expect(pageSize == .integer(4096))
            #expect(meta.sizeAfter == 3 * 4096)
        }
    }

    @Test func durationIsRealElapsedMilliseconds() async throws {
        try await withDatabase { database in
            let meta = try await database.run(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT count(*) FROM c"
            ).meta
            #expect(meta.duration > 0)
            #expect(meta.duration < 60_000)
        }
    }

    @Test func resultJSONShape() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
            try await database.run("INSERT INTO t (v, b) VALUES ('x', x'0102')")
            let result = try await database.prepare("SELECT * FROM t").all()
            let object = try #require(result.json.objectValue)
            #expect(object.keys == ["success", "meta", "results"])
            #expect(object["success"] == .bool(true))
            let meta = try #require(object["meta"]?.objectValue)
            #expect(
                meta.keys == [
                    "served_by", "duration", "changes", "last_row_id", "changed_db", "size_after", "rows_read", "rows_written",
                ]
            )
            #expect(meta["served_by"] == .string("miniflare.db"))
            #expect(meta["duration"]?.isNumber == true)
            #expect(meta["changes"] == .number(0))
            #expect(meta["last_row_id"] == .integer(1))
            #expect(meta["changed_db"] == .bool(false))
            #expect(meta["size_after"] == .number(8192))
            #expect(
                object["results"]
                    == .array([.object(JSONObject([("id", .integer(1)), ("v", .string("x")), ("b", .array([.number(1), .number(2)]))]))])
            )
        }
    }

    @Test func resultJSONText() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, r REAL, b BLOB, n)")
            try await database.run("INSERT INTO t (v, r, b, n) VALUES ('x\"y', 2.5, x'0102', NULL)")
            var result = try await database.prepare("SELECT * FROM t").all()
            // duration and rows_read are not deterministic; pin them to check the rest byte for byte.
            result.meta.duration = 0.25
            result.meta.rowsRead = 1
            #expect(
                result.json.stringify()
                    == #"{"success":true,"meta":{"served_by":"miniflare.db","duration":0.25,"changes":0,"last_row_id":1,"#
                    + #""changed_db":false,"size_after":8192,"rows_read":1,"rows_written":0},"#
                    + #""results":[{"id":1,"v":"x\"y","r":2.5,"b":[1,2],"n":null}]}"#
            )
        }
    }

    @Test func writeResultJSONHasAnEmptyResultsArray() async throws {
        try await withDatabase { database in
            let result = try await database.run("CREATE TABLE t (x)")
            #expect(result.json["results"] == .array([]))
            #expect(result.json["meta"]?["changed_db"] == .bool(true))
        }
    }
}

/// platform-next.md 12: the binding refuses `VACUUM` as workerd does (only `flarelet d1 execute --command` runs it).
struct VacuumBindingTests {
    @Test func bindingRefusesVacuumWithUpstreamsMessage() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (v)")
            do throws(D1Error) {
                _ = try await database.prepare("VACUUM").run()
                Issue.record("VACUUM ran through the binding")
            } catch {
                #expect(error.description == "D1_ERROR: cannot VACUUM from within a transaction: SQLITE_ERROR")
            }
        }
    }
}
