import CSQLite

/// Names of SQLite result codes, as workerd prints them in D1 error messages.
enum SQLiteResultCode {
    /// The name of a primary result code (`code & 0xff`), e.g. `SQLITE_CONSTRAINT`.
    static func primaryName(_ code: Int32) -> String {
        let primary = code & 0xff
        return self.primaryNames[primary] ?? "SQLITE_UNKNOWN(\(primary))"
    }

    /// The name of an extended result code, e.g. `SQLITE_CONSTRAINT_UNIQUE`; the primary code's own name when
    /// `code` carries no extended bits.
    static func extendedName(_ code: Int32) -> String {
        if code == code & 0xff { return self.primaryName(code) }
        return self.extendedNames[code] ?? "SQLITE_UNKNOWN(\(code))"
    }

    /// The suffix workerd appends to an SQLite message: `SQLITE_ERROR`, or
    /// `SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)` when the extended code differs.
    static func describe(_ code: Int32) -> String {
        let primary = self.primaryName(code)
        let extended = self.extendedName(code)
        return extended == primary ? primary : "\(primary) (extended: \(extended))"
    }

    private static let primaryNames: [Int32: String] = [
        SQLITE_OK: "SQLITE_OK",
        SQLITE_ERROR: "SQLITE_ERROR",
        SQLITE_INTERNAL: "SQLITE_INTERNAL",
        SQLITE_PERM: "SQLITE_PERM",
        SQLITE_ABORT: "SQLITE_ABORT",
        SQLITE_BUSY: "SQLITE_BUSY",
        SQLITE_LOCKED: "SQLITE_LOCKED",
        SQLITE_NOMEM: "SQLITE_NOMEM",
        SQLITE_READONLY: "SQLITE_READONLY",
        SQLITE_INTERRUPT: "SQLITE_INTERRUPT",
        SQLITE_IOERR: "SQLITE_IOERR",
        SQLITE_CORRUPT: "SQLITE_CORRUPT",
        SQLITE_NOTFOUND: "SQLITE_NOTFOUND",
        SQLITE_FULL: "SQLITE_FULL",
        SQLITE_CANTOPEN: "SQLITE_CANTOPEN",
        SQLITE_PROTOCOL: "SQLITE_PROTOCOL",
        SQLITE_EMPTY: "SQLITE_EMPTY",
        SQLITE_SCHEMA: "SQLITE_SCHEMA",
        SQLITE_TOOBIG: "SQLITE_TOOBIG",
        SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT",
        SQLITE_MISMATCH: "SQLITE_MISMATCH",
        SQLITE_MISUSE: "SQLITE_MISUSE",
        SQLITE_NOLFS: "SQLITE_NOLFS",
        SQLITE_AUTH: "SQLITE_AUTH",
        SQLITE_FORMAT: "SQLITE_FORMAT",
        SQLITE_RANGE: "SQLITE_RANGE",
        SQLITE_NOTADB: "SQLITE_NOTADB",
        SQLITE_NOTICE: "SQLITE_NOTICE",
        SQLITE_WARNING: "SQLITE_WARNING",
        SQLITE_ROW: "SQLITE_ROW",
        SQLITE_DONE: "SQLITE_DONE",
    ]

    private static let extendedNames: [Int32: String] = [
        SQLITE_ERROR | (1 << 8): "SQLITE_ERROR_MISSING_COLLSEQ",
        SQLITE_ERROR | (2 << 8): "SQLITE_ERROR_RETRY",
        SQLITE_ERROR | (3 << 8): "SQLITE_ERROR_SNAPSHOT",
        SQLITE_IOERR | (1 << 8): "SQLITE_IOERR_READ",
        SQLITE_IOERR | (2 << 8): "SQLITE_IOERR_SHORT_READ",
        SQLITE_IOERR | (3 << 8): "SQLITE_IOERR_WRITE",
        SQLITE_IOERR | (4 << 8): "SQLITE_IOERR_FSYNC",
        SQLITE_IOERR | (5 << 8): "SQLITE_IOERR_DIR_FSYNC",
        SQLITE_IOERR | (6 << 8): "SQLITE_IOERR_TRUNCATE",
        SQLITE_IOERR | (7 << 8): "SQLITE_IOERR_FSTAT",
        SQLITE_IOERR | (8 << 8): "SQLITE_IOERR_UNLOCK",
        SQLITE_IOERR | (9 << 8): "SQLITE_IOERR_RDLOCK",
        SQLITE_IOERR | (10 << 8): "SQLITE_IOERR_DELETE",
        SQLITE_IOERR | (11 << 8): "SQLITE_IOERR_BLOCKED",
        SQLITE_IOERR | (12 << 8): "SQLITE_IOERR_NOMEM",
        SQLITE_IOERR | (13 << 8): "SQLITE_IOERR_ACCESS",
        SQLITE_IOERR | (14 << 8): "SQLITE_IOERR_CHECKRESERVEDLOCK",
        SQLITE_IOERR | (15 << 8): "SQLITE_IOERR_LOCK",
        SQLITE_IOERR | (16 << 8): "SQLITE_IOERR_CLOSE",
        SQLITE_IOERR | (17 << 8): "SQLITE_IOERR_DIR_CLOSE",
        SQLITE_IOERR | (18 << 8): "SQLITE_IOERR_SHMOPEN",
        SQLITE_IOERR | (19 << 8): "SQLITE_IOERR_SHMSIZE",
        SQLITE_IOERR | (20 << 8): "SQLITE_IOERR_SHMLOCK",
        SQLITE_IOERR | (21 << 8): "SQLITE_IOERR_SHMMAP",
        SQLITE_IOERR | (22 << 8): "SQLITE_IOERR_SEEK",
        SQLITE_IOERR | (23 << 8): "SQLITE_IOERR_DELETE_NOENT",
        SQLITE_IOERR | (24 << 8): "SQLITE_IOERR_MMAP",
        SQLITE_IOERR | (25 << 8): "SQLITE_IOERR_GETTEMPPATH",
        SQLITE_IOERR | (26 << 8): "SQLITE_IOERR_CONVPATH",
        SQLITE_IOERR | (27 << 8): "SQLITE_IOERR_VNODE",
        SQLITE_IOERR | (28 << 8): "SQLITE_IOERR_AUTH",
        SQLITE_IOERR | (29 << 8): "SQLITE_IOERR_BEGIN_ATOMIC",
        SQLITE_IOERR | (30 << 8): "SQLITE_IOERR_COMMIT_ATOMIC",
        SQLITE_IOERR | (31 << 8): "SQLITE_IOERR_ROLLBACK_ATOMIC",
        SQLITE_IOERR | (32 << 8): "SQLITE_IOERR_DATA",
        SQLITE_IOERR | (33 << 8): "SQLITE_IOERR_CORRUPTFS",
        SQLITE_LOCKED | (1 << 8): "SQLITE_LOCKED_SHAREDCACHE",
        SQLITE_LOCKED | (2 << 8): "SQLITE_LOCKED_VTAB",
        SQLITE_BUSY | (1 << 8): "SQLITE_BUSY_RECOVERY",
        SQLITE_BUSY | (2 << 8): "SQLITE_BUSY_SNAPSHOT",
        SQLITE_BUSY | (3 << 8): "SQLITE_BUSY_TIMEOUT",
        SQLITE_CANTOPEN | (1 << 8): "SQLITE_CANTOPEN_NOTEMPDIR",
        SQLITE_CANTOPEN | (2 << 8): "SQLITE_CANTOPEN_ISDIR",
        SQLITE_CANTOPEN | (3 << 8): "SQLITE_CANTOPEN_FULLPATH",
        SQLITE_CANTOPEN | (4 << 8): "SQLITE_CANTOPEN_CONVPATH",
        SQLITE_CANTOPEN | (5 << 8): "SQLITE_CANTOPEN_DIRTYWAL",
        SQLITE_CANTOPEN | (6 << 8): "SQLITE_CANTOPEN_SYMLINK",
        SQLITE_CORRUPT | (1 << 8): "SQLITE_CORRUPT_VTAB",
        SQLITE_CORRUPT | (2 << 8): "SQLITE_CORRUPT_SEQUENCE",
        SQLITE_CORRUPT | (3 << 8): "SQLITE_CORRUPT_INDEX",
        SQLITE_READONLY | (1 << 8): "SQLITE_READONLY_RECOVERY",
        SQLITE_READONLY | (2 << 8): "SQLITE_READONLY_CANTLOCK",
        SQLITE_READONLY | (3 << 8): "SQLITE_READONLY_ROLLBACK",
        SQLITE_READONLY | (4 << 8): "SQLITE_READONLY_DBMOVED",
        SQLITE_READONLY | (5 << 8): "SQLITE_READONLY_CANTINIT",
        SQLITE_READONLY | (6 << 8): "SQLITE_READONLY_DIRECTORY",
        SQLITE_ABORT | (2 << 8): "SQLITE_ABORT_ROLLBACK",
        SQLITE_CONSTRAINT | (1 << 8): "SQLITE_CONSTRAINT_CHECK",
        SQLITE_CONSTRAINT | (2 << 8): "SQLITE_CONSTRAINT_COMMITHOOK",
        SQLITE_CONSTRAINT | (3 << 8): "SQLITE_CONSTRAINT_FOREIGNKEY",
        SQLITE_CONSTRAINT | (4 << 8): "SQLITE_CONSTRAINT_FUNCTION",
        SQLITE_CONSTRAINT | (5 << 8): "SQLITE_CONSTRAINT_NOTNULL",
        SQLITE_CONSTRAINT | (6 << 8): "SQLITE_CONSTRAINT_PRIMARYKEY",
        SQLITE_CONSTRAINT | (7 << 8): "SQLITE_CONSTRAINT_TRIGGER",
        SQLITE_CONSTRAINT | (8 << 8): "SQLITE_CONSTRAINT_UNIQUE",
        SQLITE_CONSTRAINT | (9 << 8): "SQLITE_CONSTRAINT_VTAB",
        SQLITE_CONSTRAINT | (10 << 8): "SQLITE_CONSTRAINT_ROWID",
        SQLITE_CONSTRAINT | (11 << 8): "SQLITE_CONSTRAINT_PINNED",
        SQLITE_CONSTRAINT | (12 << 8): "SQLITE_CONSTRAINT_DATATYPE",
        SQLITE_NOTICE | (1 << 8): "SQLITE_NOTICE_RECOVER_WAL",
        SQLITE_NOTICE | (2 << 8): "SQLITE_NOTICE_RECOVER_ROLLBACK",
        SQLITE_WARNING | (1 << 8): "SQLITE_WARNING_AUTOINDEX",
        SQLITE_AUTH | (1 << 8): "SQLITE_AUTH_USER",
        SQLITE_OK | (1 << 8): "SQLITE_OK_LOAD_PERMANENTLY",
        SQLITE_OK | (2 << 8): "SQLITE_OK_SYMLINK",
    ]
}
