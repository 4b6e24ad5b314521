import FlareletD1
import Testing

struct SQLSplitterTests {
    @Test(
        arguments: [
            ("", []),
            ("   \n\t ", []),
            ("SELECT 1", ["SELECT 1"]),
            ("SELECT 1;", ["SELECT 1"]),
            ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
            ("  SELECT 1  ;\n\n  SELECT 2  \n", ["SELECT 1", "SELECT 2"]),
            (";;; SELECT 1;;", ["SELECT 1"]),
            // Quotes containing `;` and other quote characters.
            ("INSERT INTO t VALUES ('a;b'); SELECT 2", ["INSERT INTO t VALUES ('a;b')", "SELECT 2"]),
            ("INSERT INTO t VALUES ('it''s; fine')", ["INSERT INTO t VALUES ('it''s; fine')"]),
            ("SELECT \"a;b\", `c;d`, [e;f] FROM t; SELECT 2", ["SELECT \"a;b\", `c;d`, [e;f] FROM t", "SELECT 2"]),
            ("SELECT '--not a comment'; SELECT '/*nor this*/'", ["SELECT '--not a comment'", "SELECT '/*nor this*/'"]),
            ("SELECT \"it's\"; SELECT 'say \"hi\"'", ["SELECT \"it's\"", "SELECT 'say \"hi\"'"]),
            // Comments.
            ("-- only a comment", []),
            ("/* only; a; comment */", []),
            ("-- a\n;\n/* b */;", []),
            ("-- leading; comment\nSELECT 1; -- trailing; comment", ["SELECT 1"]),
            ("SELECT 1 -- inner; comment\n, 2;", ["SELECT 1 -- inner; comment\n, 2"]),
            ("SELECT /* x; y */ 1; SELECT 2", ["SELECT /* x; y */ 1", "SELECT 2"]),
            ("SELECT 1 /* unterminated; comment", ["SELECT 1 /* unterminated; comment"]),
            ("SELECT 4-3; SELECT 6/2; SELECT -1", ["SELECT 4-3", "SELECT 6/2", "SELECT -1"]),
            ("SELECT 1 -", ["SELECT 1 -"]),
            ("/**/SELECT 1;/*/ still comment */SELECT 2", ["SELECT 1", "SELECT 2"]),
            // Trigger bodies.
            (
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); UPDATE c SET n = n + 1; END; SELECT 1",
                ["CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); UPDATE c SET n = n + 1; END", "SELECT 1"]
            ),
            (
                "create temp trigger tr before delete on t begin\n  select case when old.x > 1 then raise(abort, 'no;') end;\n"
                    + "  delete from u;\nend;\ncreate table z (a)",
                [
                    "create temp trigger tr before delete on t begin\n  select case when old.x > 1 then raise(abort, 'no;') end;\n"
                        + "  delete from u;\nend",
                    "create table z (a)",
                ]
            ),
            (
                "CREATE TRIGGER IF NOT EXISTS \"tr\" AFTER UPDATE ON t FOR EACH ROW WHEN new.a <> old.a BEGIN "
                    + "UPDATE t SET b = CASE new.a WHEN 1 THEN 'one' ELSE CASE WHEN 1 THEN 'x' END END WHERE id = new.id; END;",
                [
                    "CREATE TRIGGER IF NOT EXISTS \"tr\" AFTER UPDATE ON t FOR EACH ROW WHEN new.a <> old.a BEGIN "
                        + "UPDATE t SET b = CASE new.a WHEN 1 THEN 'one' ELSE CASE WHEN 1 THEN 'x' END END WHERE id = new.id; END"
                ]
            ),
            // BEGIN outside a trigger is a transaction statement, not a body.
            ("BEGIN TRANSACTION; CREATE TABLE t (x); COMMIT;", ["BEGIN TRANSACTION", "CREATE TABLE t (x)", "COMMIT"]),
            ("CREATE TABLE begin_end (x); SELECT 1", ["CREATE TABLE begin_end (x)", "SELECT 1"]),
        ] as [(String, [String])]
    )
    func split(sql: String, expected: [String]) {
        #expect(SQLSplitter.split(sql) == expected)
    }

    @Test func statementsCarryTheirStartingLine() {
        let statements = SQLSplitter.statements("-- header\n\nCREATE TABLE t (\n  x\n);\n\n  INSERT INTO t\nVALUES (1); SELECT 1;")
        #expect(
            statements == [
                SQLSplitter.Statement(text: "CREATE TABLE t (\n  x\n)", line: 3),
                SQLSplitter.Statement(text: "INSERT INTO t\nVALUES (1)", line: 7),
                SQLSplitter.Statement(text: "SELECT 1", line: 8),
            ]
        )
    }

    @Test func chunkedInputSplitsLikeWholeInput() {
        let sql =
            "-- c1\nINSERT INTO t VALUES ('a;''b'); /* c;2 */ SELECT 1 - 2;\n"
            + "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; END;\nSELECT [x;y] -- tail"
        let whole = SQLSplitter.statements(sql)
        #expect(whole.count == 4)
        let bytes = Array(sql.utf8)
        for chunkSize in [1, 2, 3, 7, 64] {
            var splitter = SQLSplitter()
            var chunked: [SQLSplitter.Statement] = []
            var start = 0
            while start < bytes.count {
                let end = min(start + chunkSize, bytes.count)
                chunked += splitter.append(bytes[start..<end])
                start = end
            }
            chunked += splitter.finish()
            #expect(chunked == whole, "chunk size \(chunkSize)")
        }
    }

    @Test func nonASCIIIsKept() {
        #expect(SQLSplitter.split("INSERT INTO t VALUES ('héllo; 🌍'); SELECT 'ü'") == ["INSERT INTO t VALUES ('héllo; 🌍')", "SELECT 'ü'"])
    }

    @Test func largeInputSplitsInLinearTime() {
        // 200,000 statements (about 6 MB) must split quickly; a quadratic splitter would not finish.
        let statement = "INSERT INTO t VALUES (1, 'a;b');\n"
        let sql = String(repeating: statement, count: 200_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(SQLSplitter.split(sql).count == 200_000)
        }
        #expect(elapsed < .seconds(20))
    }
}
