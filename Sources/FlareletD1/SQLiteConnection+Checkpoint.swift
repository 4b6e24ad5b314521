import CSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the WAL of a file database is kept bounded, and what closing does on a full disk.
extension SQLiteConnection {
    /// `PRAGMA journal_size_limit`: after a checkpoint resets the WAL, the file is truncated to this size, so a
    /// burst that grew it (checkpoints held back by readers) does not keep the disk space.
    static let journalSizeLimit = 4 * 1024 * 1024

    /// Room kept besides the pages a checkpoint adds to the database file (SQLite's pending-byte page and
    /// file-system rounding).
    static let checkpointMargin: Int64 = 64 * 1024

    /// Runs before the handle closes. When the database file can grow by the pages the WAL holds, a truncating
    /// checkpoint moves them in and empties the WAL. When it cannot (the disk is full), the WAL is left exactly
    /// as the live connection had it and closing does not checkpoint: a checkpoint that fails halfway would use
    /// up freed space for a partly grown database file, and the next start would answer every write with
    /// `SQLITE_FULL` although the live process could still have written.
    func checkpointBeforeClose() {
        guard let handle = self.handle, self.path != ":memory:", !self.path.isEmpty else { return }
        let pages = self.integer("PRAGMA page_count") ?? 0
        let pageSize = self.integer("PRAGMA page_size") ?? 0
        var file = stat()
        guard stat(self.path, &file) == 0 else { return }
        let growth = max(0, pages * pageSize - Int64(file.st_size))
        if growth + Self.checkpointMargin <= Self.availableBytes(besides: self.path) {
            sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
        } else {
            self.setNoCheckpointOnClose()
        }
    }

    /// Bytes an unprivileged writer may still use on the file system holding `path`; `Int64.max` when unknown.
    static func availableBytes(besides path: String) -> Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return .max }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// `SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE` (through the same fixed-signature call as defensive mode).
    private func setNoCheckpointOnClose() {
        guard let handle = self.handle else { return }
        Self.setNoCheckpointOnClose(handle)
    }

    /// `SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE` on any handle.
    static func setNoCheckpointOnClose(_ handle: OpaquePointer) {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        guard let address = Self.dbConfigAddress, let symbol = UnsafeRawPointer(bitPattern: address) else { return }
        typealias DBConfigInt = @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<Int32>?) -> Int32
        let dbConfig = unsafeBitCast(symbol, to: DBConfigInt.self)
        var enabled: Int32 = 0
        _ = dbConfig(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &enabled)
        #endif
    }
}
