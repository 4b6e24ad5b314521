import FlareletCore
import FlareletD1
import FlareletJSON
import Testing

/// 1.1 and 1.4: the prepared-statement methods and parameter binding.
struct StatementTests {
    private func seeded(_ database: SQLiteD1Database) async throws {
        try await database.run("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)")
        try await database.run("INSERT INTO users (name, age) VALUES ('ada', 36), ('bob', 41)")
    }

    @Test func allReturnsRowObjectsInOrder() async throws {
        try await withDatabase { database in
            try await self.seeded(database)
            let result = try await database.prepare("SELECT id, name, age FROM users ORDER BY id").all()
            #expect(result.success)
            #expect(result.results.count == 2)
            #expect(result.results[0].columns == ["id", "name", "age"])
            #expect(result.results[0].values == [.integer(1), .text("ada"), .integer(36)])
            #expect(result.results[1].object == JSONObject([("id", .integer(2)), ("name", .string("bob")), ("age", .integer(41))]))
        }
    }

    @Test func firstReturnsFirstRowOrNil() async throws {
        try await withDatabase { database in
            try await self.seeded(database)
            let row = try await database.prepare("SELECT name FROM users ORDER BY id DESC").first()
            #expect(row?.values == [.text("bob")])
            let none = try await database.prepare("SELECT name FROM users WHERE id = 99").first()
            #expect(none == nil)
        }
    }

    @Test func firstOnAWriteReturnsNilButWrites() async throws {
        try await withDatabase { database in
            try await self.seeded(database)
            let row = try await database.prepare("INSERT INTO users (name) VALUES ('cy')").first()
            #expect(row == nil)
            #expect(try await database.scalar("SELECT count(*) FROM users") == .integer(3))
        }
    }

    @Test func firstDoesNotLimitTheStatement() async throws {
        try await withDatabase { database in
            try await self.seeded(database)
            // Every row is updated although only the first returned row is kept.
            let row = try await database.prepare("UPDATE users SET age = age + 1 RETURNING id").first()
            #expect(row?.values == [.integer(1)])
            #expect(try await database.scalar("SELECT sum(age) FROM users") == .integer(79))
        }
    }

    @Test func firstColumn() async throws {
        try await withDatabase { database in
            try await self.seeded(database)
            let name = try await database.prepare("SELECT name FROM users WHERE id = ?").bind(2).first("name")
            #expect(name == .text("bob"))
            // No rows: nil, and no column check.
            let missing = try await database.prepare("SELECT name FROM users WHERE id = 99").first("nope")
            #expect(missing == nil)
            let error = await d1Error { _ = try await database.prepare("SELECT name FROM users").first("nope") }
            #expect(error?.description == "D1_COLUMN_NOTFOUND: Column not found (nope)")
            #expect(error?.kind == .columnNotFound)
        }
    }

    @Test func runCarriesReturningRowsAndEmptyResultsOtherwise() async throws {
        try await withDatabase { database in
            try await self.seeded(database)
            let plain = try await database.prepare("INSERT INTO users (name) VALUES ('cy')").run()
            #expect(plain.results.isEmpty)
            #expect(plain.json["results"] == .array([]))
            let returning = try await database.prepare("INSERT INTO users (name) VALUES ('di') RETURNING id, name").run()
            #expect(returning.results.map(\.values) == [[.integer(4), .text("di")]])
        }
    }

    @Test func rawReturnsArraysAndOptionallyColumnNames() async throws {
        try await withDatabase { database in
            try await self.seeded(database)
            let statement = database.prepare("SELECT id, name FROM users ORDER BY id")
            #expect(try await statement.raw() == [[.integer(1), .text("ada")], [.integer(2), .text("bob")]])
            #expect(
                try await statement.raw(columnNames: true) == [
                    [.text("id"), .text("name")], [.integer(1), .text("ada")], [.integer(2), .text("bob")],
                ]
            )
        }
    }

    @Test func rawColumnNamesWithZeroRows() async throws {
        try await withDatabase { database in
            try await self.seeded(database)
            let statement = database.prepare("SELECT id, name FROM users WHERE id > 100")
            #expect(try await statement.raw() == [])
            #expect(try await statement.raw(columnNames: true) == [[.text("id"), .text("name")]])
        }
    }

    @Test func duplicateColumnNames() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE a (id INTEGER, v TEXT)")
            try await database.run("CREATE TABLE b (id INTEGER, w TEXT)")
            try await database.run("INSERT INTO a VALUES (1, 'x')")
            try await database.run("INSERT INTO b VALUES (2, 'y')")
            let statement = database.prepare("SELECT * FROM a, b")
            // all()/first(): one `id`, first position, last value.
            let row = try #require(try await statement.all().results.first)
            #expect(row.object.keys == ["id", "v", "w"])
            #expect(row.object["id"] == .integer(2))
            #expect(try await statement.first("id") == .integer(2))
            // raw(): every column.
            #expect(
                try await statement.raw(columnNames: true) == [
                    [.text("id"), .text("v"), .text("id"), .text("w")],
                    [.integer(1), .text("x"), .integer(2), .text("y")],
                ]
            )
        }
    }

    @Test func bindReturnsANewStatementAndTheOriginalIsReusable() async throws {
        try await withDatabase { database in
            let statement = database.prepare("SELECT ? AS v")
            let one = statement.bind(1)
            let two = statement.bind(2)
            let values = [try await one.first("v"), try await two.first("v"), try await one.first("v")]
            #expect(values == [.integer(1), .integer(2), .integer(1)])
            #expect(statement.query.bindings.isEmpty)
            let error = await d1Error { _ = try await statement.all() }
            #expect(error?.description == "D1_ERROR: Wrong number of parameter bindings for SQL query.")
        }
    }

    @Test func orderedParameters() async throws {
        try await withDatabase { database in
            let row = try await database.prepare("SELECT ?2 AS b, ?1 AS a, ?2 AS c").bind("first", "second").first()
            #expect(row?.values == [.text("second"), .text("first"), .text("second")])
            // `?1` used twice counts once.
            #expect(try await database.prepare("SELECT ?1 + ?1 AS v").bind(21).first("v") == .integer(42))
            // `?3` alone means three parameters.
            #expect(try await database.prepare("SELECT ?3 AS v").bind(nil, nil, "x").first("v") == .text("x"))
        }
    }

    @Test(arguments: [
        ("SELECT ?", [D1Value]()),
        ("SELECT ?", [1, 2]),
        ("SELECT 1", [1]),
        ("SELECT ?1, ?1", [1, 1]),
        ("SELECT ?3", [1]),
    ])
    func wrongNumberOfBindings(sql: String, bindings: [D1Value]) async throws {
        try await withDatabase { database in
            let error = await d1Error { _ = try await database.prepare(sql).bind(bindings).all() }
            #expect(error?.description == "D1_ERROR: Wrong number of parameter bindings for SQL query.")
        }
    }

    @Test func multipleStatementsRunAllAndReturnTheLast() async throws {
        try await withDatabase { database in
            let result = try await database.prepare(
                "CREATE TABLE t (x); INSERT INTO t VALUES (1); SELECT x, 'last' AS tag FROM t ORDER BY x"
            ).all()
            #expect(result.results.map(\.values) == [[.integer(1), .text("last")]])
            let error = await d1Error {
                _ = try await database.prepare("INSERT INTO t VALUES (?); SELECT x FROM t").bind(5).all()
            }
            #expect(
                error?.description
                    == "D1_ERROR: When executing multiple SQL statements in a single call, only the last statement can have parameters."
            )
            let last = try await database.prepare("INSERT INTO t VALUES (2); INSERT INTO t VALUES (?) RETURNING x").bind(3).all()
            #expect(last.results.map(\.values) == [[.integer(3)]])
            #expect(try await database.prepare("SELECT x FROM t ORDER BY x").raw() == [[.integer(1)], [.integer(2)], [.integer(3)]])
        }
    }

    @Test func multipleStatementsAreAtomic() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (x)")
            let error = await d1Error {
                _ = try await database.prepare("INSERT INTO t VALUES (1); INSERT INTO missing VALUES (2)").run()
            }
            #expect(error?.description == "D1_ERROR: no such table: missing: SQLITE_ERROR")
            #expect(try await database.scalar("SELECT count(*) FROM t") == .integer(0))
        }
    }

    @Test func trailingSemicolonsAndCommentsAreOneStatement() async throws {
        try await withDatabase { database in
            let result = try await database.prepare("SELECT ? AS v; -- done\n;  /* end */").bind(7).raw()
            #expect(result == [[.integer(7)]])
        }
    }

    @Test(arguments: ["", "   ", "-- only a comment", "/* block */", " ; ;", "\n-- a\n/* b */;\n"])
    func emptyQueryFails(sql: String) async throws {
        try await withDatabase { database in
            let error = await d1Error { _ = try await database.prepare(sql).all() }
            #expect(error?.description == "D1_ERROR: No SQL statements detected.")
        }
    }

    @Test func dumpAlwaysFails() async throws {
        try await withDatabase { database in
            let error = await d1Error { _ = try await database.dump() }
            #expect(error?.description == "D1_DUMP_ERROR: Status + 404")
        }
    }
}
