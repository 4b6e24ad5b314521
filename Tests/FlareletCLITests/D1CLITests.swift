import FlareletCore
import FlareletD1
import FlareletJSON
import Foundation
import Testing

@testable import FlareletCLI

// MARK: - A temporary project

/// A temporary project directory with a `wrangler.toml` and its own state directory (`--persist-to`).
final class CLIProject: @unchecked Sendable {
    /// The bindings of the VoiceMode seed's `wrangler.toml` (002: KV `KV`, D1 `DB` named `voicemode-telemetry`).
    static let voiceModeToml = """
        name = "voicemode-telemetry"
        main = "counter"
        compatibility_date = "2024-12-01"

        [[kv_namespaces]]
        binding = "KV"
        id = "00000000000000000000000000000000"

        [[d1_databases]]
        binding = "DB"
        database_name = "voicemode-telemetry"
        database_id = "00000000-0000-0000-0000-000000000000"

        [triggers]
        crons = ["0 2 * * *"]
        """

    /// The VoiceMode events schema (idempotent).
    static let voiceModeSchema = """
        -- VoiceMode telemetry D1 schema.
        CREATE TABLE IF NOT EXISTS events (
            event_id TEXT PRIMARY KEY,      -- client-chosen id; makes submissions idempotent
            telemetry_id TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            created_at TEXT NOT NULL,
            environment TEXT NOT NULL,
            usage TEXT NOT NULL,
            client_ip_hash TEXT NOT NULL
        );

        CREATE INDEX IF NOT EXISTS idx_events_telemetry_id ON events(telemetry_id);
        CREATE INDEX IF NOT EXISTS idx_events_timestamp ON events(timestamp);
        CREATE INDEX IF NOT EXISTS idx_events_created_at ON events(created_at);
        CREATE INDEX IF NOT EXISTS idx_events_telemetry_timestamp ON events(telemetry_id, timestamp);
        """

    let directory: TemporaryDirectory
    let state: TemporaryDirectory

    init(toml: String = CLIProject.voiceModeToml) throws {
        self.directory = try TemporaryDirectory()
        self.state = try TemporaryDirectory()
        try self.write("wrangler.toml", toml)
    }

    var path: String { self.directory.path }
    var databasePath: String { self.state.path + "/d1/voicemode-telemetry.sqlite" }
    var banner: String { "Local D1 database: binding DB, environment top level, file \(self.databasePath)" }

    func write(_ name: String, _ text: String) throws {
        let url = self.directory.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: self.path + "/" + name, encoding: .utf8)
    }

    /// Runs `flarelet <arguments> --persist-to <state>` in the project directory.
    func run(_ arguments: [String], stdin: String? = nil) throws -> CommandResult {
        try runFlarelet(arguments + ["--persist-to", self.state.path], directory: self.directory.url, stdin: stdin)
    }

    /// Runs a command that must succeed and returns its output.
    @discardableResult
    func succeed(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        let result = try self.run(arguments)
        #expect(result.status == 0, "flarelet \(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// `d1 execute DB --command <sql> --json`, parsed.
    func query(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [JSONValue] {
        let result = try self.succeed(["d1", "execute", "DB", "--command", sql, "--json"], sourceLocation: sourceLocation)
        return try #require(try JSONValue.parse(result.stdout).arrayValue, sourceLocation: sourceLocation).elements
    }

    /// The `results` of each statement of `sql`.
    func rows(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[JSONValue]] {
        try self.query(sql, sourceLocation: sourceLocation).map { $0["results"]?.arrayValue?.elements ?? [] }
    }
}

/// The lines of `text` without the trailing empty one.
func lines(_ text: String) -> [String] {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines
}

/// The `✘ [ERROR]` message that ends standard error (it may span lines), or a description of what was there.
func errorMessage(_ result: CommandResult) -> String {
    guard let marker = result.stderr.range(of: "✘ [ERROR] ", options: .backwards) else { return "no error line in: \(result.stderr)" }
    let message = result.stderr[marker.upperBound...]
    return String(message.hasSuffix("\n") ? message.dropLast() : message)
}

// MARK: - d1 execute

struct D1ExecuteTests {
    @Test func jsonOutputIsExactlyWranglersShape() throws {
        let project = try CLIProject()
        let result = try project.succeed([
            "d1", "execute", "voicemode-telemetry", "--json", "--command",
            """
            CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n);
            INSERT INTO t VALUES (42, 1.5, 'a"b', x'010203', NULL), (-1, 100.0, '', x'', NULL);
            SELECT * FROM t ORDER BY i DESC;
            SELECT 1 AS x, 2 AS x
            """,
        ])
        #expect(result.stderr == "")
        let parsed = try JSONValue.parse(result.stdout)
        // Nothing else on stdout: the text is exactly the pretty-printed document.
        #expect(result.stdout == parsed.stringify(indent: 2) + "\n")
        let entries = try #require(parsed.arrayValue)
        #expect(entries.count == 4)
        for entry in entries {
            let object = try #require(entry.objectValue)
            #expect(object.keys == ["results", "success", "meta"])
            #expect(entry["success"] == .bool(true))
            let meta = try #require(entry["meta"]?.objectValue)
            #expect(meta.keys == ["duration"])
            #expect(meta["duration"]?.isNumber == true)
        }
        #expect(entries[0]["results"] == .array([]))
        #expect(entries[1]["results"] == .array([]))
        let rows = try #require(entries[2]["results"]?.arrayValue)
        #expect(rows.count == 2)
        #expect(rows[0].objectValue?.keys == ["i", "r", "s", "b", "n"])
        #expect(rows[0] == ["i": 42, "r": 1.5, "s": "a\"b", "b": "[1, 2, 3]", "n": .null])
        #expect(rows[1] == ["i": -1, "r": 100, "s": "", "b": "[]", "n": .null])
        #expect(result.stdout.contains("\"r\": 100,"))
        // Duplicate column names: the last value wins, in the first position (a JavaScript object).
        #expect(entries[3]["results"] == .array([.object(["x": .number(2)])]))
        // INTEGER values keep all their digits (beyond 2^53).
        let big = try project.succeed(["d1", "execute", "DB", "--json", "--command", "SELECT 9007199254740993 AS big"])
        #expect(big.stdout.contains("\"big\": 9007199254740993\n"))
    }

    @Test func pipedOutputWithoutJSONHasTheLogLinesBeforeTheDocument() throws {
        let project = try CLIProject()
        let result = try project.succeed(["d1", "execute", "DB", "--command", "SELECT 1 AS one"])
        let output = lines(result.stdout)
        #expect(output[0] == project.banner)
        #expect(
            output[1] == "🌀 Executing on local database DB (00000000-0000-0000-0000-000000000000) from \(project.databasePath):"
        )
        #expect(output[2] == "🚣 1 command executed successfully.")
        let document = try JSONValue.parse(output[3...].joined(separator: "\n"))
        #expect(document.arrayValue?.first?["results"] == .array([.object(["one": .number(1)])]))
        #expect(project.databasePath.hasPrefix("/"))
        #expect(FileManager.default.fileExists(atPath: project.databasePath))

        let several = try project.succeed(["d1", "execute", "DB", "--command", "SELECT 1; SELECT 2"])
        #expect(lines(several.stdout)[2] == "🚣 2 commands executed successfully.")
    }

    #if os(Linux)
    @Test func terminalOutputIsATablePerStatementWithRows() throws {
        let project = try CLIProject()
        try project.succeed(["d1", "execute", "DB", "--command", "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, NULL), ('xyz', x'0102')"])
        let binary = try flareletBinary().path
        let command =
            "\(binary) d1 execute DB --persist-to \(project.state.path) --command "
            + "\"INSERT INTO t VALUES (2, 'é'); SELECT a, b FROM t ORDER BY rowid; SELECT 'this statement is longer than forty-eight characters' AS long_one\""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        process.currentDirectoryURL = project.directory.url
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let output = lines(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n"))
        #expect(
            output == [
                project.banner,
                "🌀 Executing on local database DB (00000000-0000-0000-0000-000000000000) from \(project.databasePath):",
                "SELECT a, b FROM t ORDER BY rowid",
                "┌─────┬────────┐",
                "│ a   │ b      │",
                "├─────┼────────┤",
                "│ 1   │ null   │",
                "├─────┼────────┤",
                "│ xyz │ [1, 2] │",
                "├─────┼────────┤",
                "│ 2   │ é      │",
                "└─────┴────────┘",
                "SELECT 'this statement is longer than forty-eigh...",
                "┌──────────────────────────────────────────────────────┐",
                "│ long_one                                             │",
                "├──────────────────────────────────────────────────────┤",
                "│ this statement is longer than forty-eight characters │",
                "└──────────────────────────────────────────────────────┘",
                "🚣 3 commands executed successfully.",
            ]
        )
    }
    #endif

    @Test func fileWithTriggerBodyCommentsAndQuotedSemicolonsRunsEveryStatement() throws {
        let project = try CLIProject()
        try project.write(
            "setup.sql",
            """
            -- Comments; with semicolons.
            CREATE TABLE log (msg TEXT);
            CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
            /* a block; comment */
            CREATE TRIGGER items_log AFTER INSERT ON items BEGIN
                INSERT INTO log VALUES ('added ' || new.name);
                INSERT INTO log VALUES (CASE WHEN new.id > 1 THEN 'more;' ELSE 'first;' END);
            END;
            INSERT INTO items (name) VALUES ('a;b'), ('c');
            """
        )
        let result = try project.succeed(["d1", "execute", "DB", "--file", "setup.sql", "--json"])
        #expect(try JSONValue.parse(result.stdout).arrayValue?.count == 4)
        #expect(
            try project.rows("SELECT msg FROM log ORDER BY rowid")
                == [[["msg": "added a;b"], ["msg": "first;"], ["msg": "added c"], ["msg": "more;"]]]
        )
    }

    @Test func failingStatementAppliesNothingAndNamesItsNumberAndLine() throws {
        let project = try CLIProject()
        try project.write(
            "bad.sql",
            """
            CREATE TABLE a (x);
            INSERT INTO a VALUES (1);

            -- the next statement starts on line 5
            INSERT INTO
              missing VALUES (2);
            INSERT INTO a VALUES (3);
            """
        )
        let result = try project.run(["d1", "execute", "DB", "--file", "bad.sql"])
        #expect(result.status == 1)
        #expect(errorMessage(result) == "Statement 3 (line 5) failed: no such table: missing: SQLITE_ERROR")
        #expect(try project.rows("SELECT name FROM sqlite_schema WHERE name = 'a'") == [[]])

        let json = try project.run(["d1", "execute", "DB", "--file", "bad.sql", "--json"])
        #expect(json.status == 1)
        #expect(json.stderr == "")
        #expect(
            json.stdout == """
                {
                  "error": {
                    "text": "Statement 3 (line 5) failed: no such table: missing: SQLITE_ERROR"
                  }
                }

                """
        )
    }

    @Test func sqliteDumpTransactionWrapperIsRemoved() throws {
        let project = try CLIProject()
        try project.write(
            "dump.sql",
            """
            PRAGMA foreign_keys=OFF;
            BEGIN TRANSACTION;
            CREATE TABLE t (x);
            INSERT INTO t VALUES ('COMMIT'), ('BEGIN');
            COMMIT;
            """
        )
        let result = try project.succeed(["d1", "execute", "DB", "--file", "dump.sql", "--json"])
        #expect(try JSONValue.parse(result.stdout).arrayValue?.count == 3)
        #expect(try project.rows("SELECT x FROM t") == [[["x": "COMMIT"], ["x": "BEGIN"]]])
        // Without the BEGIN TRANSACTION wrapper a COMMIT statement is left alone (and refused like in a worker).
        let commit = try project.run(["d1", "execute", "DB", "--command", "SELECT 1; COMMIT;"])
        #expect(commit.status == 1)
        #expect(errorMessage(commit).hasPrefix("Statement 2 (line 1) failed: To execute a transaction, please use"))
    }

    @Test(arguments: [
        "BEGIN TRANSACTION;\nCREATE TABLE t (x);\nCOMMIT;\nBEGIN TRANSACTION;\nCOMMIT;",
        "BEGIN TRANSACTION;\nCREATE TABLE t (x);\nCOMMIT;\nBEGIN TRANSACTION",
        "BEGIN TRANSACTION\n;CREATE TABLE t (x);",
    ])
    func severalTransactionsAreRefused(_ sql: String) throws {
        let project = try CLIProject()
        try project.write("two.sql", sql)
        for arguments in [["--file", "two.sql"], ["--command", sql]] {
            let result = try project.run(["d1", "execute", "DB"] + arguments)
            #expect(result.status == 1)
            #expect(
                errorMessage(result)
                    == "Wrangler could not process the provided SQL file, as it contains several transactions.\n"
                    + "D1 runs your SQL in a transaction for you.\nPlease export an SQL file from your SQLite database and try again."
            )
        }
        let created = FileManager.default.fileExists(atPath: project.databasePath)
        #expect(try !created || project.rows("SELECT name FROM sqlite_schema") == [[]])
    }

    @Test func trimmerFindsTheWrapperAcrossChunksAndJunctions() throws {
        // A large file: the wrapper is found even when it straddles the 64 KiB chunks.
        var text = "BEGIN TRANSACTION;\nCREATE TABLE t (x);\n"
        while text.utf8.count < 3 * SQLInput.chunkSize { text += "INSERT INTO t VALUES ('\(String(repeating: "v", count: 1000))');\n" }
        text += "COMMIT;\n"
        let removals = try SQLTransactionTrim.removals(.bytes(Array(text.utf8)))
        #expect(removals == [0..<18, (text.utf8.count - 8)..<(text.utf8.count - 1)])
        // `COMMIT;` formed once `BEGIN TRANSACTION;` is gone, as JavaScript's two replace() calls do.
        let junction = Array("SELECT 1;COMMBEGIN TRANSACTION;IT;".utf8)
        #expect(try SQLTransactionTrim.removals(.bytes(junction)) == [9..<34])
        // No BEGIN TRANSACTION: COMMIT; stays.
        #expect(try SQLTransactionTrim.removals(.bytes(Array("COMMIT;".utf8))) == [])
    }

    @Test func largeFileStreamsAsOneTransaction() throws {
        let project = try CLIProject()
        var text = "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);\n"
        for index in 0..<5000 { text += "INSERT INTO big (v) VALUES ('row \(index) \(String(repeating: "x", count: 40))');\n" }
        try project.write("big.sql", text)
        let result = try project.succeed(["d1", "execute", "DB", "--file", "big.sql"])
        #expect(result.stdout.contains("🚣 5001 commands executed successfully."))
        #expect(try project.rows("SELECT COUNT(*) AS n, MAX(id) AS top FROM big") == [[["n": 5000, "top": 5000]]])
    }

    @Test func remoteIsRefusedAtOnce() throws {
        let project = try CLIProject()
        let expected =
            "--remote is not supported: Flarelet works on local state only (.flarelet/state beside wrangler.toml, or --persist-to). "
            + "Remove --remote."
        for extra in [[], ["--local"], ["--preview"]] {
            let result = try project.run(["d1", "execute", "DB", "--command", "SELECT 1", "--remote"] + extra)
            #expect(result.status == 1)
            #expect(result.stdout == "")
            #expect(result.stderr == "✘ [ERROR] \(expected)\n")
        }
        let json = try project.run(["d1", "execute", "DB", "--command", "SELECT 1", "--remote", "--json"])
        #expect(json.status == 1)
        #expect(try JSONValue.parse(json.stdout) == ["error": ["text": .string(expected)]])
        #expect(!FileManager.default.fileExists(atPath: project.databasePath))
    }

    @Test func unknownDatabaseUsesWranglersSentenceAndCreatesNothing() throws {
        let project = try CLIProject()
        let result = try project.run(["d1", "execute", "nope", "--command", "SELECT 1"])
        #expect(result.status == 1)
        #expect(
            errorMessage(result)
                == "Couldn't find a D1 DB with the name or binding 'nope' in your wrangler.toml file.\n"
                + "Configured D1 databases: 'voicemode-telemetry' (binding 'DB')"
        )
        #expect(result.stdout == "")
        #expect(!FileManager.default.fileExists(atPath: project.state.path + "/d1"))
    }

    @Test(arguments: [
        (
            ["--command", "SELECT 1", "--file", "x.sql"],
            "Error: can't provide both --command and --file."
        ),
        (
            [],
            "Missing required option --command or --file. Provide a SQL command inline with --command=\"<SQL>\", "
                + "or a path to a SQL file with --file=<path>."
        ),
        (
            ["--command", "SELECT 1", "--preview"],
            "Cannot use --preview without --remote. The --preview flag targets a preview D1 database, which requires the "
                + "--remote flag. Remove --preview or add --remote."
        ),
        (
            ["--file", "missing.sql"],
            "Unable to read SQL text file \"missing.sql\". Please check the file path and try again."
        ),
        (
            ["--file", "."],
            "Unable to read SQL text file \".\". Please check the file path and try again."
        ),
    ])
    func argumentErrorsUseWranglersWording(_ arguments: [String], _ message: String) throws {
        let project = try CLIProject()
        let result = try project.run(["d1", "execute", "DB"] + arguments)
        #expect(result.status == 1)
        #expect(result.stderr == "✘ [ERROR] \(message)\n")
    }

    @Test func sqliteDatabaseFileIsNotSQLText() throws {
        let project = try CLIProject()
        try project.succeed(["d1", "execute", "DB", "--command", "CREATE TABLE t (x)"])
        let result = try project.run(["d1", "execute", "DB", "--file", project.databasePath])
        #expect(result.status == 1)
        #expect(
            errorMessage(result)
                == "Provided file is a binary SQLite database file instead of an SQL text file. The execute command can only "
                + "process SQL text files. Please export an SQL file from your SQLite database and try again."
        )
    }

    @Test func environmentsSelectTheirOwnDatabase() throws {
        let project = try CLIProject(
            toml: CLIProject.voiceModeToml + """


                [env.staging]
                name = "voicemode-staging"

                [[env.staging.d1_databases]]
                binding = "DB"
                database_name = "voicemode-staging-db"
                database_id = "staging"
                """
        )
        let result = try project.succeed(["d1", "execute", "DB", "--env", "staging", "--command", "CREATE TABLE s (x)"])
        let path = project.state.path + "/d1/voicemode-staging-db.sqlite"
        #expect(lines(result.stdout)[0] == "Local D1 database: binding DB, environment staging, file \(path)")
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func missingConfigurationSaysWhatToCreate() throws {
        let directory = try TemporaryDirectory()
        let result = try runFlarelet(["d1", "execute", "DB", "--command", "SELECT 1"], directory: directory.url)
        #expect(result.status == 1)
        #expect(errorMessage(result) == "No configuration file found. Create a wrangler.toml file to define your D1 database.")
    }
}

// MARK: - The seed READMEs' wrangler command lines

/// Every `wrangler d1 …` line of the VoiceMode README (seed 002_46ac61a99aa85f26.txt), run as `flarelet d1 …` in a
/// project with the same bindings. (The `kv:key` lines are in ``KVCLITests``.)
struct SeedCommandTests {
    @Test func voiceModeReadmeD1Commands() throws {
        let project = try CLIProject()
        try project.write("schema.sql", CLIProject.voiceModeSchema)
        // "wrangler d1 execute voicemode-telemetry --file=schema.sql" (twice: the schema is idempotent).
        for _ in 0..<2 {
            let schema = try project.succeed(["d1", "execute", "voicemode-telemetry", "--file=schema.sql"])
            #expect(schema.stdout.contains("🚣 5 commands executed successfully."))
        }
        try project.succeed([
            "d1", "execute", "voicemode-telemetry", "--command",
            """
            INSERT INTO events VALUES
              ('e1', 'u1', datetime('now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), '{}', '{}', 'h1'),
              ('e2', 'u1', datetime('now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 second'), '{}', '{}', 'h1'),
              ('e3', 'u2', datetime('now', '-10 days'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-100 days'), '{}', '{}', 'h2')
            """,
        ])
        // "Count total events", "View recent events", "Daily active users".
        #expect(try project.rows("SELECT COUNT(*) as total FROM events") == [[["total": 3]]])
        let recent = try project.rows("SELECT event_id, telemetry_id, timestamp FROM events ORDER BY created_at DESC LIMIT 10")
        #expect(recent[0].compactMap { $0["event_id"]?.stringValue } == ["e2", "e1", "e3"])
        #expect(
            try project.rows("SELECT COUNT(DISTINCT telemetry_id) as dau FROM events WHERE DATE(timestamp) = DATE('now')")
                == [[["dau": 1]]]
        )
        // "Query and save to file": --json > last-7-days.json.
        let week = try project.succeed([
            "d1", "execute", "voicemode-telemetry", "--command",
            "SELECT * FROM events WHERE timestamp >= datetime('now', '-7 days')", "--json",
        ])
        #expect(try JSONValue.parse(week.stdout).arrayValue?.first?["results"]?.arrayValue?.count == 2)
        // "Export to JSON" (an SQL file in fact).
        try project.succeed(["d1", "export", "voicemode-telemetry", "--output=telemetry-export.sql"])
        #expect(try project.read("telemetry-export.sql").hasPrefix("PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE events ("))
        // "Delete events older than 90 days".
        try project.succeed([
            "d1", "execute", "voicemode-telemetry", "--command",
            "DELETE FROM events WHERE created_at < datetime('now', '-90 days')",
        ])
        #expect(try project.rows("SELECT event_id FROM events ORDER BY event_id") == [[["event_id": "e1"], ["event_id": "e2"]]])
        // "Vacuum database to reclaim space": an operator's command on the local file, run outside any transaction
        // (platform-next.md 12); in a file or next to other statements it fails as upstream does.
        let vacuum = try project.succeed(["d1", "execute", "voicemode-telemetry", "--command", "VACUUM"])
        #expect(vacuum.stdout.hasSuffix("🚣 1 command executed successfully.\n"))
        let vacuumJSON = try project.succeed(["d1", "execute", "voicemode-telemetry", "--command", " vacuum; ", "--json"])
        #expect(try JSONValue.parse(vacuumJSON.stdout).arrayValue?.first?["success"] == true)
        #expect(try project.rows("SELECT event_id FROM events ORDER BY event_id") == [[["event_id": "e1"], ["event_id": "e2"]]])
        try project.write("vacuum.sql", "VACUUM;\n")
        let inFile = try project.run(["d1", "execute", "voicemode-telemetry", "--file", "vacuum.sql"])
        #expect(inFile.status == 1)
        #expect(errorMessage(inFile) == "Statement 1 (line 1) failed: cannot VACUUM from within a transaction: SQLITE_ERROR")
        let mixed = try project.run(["d1", "execute", "voicemode-telemetry", "--command", "SELECT 1; VACUUM"])
        #expect(errorMessage(mixed) == "Statement 2 (line 1) failed: cannot VACUUM from within a transaction: SQLITE_ERROR")
        // "Run Queries via Wrangler" with the placeholder left in: a readable SQLite error.
        let placeholder = try project.run(["d1", "execute", "voicemode-telemetry", "--command", "YOUR_SQL_QUERY_HERE"])
        #expect(errorMessage(placeholder) == "Statement 1 (line 1) failed: near \"YOUR_SQL_QUERY_HERE\": syntax error at offset 0: SQLITE_ERROR")
    }
}

/// The same README lines run verbatim in the repository root, on its VoiceMode `wrangler.toml` and `schema.sql`
/// (with `--persist-to` a temporary directory, so the repository is left untouched).
struct RepositoryVoiceModeTests {
    @Test func readmeLinesOnTheRepositoryConfig() throws {
        let state = try TemporaryDirectory()
        let output = try TemporaryDirectory()
        func run(_ arguments: [String]) throws -> CommandResult {
            try runFlarelet(arguments + ["--persist-to", state.path], directory: repoRoot)
        }
        let schema = try run(["d1", "execute", "voicemode-telemetry", "--file=schema.sql"])
        #expect(schema.status == 0, "\(schema.stderr)")
        #expect(
            lines(schema.stdout).first
                == "Local D1 database: binding DB, environment top level, file \(state.path)/d1/voicemode-telemetry.sqlite"
        )
        let total = try run(["d1", "execute", "voicemode-telemetry", "--command", "SELECT COUNT(*) as total FROM events", "--json"])
        #expect(try JSONValue.parse(total.stdout).arrayValue?.first?["results"] == .array([["total": 0]]))
        let export = try run(["d1", "export", "voicemode-telemetry", "--output=\(output.path)/telemetry-export.sql"])
        #expect(export.status == 0)
        let list = try run(["kv:key", "list", "--namespace-id=cb2a5a76f7fb45e0830fadb70587c87d"])
        #expect(list.status == 0)
        #expect(list.stdout == "[]\n")
        let get = try run(["kv:key", "get", "rate:id:550e8400-e29b-41d4-a716-446655440000", "--namespace-id=cb2a5a76f7fb45e0830fadb70587c87d"])
        #expect(get.stdout == "Value not found\n")
        let delete = try run(["kv:key", "delete", "rate:id:TELEMETRY_ID", "--namespace-id=cb2a5a76f7fb45e0830fadb70587c87d"])
        #expect(delete.status == 0)
        #expect(FileManager.default.fileExists(atPath: state.path + "/d1/voicemode-telemetry.sqlite"))
        #expect(FileManager.default.fileExists(atPath: state.path + "/kv/KV"))
    }
}

// MARK: - d1 export

struct D1ExportTests {
    /// Creates a database exercising every value type, quoted names, AUTOINCREMENT, an index, a trigger and a view.
    static func populate(_ project: CLIProject) throws {
        try project.write(
            "data.sql",
            #"""
            CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, score REAL, avatar BLOB);
            CREATE TABLE "odd ""name""" (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
            CREATE TABLE audit (user_id INTEGER REFERENCES users(id), note TEXT);
            INSERT INTO users (name, score, avatar) VALUES
              ('O''Brien', 1.25, x'00ff7f'), ('line1
            line2', -0.5, NULL), ('tab\#tand \n literal', 1e300, x'');
            INSERT INTO users (name, score) VALUES ('cr' || char(13) || 'lf' || char(10), 12345678901234.5);
            INSERT INTO "odd ""name""" VALUES ('int', 9223372036854775807), ('neg', -9223372036854775808), ('real', 0.1),
              ('text', 'ünïcødé 🌀'), ('null', NULL), ('blob', x'deadbeef');
            CREATE INDEX users_by_name ON users (name);
            CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES (new.id, 'created; ok'); END;
            CREATE VIEW top_users AS SELECT name, score FROM users WHERE score > 0;
            INSERT INTO users (name, score) VALUES ('after trigger', 2);
            """#
        )
        try project.succeed(["d1", "execute", "DB", "--file", "data.sql"])
    }

    @Test func exportIsDumpShapedAndRoundTripsIntoAnEmptyDatabase() throws {
        let project = try CLIProject()
        try Self.populate(project)
        let result = try project.succeed(["d1", "export", "voicemode-telemetry", "--output", "dump.sql"])
        #expect(
            lines(result.stdout) == [
                project.banner,
                "🌀 Exporting local database voicemode-telemetry (00000000-0000-0000-0000-000000000000) from \(project.databasePath):",
                "🌀 Exporting SQL to dump.sql...",
                "Done!",
            ]
        )
        let dump = try project.read("dump.sql")
        #expect(!dump.hasSuffix("\n"))
        let statements = lines(dump)
        #expect(statements.first == "PRAGMA defer_foreign_keys=TRUE;")
        #expect(statements.contains(#"INSERT INTO "users" ("id","name","score","avatar") VALUES(1,'O''Brien',1.25,X'00ff7f');"#))
        #expect(
            statements.contains(#"INSERT INTO "users" ("id","name","score","avatar") VALUES(2,replace('line1\nline2','\n',char(10)),-0.5,NULL);"#)
        )
        #expect(
            statements.contains(
                #"INSERT INTO "users" ("id","name","score","avatar") VALUES(3,'tab\#tand \n literal',1e+300,X'');"#
            )
        )
        #expect(
            statements.contains(
                #"INSERT INTO "users" ("id","name","score","avatar") VALUES(4,replace(replace('cr\rlf\n','\r',char(13)),'\n',char(10)),12345678901234.5,NULL);"#
            )
        )
        #expect(dump.contains(#"CREATE TABLE IF NOT EXISTS "odd ""name""" (k TEXT PRIMARY KEY, v) WITHOUT ROWID;"#))
        #expect(dump.contains(#"INSERT INTO "odd ""name""" ("k","v") VALUES('int',9223372036854775807);"#))
        #expect(dump.contains(#"INSERT INTO "odd ""name""" ("k","v") VALUES('neg',-9223372036854775808);"#))
        #expect(dump.contains(#"INSERT INTO "odd ""name""" ("k","v") VALUES('real',0.1);"#))
        #expect(dump.contains(#"INSERT INTO "odd ""name""" ("k","v") VALUES('blob',X'deadbeef');"#))
        let tail = Array(statements.suffix(5))
        #expect(
            tail == [
                "DELETE FROM sqlite_sequence;",
                #"INSERT INTO "sqlite_sequence" ("name","seq") VALUES('users',5);"#,
                "CREATE INDEX users_by_name ON users (name);",
                "CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES (new.id, 'created; ok'); END;",
                "CREATE VIEW top_users AS SELECT name, score FROM users WHERE score > 0;",
            ]
        )

        // Import into an empty database and compare everything.
        let copy = try TemporaryDirectory()
        let imported = try runFlarelet(
            ["d1", "execute", "DB", "--file", "dump.sql", "--persist-to", copy.path, "--json"],
            directory: project.directory.url
        )
        #expect(imported.status == 0, "\(imported.stderr)")
        let compare = #"""
            SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name;
            SELECT * FROM users ORDER BY id;
            SELECT * FROM "odd ""name""" ORDER BY k;
            SELECT * FROM audit ORDER BY rowid;
            SELECT * FROM sqlite_sequence ORDER BY name;
            SELECT * FROM top_users ORDER BY name;
            SELECT id, typeof(score), typeof(avatar), quote(name) FROM users ORDER BY id;
            SELECT k, typeof(v), quote(v) FROM "odd ""name""" ORDER BY k
            """#
        let original = try project.rows(compare)
        let other = try runFlarelet(
            ["d1", "execute", "DB", "--command", compare, "--persist-to", copy.path, "--json"],
            directory: project.directory.url
        )
        let copied = try #require(try JSONValue.parse(other.stdout).arrayValue).map { $0["results"]?.arrayValue?.elements ?? [] }
        #expect(original.count == 8)
        #expect(original[1].count == 5)
        #expect(original[3].count == 1)
        #expect(copied == original)
    }

    @Test func tableFilterNoSchemaAndNoData() throws {
        let project = try CLIProject()
        try Self.populate(project)
        try project.succeed(["d1", "export", "DB", "--output", "only.sql", "--table", "audit", "--no-schema"])
        #expect(
            try project.read("only.sql")
                == "PRAGMA defer_foreign_keys=TRUE;\n"
                + #"INSERT INTO "audit" ("user_id","note") VALUES(5,'created; ok');"#
        )
        try project.succeed(["d1", "export", "DB", "--output", "schema.sql", "--no-data", "--table", "audit", "--table", "users_by_name"])
        #expect(
            try project.read("schema.sql")
                == "PRAGMA defer_foreign_keys=TRUE;\n"
                + "CREATE TABLE audit (user_id INTEGER REFERENCES users(id), note TEXT);\n"
                + "CREATE INDEX users_by_name ON users (name);"
        )
        let both = try project.run(["d1", "export", "DB", "--output", "x.sql", "--no-schema", "--no-data"])
        #expect(both.status == 1)
        #expect(errorMessage(both) == "You cannot specify both --no-schema and --no-data")
        let directory = try project.run(["d1", "export", "DB", "--output", "."])
        #expect(directory.status == 1)
        #expect(errorMessage(directory) == "--output must name a file, not a directory: .")
    }

    @Test func virtualTablesCannotBeExportedAndLeaveNoFile() throws {
        let project = try CLIProject()
        try project.succeed(["d1", "execute", "DB", "--command", "CREATE TABLE a (x); CREATE VIRTUAL TABLE docs USING fts5(body)"])
        let result = try project.run(["d1", "export", "DB", "--output", "v.sql"])
        #expect(result.status == 1)
        #expect(errorMessage(result) == "D1 Export error: cannot export databases with Virtual Tables (fts5)")
        #expect(!FileManager.default.fileExists(atPath: project.path + "/v.sql"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: project.path) == ["wrangler.toml"])
    }
}

// MARK: - d1 migrations

struct D1MigrationsTests {
    @Test func createListApplyOnceAndOnlyOnce() throws {
        let project = try CLIProject()
        let migrationsDir = project.path + "/migrations"
        let created = try project.succeed(["d1", "migrations", "create", "DB", "create users"])
        #expect(
            lines(created.stdout) == [
                project.banner,
                "? No migrations folder found. Set `migrations_dir` in your wrangler.toml file to choose a different path.",
                "Ok to create \(migrationsDir)?",
                "🤖 Using fallback value in non-interactive context: yes",
                "✅ Successfully created Migration '0001_create_users.sql'!",
                "",
                "The migration is available for editing here",
                "\(migrationsDir)/0001_create_users.sql",
            ]
        )
        let header = try project.read("migrations/0001_create_users.sql")
        #expect(header.hasPrefix("-- Migration number: 0001 \t "))
        #expect(header.hasSuffix("Z\n"))
        let timestamp = String(header.dropFirst("-- Migration number: 0001 \t ".count).dropLast())
        #expect(timestamp.count == 24)
        #expect(timestamp.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil)
        try project.write("migrations/0001_create_users.sql", header + "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n")

        let second = try project.succeed(["d1", "migrations", "create", "DB", "seed"])
        #expect(lines(second.stdout)[1] == "✅ Successfully created Migration '0002_seed.sql'!")
        try project.write("migrations/0002_seed.sql", "INSERT INTO users (name) VALUES ('it''s me');\n")
        // Ordering by number, not by text: 10 after 2.
        try project.write("migrations/10_more.sql", "INSERT INTO users (name) VALUES ('ten');")

        let listed = try project.succeed(["d1", "migrations", "list", "DB"])
        #expect(
            lines(listed.stdout) == [
                project.banner,
                "Migrations to be applied:",
                "┌───────────────────────┐",
                "│ Name                  │",
                "├───────────────────────┤",
                "│ 0001_create_users.sql │",
                "├───────────────────────┤",
                "│ 0002_seed.sql         │",
                "├───────────────────────┤",
                "│ 10_more.sql           │",
                "└───────────────────────┘",
            ]
        )

        let applied = try project.succeed(["d1", "migrations", "apply", "DB"])
        let output = lines(applied.stdout)
        #expect(output[1] == "Migrations to be applied:")
        #expect(output[3] == "│ name                  │")
        #expect(output[11] == "? About to apply 3 migration(s)")
        #expect(output[12] == "Your database may not be available to serve requests during the migration, continue?")
        #expect(output[13] == "🤖 Using fallback value in non-interactive context: yes")
        #expect(
            Array(output.suffix(9)) == [
                "┌───────────────────────┬────────┐",
                "│ name                  │ status │",
                "├───────────────────────┼────────┤",
                "│ 0001_create_users.sql │ ✅     │",
                "├───────────────────────┼────────┤",
                "│ 0002_seed.sql         │ ✅     │",
                "├───────────────────────┼────────┤",
                "│ 10_more.sql           │ ✅     │",
                "└───────────────────────┴────────┘",
            ]
        )
        #expect(output.contains("│ 0002_seed.sql         │ 🕒️     │"))
        #expect(try project.rows("SELECT name FROM users ORDER BY id") == [[["name": "it's me"], ["name": "ten"]]])
        let tracked = try project.rows("SELECT id, name, typeof(applied_at) AS t FROM d1_migrations ORDER BY id")
        #expect(
            tracked == [
                [
                    ["id": 1, "name": "0001_create_users.sql", "t": "text"],
                    ["id": 2, "name": "0002_seed.sql", "t": "text"],
                    ["id": 3, "name": "10_more.sql", "t": "text"],
                ]
            ]
        )

        let again = try project.succeed(["d1", "migrations", "apply", "DB"])
        #expect(lines(again.stdout) == [project.banner, "✅ No migrations to apply!"])
        let listAgain = try project.succeed(["d1", "migrations", "list", "DB"])
        #expect(lines(listAgain.stdout) == [project.banner, "✅ No migrations to apply!"])
        #expect(try project.rows("SELECT COUNT(*) AS n FROM users") == [[["n": 2]]])
    }

    @Test func failingMigrationLeavesNoTrackingRowAndStops() throws {
        let project = try CLIProject()
        try project.write("migrations/0001_ok.sql", "CREATE TABLE a (x);\n")
        try project.write("migrations/0002_bad.sql", "CREATE TABLE b (x);\nINSERT INTO b VALUES (1);\nINSERT INTO nope VALUES (1);\n")
        try project.write("migrations/0003_later.sql", "CREATE TABLE c (x);\n")
        let result = try project.run(["d1", "migrations", "apply", "DB", "-y"])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "✘ [ERROR] Migration 0002_bad.sql failed with the following errors:\n"
                + "✘ [ERROR] Statement 3 (line 3) failed: no such table: nope: SQLITE_ERROR\n"
        )
        let output = lines(result.stdout)
        #expect(!output.contains { $0.hasPrefix("? About to apply") })
        #expect(
            Array(output.suffix(9)) == [
                "┌────────────────┬────────┐",
                "│ name           │ status │",
                "├────────────────┼────────┤",
                "│ 0001_ok.sql    │ ✅     │",
                "├────────────────┼────────┤",
                "│ 0002_bad.sql   │ ❌     │",
                "├────────────────┼────────┤",
                "│ 0003_later.sql │ 🕒️     │",
                "└────────────────┴────────┘",
            ]
        )
        #expect(try project.rows("SELECT name FROM d1_migrations") == [[["name": "0001_ok.sql"]]])
        #expect(
            try project.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('a', 'b', 'c') ORDER BY name")
                == [[["name": "a"]]]
        )
        // Fixing the file lets the remaining migrations apply.
        try project.write("migrations/0002_bad.sql", "CREATE TABLE b (x);\n")
        let fixed = try project.succeed(["d1", "migrations", "apply", "DB"])
        #expect(fixed.stdout.contains("│ 0003_later.sql │ ✅     │"))
        #expect(try project.rows("SELECT COUNT(*) AS n FROM d1_migrations") == [[["n": 3]]])
    }

    @Test func missingFolderAndBadNames() throws {
        let project = try CLIProject()
        for command in ["list", "apply"] {
            let result = try project.run(["d1", "migrations", command, "DB"])
            #expect(result.status == 1)
            #expect(
                result.stderr
                    == "▲ [WARNING] No migrations folder found. Set `migrations_dir` in your wrangler.toml file to choose a "
                    + "different path.\n✘ [ERROR] No migrations present at \(project.path)/migrations.\n"
            )
        }
        for name in ["a/b", "a\\b"] {
            let result = try project.run(["d1", "migrations", "create", "DB", name])
            #expect(result.status == 1)
            #expect(
                errorMessage(result)
                    == "The migration name \"\(name)\" contains a path separator (\"/\" or \"\\\"). Please remove this and try again."
            )
        }
        #expect(!FileManager.default.fileExists(atPath: project.path + "/migrations"))
    }

    @Test func configuredDirectoryTableAndPattern() throws {
        let project = try CLIProject(
            toml: """
                name = "app"

                [[d1_databases]]
                binding = "DB"
                database_name = "voicemode-telemetry"
                migrations_dir = "db/migrations"
                migrations_table = "schema \\"history\\""
                migrations_pattern = "db/migrations/*/migration.sql"
                """
        )
        let missing = try project.run(["d1", "migrations", "list", "DB"])
        #expect(
            missing.stderr
                == "▲ [WARNING] No migrations folder found.\n✘ [ERROR] No migrations present at \(project.path)/db/migrations.\n"
        )
        try project.write("db/migrations/0002_second/migration.sql", "INSERT INTO t VALUES (2);")
        try project.write("db/migrations/0001_first/migration.sql", "CREATE TABLE t (x);")
        try project.write("db/migrations/0001_first/notes.sql", "this is not a migration")
        try project.write("db/migrations/0003.sql", "not matched either")
        let applied = try project.succeed(["d1", "migrations", "apply", "DB"])
        #expect(applied.stdout.contains("│ 0001_first/migration.sql  │ ✅     │"))
        #expect(
            try project.rows(#"SELECT name FROM "schema ""history""" ORDER BY id"#)
                == [[["name": "0001_first/migration.sql"], ["name": "0002_second/migration.sql"]]]
        )
    }

    @Test func orderingRule() {
        let names = ["b.sql", "10_c.sql", "a.sql", "9_b.sql", "1_a.sql", "0001_x/migration.sql", "01_z.sql"]
        #expect(
            names.sorted(by: MigrationSet.precedes)
                == ["0001_x/migration.sql", "01_z.sql", "1_a.sql", "9_b.sql", "10_c.sql", "a.sql", "b.sql"]
        )
        #expect(MigrationSet.leadingNumber("0042_add.sql") == 42)
        #expect(MigrationSet.leadingNumber("add.sql") == nil)
    }
}

// MARK: - Formatting (in-process)

struct D1FormattingTests {
    @Test func tableMatchesCliTable3Layout() {
        #expect(
            TextTable.render(headers: ["a", "long header"], rows: [["1", "x"], ["two\nlines", "✅"]])
                == """
                ┌───────┬─────────────┐
                │ a     │ long header │
                ├───────┼─────────────┤
                │ 1     │ x           │
                ├───────┼─────────────┤
                │ two   │ ✅          │
                │ lines │             │
                └───────┴─────────────┘
                """
        )
        #expect(TextTable.displayWidth("🕒️") == 2)
        #expect(TextTable.displayWidth("é") == 1)
        #expect(TextTable.displayWidth("日本") == 4)
    }

    @Test(arguments: [
        (D1Value.blob([1, 2, 3]), JSONValue.string("[1, 2, 3]"), "[1, 2, 3]"),
        (.blob([]), .string("[]"), "[]"),
        (.null, .null, "null"),
        (.integer(-7), .integer(-7), "-7"),
        (.real(0.1), .number(0.1), "0.1"),
        (.real(1e21), .number(1e21), "1e+21"),
        (.text("x"), .string("x"), "x"),
    ])
    func valueRendering(_ value: D1Value, _ json: JSONValue, _ cell: String) {
        #expect(value.executeJSON == json)
        #expect(value.cellText == cell)
    }

    @Test func statementsAreShortenedTo48Characters() {
        let long = String(repeating: "a", count: 48)
        #expect(D1Command.Execute.shorten(long) == long)
        #expect(D1Command.Execute.shorten(long + "b") == long + "...")
    }

    @Test func globMatching() {
        #expect(Glob.matches("*.sql", "0001_a.sql"))
        #expect(!Glob.matches("*.sql", "0001_a.sql.bak"))
        #expect(Glob.matches("00[0-9]?_*.sql", "0012_x.sql"))
        #expect(!Glob.matches("[!0]*", "0a"))
    }
}
