import FlareletCore
import FlareletD1
import FlareletTesting
import Foundation
import Testing

/// A full disk, some space freed, then the live connection or a restart (issue 14, item 6): a restart must recover
/// whenever the live process would have. Runs on a 4 MiB tmpfs where the machine allows mounting one.
@Suite(.enabled(if: SmallDisk.unavailableReason == nil, "needs a tmpfs: \(SmallDisk.unavailableReason ?? "")"))
struct DiskFullTests {
    /// One Drift-sized write: 20 rows of 2,000 bytes in one batch.
    static func write(_ database: SQLiteD1Database) async -> D1Error? {
        await d1Error {
            let padding = String(repeating: "x", count: 2000)
            _ = try await database.batch(queries: (0..<20).map { _ in D1Query(sql: "INSERT INTO e (pad) VALUES (?)", bindings: [.text(padding)]) })
        }
    }

    /// Fills a 4 MiB disk (1 MiB of it a file removed afterwards) until a write fails with SQLITE_FULL.
    static func fillThenFree() async throws -> (disk: SmallDisk, database: SQLiteD1Database, stored: Int) {
        let disk = try SmallDisk.mount(megabytes: 4).get()
        try disk.fill("filler", bytes: 1024 * 1024)
        let database = try SQLiteD1Database(path: disk.path + "/db.sqlite")
        try await database.run("CREATE TABLE e (id INTEGER PRIMARY KEY, pad TEXT)")
        var stored = 0
        var failure: D1Error?
        while failure == nil && stored < 1000 {
            failure = await Self.write(database)
            if failure == nil { stored += 1 }
        }
        let error = try #require(failure)
        #expect(error.description.contains("SQLITE_FULL"))
        // While full, writes keep failing with the same error rather than anything worse.
        #expect(await Self.write(database)?.description.contains("SQLITE_FULL") == true)
        try FileManager.default.removeItem(atPath: disk.path + "/filler")
        return (disk, database, stored)
    }

    static func rows(_ database: SQLiteD1Database) async throws -> Int64? {
        guard case .integer(let count)? = try await database.prepare("SELECT COUNT(*) AS n FROM e").first("n") else { return nil }
        return count
    }

    @Test func theLiveConnectionRecoversOnceSpaceIsFreed() async throws {
        let (disk, database, stored) = try await Self.fillThenFree()
        defer { disk.unmount() }
        defer { database.close() }
        for _ in 0..<10 { #expect(await Self.write(database) == nil) }
        #expect(try await Self.rows(database) == Int64((stored + 10) * 20))
    }

    @Test func aRestartRecoversWhereTheLiveConnectionWould() async throws {
        let (disk, database, stored) = try await Self.fillThenFree()
        defer { disk.unmount() }
        database.close()
        let restarted = try SQLiteD1Database(path: disk.path + "/db.sqlite")
        for _ in 0..<10 { #expect(await Self.write(restarted) == nil) }
        #expect(try await Self.rows(restarted) == Int64((stored + 10) * 20))
        restarted.close()
        #expect(try SQLiteInspection.integrityCheck(path: disk.path + "/db.sqlite") == ["ok"])
    }

    @Test func withRoomToSpareClosingCheckpointsAndRemovesTheWAL() async throws {
        let disk = try SmallDisk.mount(megabytes: 16).get()
        defer { disk.unmount() }
        let path = disk.path + "/db.sqlite"
        let database = try SQLiteD1Database(path: path)
        try await database.run("CREATE TABLE e (id INTEGER PRIMARY KEY, pad TEXT)")
        for _ in 0..<20 { #expect(await Self.write(database) == nil) }
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        database.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(try SQLiteInspection.rows(path: path, sql: "SELECT COUNT(*) FROM e") == [["400"]])
    }
}
