import FlareletCore
import Foundation
import Testing

@testable import FlareletD1

/// File databases: persistence, WAL, two connections on one file (7.5), connection set-up details.
struct PersistenceTests {
    @Test func writeCloseReopenRead() async throws {
        try await withTemporaryDirectory { directory in
            // Missing parent directories are created.
            let path = directory.appendingPathComponent("state/d1/app-db.sqlite").path
            let first = try SQLiteD1Database(path: path)
            do {
                try await first.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
                try await first.run("INSERT INTO t (v) VALUES (?)", "persisted")
                // WAL mode: the write-ahead log sits next to the database while it is open.
                #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            }
            first.close()
            #expect(first.path == path)

            let second = try SQLiteD1Database(path: path)
            defer { second.close() }
            #expect(try await second.prepare("SELECT v FROM t").first("v") == .text("persisted"))
        }
    }

    @Test func twoDatabasesOnOneFileWriteConcurrently() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("shared.sqlite").path
            let server = try SQLiteD1Database(path: path)
            defer { server.close() }
            let cli = try SQLiteD1Database(path: path)
            defer { cli.close() }
            try await server.run("CREATE TABLE events (id INTEGER PRIMARY KEY, source TEXT, n INTEGER)")

            let rounds = 150
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, database) in [("server", server), ("cli", cli)] {
                    group.addTask {
                        let insert = database.prepare("INSERT INTO events (source, n) VALUES (?, ?)")
                        for n in 0..<rounds {
                            if n % 3 == 0 {
                                _ = try await database.batch([insert.bind(.text(name), .integer(Int64(n))), insert.bind(.text(name), -1)])
                                _ = try await database.prepare("DELETE FROM events WHERE source = ? AND n = -1").bind(.text(name)).run()
                            } else if n % 3 == 1 {
                                _ = try await database.exec("INSERT INTO events (source, n) VALUES ('\(name)', \(n))")
                            } else {
                                _ = try await insert.bind(.text(name), .integer(Int64(n))).run()
                            }
                            _ = try await database.prepare("SELECT count(*) FROM events").first()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await server.scalar("SELECT count(*) FROM events") == .integer(Int64(2 * rounds)))
            #expect(try await cli.scalar("SELECT count(DISTINCT n) FROM events WHERE source = 'cli'") == .integer(Int64(rounds)))
        }
    }

    @Test func aWriteFromOneInstanceIsVisibleToTheOther() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("db.sqlite").path
            let one = try SQLiteD1Database(path: path)
            defer { one.close() }
            let two = try SQLiteD1Database(path: path)
            defer { two.close() }
            try await one.run("CREATE TABLE t (x)")
            try await two.run("INSERT INTO t VALUES (1)")
            #expect(try await one.scalar("SELECT count(*) FROM t") == .integer(1))
        }
    }

    @Test func aLockHeldLongerThanTheBusyTimeoutFailsOnlyThatQuery() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("locked.sqlite").path
            let database = try SQLiteD1Database(path: path)
            defer { database.close() }
            try await database.run("CREATE TABLE t (x)")
            // Another connection (think: a CLI process) holds the write lock for longer than 5 s.
            let other = try SQLiteConnection(path: path)
            try other.execute("BEGIN IMMEDIATE")
            let clock = ContinuousClock()
            let started = clock.now
            let error = await d1Error { try await database.run("INSERT INTO t VALUES (1)") }
            let waited = started.duration(to: clock.now)
            #expect(error?.description == "D1_ERROR: database is locked: SQLITE_BUSY")
            #expect(error?.sqliteCode == 5)
            #expect(waited >= .milliseconds(4900))
            // Reads still work while the lock is held, and writes resume once it is released.
            #expect(try await database.scalar("SELECT count(*) FROM t") == .integer(0))
            try other.execute("ROLLBACK")
            other.close()
            try await database.run("INSERT INTO t VALUES (1)")
            #expect(try await database.scalar("SELECT count(*) FROM t") == .integer(1))
        }
    }

    @Test func unopenableFileFails() async throws {
        try await withTemporaryDirectory { directory in
            // A directory where the database file should be.
            let path = directory.appendingPathComponent("taken").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            #expect(throws: D1Error.self) { try SQLiteD1Database(path: path) }
        }
    }

    @Test func connectionSetUp() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        defer { connection.close() }
        #expect(connection.isDefensive)
        #expect(connection.integer("PRAGMA foreign_keys") == 1)
        #expect(connection.integer("PRAGMA recursive_triggers") == 0)
        #expect(connection.integer("PRAGMA page_size") == 4096)
        for limit in SQLiteConnection.limits {
            #expect(connection.limit(limit.id) == limit.value)
        }
        #expect(SQLiteConnection.limits.count == 12)
        // Defensive mode: even trusted SQL cannot write the schema table directly.
        try connection.execute("CREATE TABLE t (x)")
        #expect(throws: D1Error.self) {
            try connection.execute("PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'garbage' WHERE name = 't'")
        }
    }

    @Test func fileConnectionUsesWAL() async throws {
        try await withTemporaryDirectory { directory in
            let connection = try SQLiteConnection(path: directory.appendingPathComponent("wal.sqlite").path)
            defer { connection.close() }
            try connection.execute("CREATE TABLE t (x)")
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("wal.sqlite-wal").path))
        }
    }
}
