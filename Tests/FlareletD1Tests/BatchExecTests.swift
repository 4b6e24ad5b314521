import FlareletCore
import FlareletD1
import Testing

/// 1.6: `batch` and `exec` are single transactions.
struct BatchExecTests {
    @Test func batchReturnsOneResultPerStatementInOrder() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            let insert = database.prepare("INSERT INTO t (v) VALUES (?)")
            let results = try await database.batch([
                insert.bind("a"),
                insert.bind("b"),
                database.prepare("SELECT v FROM t ORDER BY id"),
            ])
            #expect(results.count == 3)
            #expect(results[0].meta.lastRowId == 1)
            #expect(results[0].meta.changes == 1)
            #expect(results[1].meta.lastRowId == 2)
            #expect(results[2].results.map(\.values) == [[.text("a")], [.text("b")]])
            #expect(results[2].meta.changedDb == false)
        }
    }

    @Test func batchRollsBackWhenAStatementFails() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE users (email TEXT UNIQUE)")
            let insert = database.prepare("INSERT INTO users VALUES (?)")
            let error = await d1Error {
                _ = try await database.batch([
                    insert.bind("a@x"),
                    database.prepare("CREATE TABLE other (x)"),
                    insert.bind("b@x"),
                    insert.bind("a@x"),
                    insert.bind("c@x"),
                ])
            }
            #expect(
                error?.description
                    == "D1_ERROR: UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)"
            )
            #expect(try await database.scalar("SELECT count(*) FROM users") == .integer(0))
            #expect(try await database.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'other'") == .integer(0))
            // The connection is usable afterwards and not left inside a transaction.
            try await database.run("INSERT INTO users VALUES ('a@x')")
            #expect(try await database.scalar("SELECT count(*) FROM users") == .integer(1))
        }
    }

    @Test func batchThrowsTheFirstError() async throws {
        try await withDatabase { database in
            let error = await d1Error {
                _ = try await database.batch([
                    database.prepare("SELECT * FROM missing_one"),
                    database.prepare("SELECT * FROM missing_two"),
                ])
            }
            #expect(error?.description == "D1_ERROR: no such table: missing_one: SQLITE_ERROR")
        }
    }

    @Test func emptyBatches() async throws {
        try await withDatabase { database in
            let empty = await d1Error { _ = try await database.batch([]) }
            #expect(empty?.description == "D1_ERROR: No SQL statements detected.")
            let blank = await d1Error {
                _ = try await database.batch([database.prepare(""), database.prepare("-- just a comment")])
            }
            #expect(blank?.description == "D1_ERROR: No SQL statements detected.")
        }
    }

    @Test func batchCanDeferForeignKeys() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            try await database.run("CREATE TABLE child (pid INTEGER REFERENCES parent (id))")
            _ = try await database.batch([
                database.prepare("PRAGMA defer_foreign_keys = on"),
                database.prepare("INSERT INTO child VALUES (1)"),
                database.prepare("INSERT INTO parent VALUES (1)"),
            ])
            #expect(try await database.scalar("SELECT count(*) FROM child") == .integer(1))
            // A deferred violation still fails at commit and rolls the batch back.
            let error = await d1Error {
                _ = try await database.batch([
                    database.prepare("PRAGMA defer_foreign_keys = on"),
                    database.prepare("INSERT INTO child VALUES (2)"),
                ])
            }
            #expect(
                error?.description == "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
            )
            #expect(try await database.scalar("SELECT count(*) FROM child") == .integer(1))
        }
    }

    @Test func batchRejectsTransactionStatements() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (x)")
            let error = await d1Error {
                _ = try await database.batch([database.prepare("INSERT INTO t VALUES (1)"), database.prepare("COMMIT")])
            }
            #expect(error?.description == transactionRefusal)
            #expect(try await database.scalar("SELECT count(*) FROM t") == .integer(0))
        }
    }

    @Test func aSplitScriptRunsAsOneBatch() async throws {
        try await withDatabase { database in
            let script = """
                -- Migration number: 0001
                CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, updated INTEGER DEFAULT 0);
                CREATE TABLE audit (note_id INTEGER, what TEXT);
                CREATE TRIGGER notes_audit AFTER UPDATE ON notes BEGIN
                  INSERT INTO audit VALUES (new.id, 'updated; ' || CASE WHEN new.body = old.body THEN 'same' ELSE 'changed' END);
                END;
                INSERT INTO notes (body) VALUES ('first; with a semicolon'), ('second');
                UPDATE notes SET body = 'edited' WHERE id = 1;
                """
            let statements = SQLSplitter.split(script)
            #expect(statements.count == 5)
            let results = try await database.batch(queries: statements.map { D1Query(sql: $0) })
            #expect(results.count == 5)
            #expect(try await database.prepare("SELECT what FROM audit").raw() == [[.text("updated; changed")]])
            #expect(try await database.prepare("SELECT body FROM notes WHERE id = 1").first("body") == .text("edited"))
        }
    }

    @Test func execRunsEachLineAndCountsThem() async throws {
        try await withDatabase { database in
            let result = try await database.exec(
                "\n  CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n\n   \nINSERT INTO t VALUES (2); INSERT INTO t VALUES (3);\r\n"
                    + "SELECT * FROM t;\n"
            )
            #expect(result.count == 4)
            #expect(result.duration > 0)
            #expect(try await database.scalar("SELECT count(*) FROM t") == .integer(3))
        }
    }

    @Test func execBreaksStatementsThatSpanLines() async throws {
        try await withDatabase { database in
            let error = await d1Error { _ = try await database.exec("CREATE TABLE t (\n  x\n);") }
            #expect(error?.description == "D1_EXEC_ERROR: Error in line 1: CREATE TABLE t (: incomplete input: SQLITE_ERROR")
            #expect(error?.kind == .exec)
        }
    }

    @Test func execReportsLineOneAndRollsBack() async throws {
        try await withDatabase { database in
            let error = await d1Error {
                _ = try await database.exec("CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\nINSERTZ INTO t VALUES (2);")
            }
            #expect(
                error?.description
                    == "D1_EXEC_ERROR: Error in line 1: CREATE TABLE t (x);: near \"INSERTZ\": syntax error at offset 0: SQLITE_ERROR"
            )
            #expect(error?.sqliteCode == 1)
            let objects = try await database.scalar("SELECT count(*) FROM sqlite_schema")
            #expect(objects == .integer(0))
        }
    }

    @Test func execRefusesTransactions() async throws {
        try await withDatabase { database in
            let error = await d1Error { _ = try await database.exec("BEGIN TRANSACTION;\nCREATE TABLE t (x);\nCOMMIT;") }
            #expect(error?.description == "D1_EXEC_ERROR: Error in line 1: BEGIN TRANSACTION;: " + transactionRefusal.dropFirst(10))
        }
    }

    @Test func execOfBlankTextFails() async throws {
        try await withDatabase { database in
            let error = await d1Error { _ = try await database.exec("  \n ") }
            #expect(error?.description == "D1_EXEC_ERROR: Error in line 1: : No SQL statements detected.")
        }
    }
}
