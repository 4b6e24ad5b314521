import FlareletCore
import FlareletD1
import Testing

/// 1.5, 1.7 and 1.8: error texts, refusals, limits and connection set-up.
struct ErrorTests {
    @Test func sqliteErrorTexts() async throws {
        try await withDatabase { database in
            let missing = await d1Error { try await database.run("SELECT * FROM users") }
            #expect(missing?.description == "D1_ERROR: no such table: users: SQLITE_ERROR")
            #expect(missing?.sqliteCode == 1)

            let syntax = await d1Error { try await database.run("PUT x") }
            #expect(syntax?.description == "D1_ERROR: near \"PUT\": syntax error at offset 0: SQLITE_ERROR")

            try await database.run("CREATE TABLE users (email TEXT UNIQUE NOT NULL)")
            try await database.run("INSERT INTO users VALUES ('a@x')")
            let unique = await d1Error { try await database.run("INSERT INTO users VALUES ('a@x')") }
            #expect(
                unique?.description
                    == "D1_ERROR: UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)"
            )
            #expect(unique?.sqliteCode == 2067)

            let notNull = await d1Error { try await database.run("INSERT INTO users VALUES (NULL)") }
            #expect(
                notNull?.description
                    == "D1_ERROR: NOT NULL constraint failed: users.email: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_NOTNULL)"
            )

            let column = await d1Error { try await database.run("SELECT nope FROM users") }
            #expect(column?.description == "D1_ERROR: no such column: nope at offset 7: SQLITE_ERROR")
        }
    }

    @Test(arguments: [
        "BEGIN", "BEGIN TRANSACTION", "begin immediate", "COMMIT", "END", "ROLLBACK", "SAVEPOINT sp", "RELEASE sp",
        "ROLLBACK TO sp", "CREATE TABLE t (x); BEGIN",
    ])
    func transactionStatementsAreRefusedVerbatim(sql: String) async throws {
        try await withDatabase { database in
            let error = await d1Error { try await database.run(sql) }
            #expect(error?.description == transactionRefusal)
            #expect(error?.sqliteCode == 23)
            // Nothing of a refused multi-statement query stays behind.
            let objects = try await database.scalar("SELECT count(*) FROM sqlite_schema")
            #expect(objects == .integer(0))
        }
    }

    @Test(arguments: [
        "CREATE TABLE _cf_x (a)", "CREATE TABLE _CF_KV (a)", "CREATE TABLE \"_Cf_y\" (a)", "CREATE INDEX _cf_i ON t (x)",
        "CREATE TABLE IF NOT EXISTS _cf_x AS SELECT 1 AS a", "CREATE VIEW v AS SELECT 1; CREATE TABLE _cf_z (a)",
    ])
    func reservedNamesAreNotAuthorized(sql: String) async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (x)")
            let error = await d1Error { try await database.run(sql) }
            #expect(error?.description == "D1_ERROR: not authorized: SQLITE_AUTH")
            #expect(error?.sqliteCode == 23)
        }
    }

    @Test func namesThatOnlyResembleTheReservedPrefixAreFine() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE cf_x (a); CREATE TABLE _cfx (a); CREATE TABLE _c (a)")
            #expect(try await database.scalar("SELECT count(*) FROM sqlite_schema") == .integer(3))
        }
    }

    @Test(arguments: [
        "PRAGMA journal_mode", "PRAGMA journal_mode = DELETE", "PRAGMA writable_schema = ON", "PRAGMA page_size = 8192",
        "PRAGMA synchronous = OFF", "PRAGMA user_version", "ATTACH 'other.db' AS other", "DETACH other",
    ])
    func disallowedStatements(sql: String) async throws {
        try await withDatabase { database in
            let error = await d1Error { try await database.run(sql) }
            #expect(error?.kind == .error)
            #expect(error?.sqliteCode == 23)
        }
    }

    /// platform-next.md 12: every call runs inside a transaction, so `VACUUM` fails on SQLite's own check.
    @Test func vacuumFailsAsInsideATransaction() async throws {
        try await withDatabase { database in
            let error = await d1Error { try await database.run("VACUUM") }
            #expect(error?.description == "D1_ERROR: cannot VACUUM from within a transaction: SQLITE_ERROR")
            #expect(error?.sqliteCode == 1)
        }
    }

    @Test(arguments: [
        "PRAGMA page_size", "PRAGMA data_version", "PRAGMA foreign_keys", "PRAGMA table_info(t)", "PRAGMA table_xinfo(t)",
        "PRAGMA index_list(t)", "PRAGMA foreign_key_list(t)", "PRAGMA foreign_key_check", "PRAGMA quick_check",
        "PRAGMA optimize", "PRAGMA table_list", "PRAGMA case_sensitive_like = ON", "PRAGMA main.table_info(t)",
    ])
    func allowedPragmas(sql: String) async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (x)")
            try await database.run(sql)
        }
    }

    @Test func foreignKeysAreOnAndStayOn() async throws {
        try await withDatabase { database in
            #expect(try await database.scalar("PRAGMA foreign_keys") == .integer(1))
            try await database.run("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            try await database.run("CREATE TABLE child (pid INTEGER REFERENCES parent (id))")
            let error = await d1Error { try await database.run("INSERT INTO child VALUES (5)") }
            #expect(
                error?.description == "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
            )
            // A PRAGMA only lasts for the query that ran it.
            try await database.run("PRAGMA foreign_keys = OFF")
            #expect(try await database.scalar("PRAGMA foreign_keys") == .integer(1))
            let again = await d1Error { try await database.run("INSERT INTO child VALUES (5)") }
            #expect(again?.sqliteCode == 787)
        }
    }

    @Test func recursiveTriggersAreOff() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (n INTEGER)")
            try await database.run(
                "CREATE TRIGGER again AFTER INSERT ON t WHEN new.n < 5 BEGIN INSERT INTO t VALUES (new.n + 1); END"
            )
            try await database.run("INSERT INTO t VALUES (1)")
            #expect(try await database.scalar("SELECT count(*) FROM t") == .integer(2))
        }
    }

    @Test func limits() async throws {
        try await withDatabase { database in
            let variables = (1...101).map { _ in "?" }.joined(separator: ", ")
            let tooMany = await d1Error {
                _ = try await database.prepare("SELECT \(variables)").bind(Array(repeating: .null, count: 101)).run()
            }
            #expect(tooMany?.description.hasPrefix("D1_ERROR: too many SQL variables") == true)
            #expect(tooMany?.description.hasSuffix(": SQLITE_ERROR") == true)
            // 100 are fine.
            let hundred = (1...100).map { _ in "?" }.joined(separator: ", ")
            _ = try await database.prepare("SELECT \(hundred)").bind(Array(repeating: 1, count: 100)).run()

            let ordinal = await d1Error { try await database.run("SELECT ?101") }
            #expect(ordinal?.description == "D1_ERROR: variable number must be between ?1 and ?100 at offset 7: SQLITE_ERROR")

            let compound = await d1Error {
                try await database.run((1...6).map { "SELECT \($0)" }.joined(separator: " UNION "))
            }
            #expect(compound?.description == "D1_ERROR: too many terms in compound SELECT: SQLITE_ERROR")

            let like = await d1Error { try await database.run("SELECT 'a' LIKE ?", .text(String(repeating: "a", count: 51))) }
            #expect(like?.description == "D1_ERROR: LIKE or GLOB pattern too complex: SQLITE_ERROR")

            let tooLong = await d1Error { try await database.run("SELECT 1" + String(repeating: " ", count: 100_000)) }
            #expect(tooLong?.description == "D1_ERROR: statement too long: SQLITE_TOOBIG")

            let tooBig = await d1Error { try await database.run("SELECT zeroblob(5000000)") }
            #expect(tooBig?.description == "D1_ERROR: string or blob too big: SQLITE_TOOBIG")

            let boundTooBig = await d1Error { try await database.run("SELECT ?", .text(String(repeating: "x", count: 4_194_305))) }
            #expect(boundTooBig?.description == "D1_ERROR: string or blob too big: SQLITE_TOOBIG")

            let columns = (1...101).map { "c\($0)" }.joined(separator: ", ")
            let wide = await d1Error { try await database.run("CREATE TABLE wide (\(columns))") }
            #expect(wide?.description == "D1_ERROR: too many columns on wide: SQLITE_ERROR")
        }
    }

    @Test func closedDatabaseThrows() async throws {
        let database = try SQLiteD1Database(path: ":memory:")
        database.close()
        database.close()
        let error = await d1Error { try await database.run("SELECT 1") }
        #expect(error?.description == "D1_ERROR: database is closed: SQLITE_MISUSE")
    }
}
