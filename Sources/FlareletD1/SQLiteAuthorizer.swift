import CSQLite

/// The authorizer workerd installs on D1 connections, plus the bookkeeping the connection needs.
///
/// Denies: table and index names starting with `_cf_` (case-insensitive), `BEGIN`/`COMMIT`/`ROLLBACK`
/// (``deniedTransaction`` records it so the caller can throw D1's own message), `SAVEPOINT`/`RELEASE`,
/// PRAGMAs outside ``allowedPragmas`` (and assigning `page_size`), `ATTACH` and `DETACH`.
/// Only touched from the connection's queue.
final class SQLiteAuthorizer {
    /// The PRAGMAs user SQL may run.
    static let allowedPragmas: Set<String> = [
        "data_version", "page_size", "case_sensitive_like", "foreign_keys", "defer_foreign_keys",
        "ignore_check_constraints", "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects",
        "foreign_key_check", "foreign_key_list", "index_info", "index_list", "index_xinfo", "quick_check",
        "optimize", "table_list", "table_info", "table_xinfo",
    ]

    /// Allowed PRAGMAs that change a connection-level setting when given a value.
    static let settingPragmas: Set<String> = [
        "case_sensitive_like", "foreign_keys", "defer_foreign_keys", "ignore_check_constraints",
        "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects",
    ]

    /// Off while the connection runs its own trusted SQL.
    var isEnabled = false
    /// Set when a transaction or savepoint statement was denied during the last prepare.
    var deniedTransaction = false
    /// Set when user SQL assigned a connection-level setting; cleared by whoever restores the defaults.
    var changedSetting = false
    /// Set once user SQL created a temporary table, index, trigger or view: those live on this connection only.
    var createdTemporaryObject = false

    func authorize(action: Int32, _ first: UnsafePointer<CChar>?, _ second: UnsafePointer<CChar>?) -> Int32 {
        guard self.isEnabled else { return SQLITE_OK }
        switch action {
        case SQLITE_TRANSACTION, SQLITE_SAVEPOINT:
            self.deniedTransaction = true
            return SQLITE_DENY
        case SQLITE_ATTACH, SQLITE_DETACH:
            return SQLITE_DENY
        case SQLITE_PRAGMA:
            guard let first else { return SQLITE_DENY }
            let name = String(cString: first).lowercased()
            guard Self.allowedPragmas.contains(name) else { return SQLITE_DENY }
            if second != nil {
                if name == "page_size" { return SQLITE_DENY }
                if Self.settingPragmas.contains(name) { self.changedSetting = true }
            }
            return SQLITE_OK
        // Temporary objects: checked like their permanent kind, and remembered.
        case SQLITE_CREATE_TEMP_TABLE, SQLITE_CREATE_TEMP_INDEX, SQLITE_CREATE_TEMP_TRIGGER, SQLITE_CREATE_TEMP_VIEW:
            let denied =
                switch action {
                case SQLITE_CREATE_TEMP_TABLE: Self.isReserved(first)
                case SQLITE_CREATE_TEMP_INDEX: Self.isReserved(first) || Self.isReserved(second)
                case SQLITE_CREATE_TEMP_TRIGGER: Self.isReserved(second)
                default: false
                }
            if denied { return SQLITE_DENY }
            self.createdTemporaryObject = true
            return SQLITE_OK
        // The first argument is a table or index name.
        case SQLITE_CREATE_TABLE, SQLITE_DROP_TABLE, SQLITE_DROP_TEMP_TABLE,
            SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE, SQLITE_READ, SQLITE_REINDEX, SQLITE_ANALYZE,
            SQLITE_CREATE_VTABLE, SQLITE_DROP_VTABLE:
            return Self.isReserved(first) ? SQLITE_DENY : SQLITE_OK
        // The first argument is an index name, the second its table.
        case SQLITE_CREATE_INDEX, SQLITE_DROP_INDEX, SQLITE_DROP_TEMP_INDEX:
            return Self.isReserved(first) || Self.isReserved(second) ? SQLITE_DENY : SQLITE_OK
        // The second argument is a table name.
        case SQLITE_CREATE_TRIGGER, SQLITE_DROP_TRIGGER, SQLITE_DROP_TEMP_TRIGGER,
            SQLITE_ALTER_TABLE:
            return Self.isReserved(second) ? SQLITE_DENY : SQLITE_OK
        default:
            return SQLITE_OK
        }
    }

    /// Whether `name` starts with `_cf_`, ignoring ASCII case. Reads at most four bytes; no allocation.
    static func isReserved(_ name: UnsafePointer<CChar>?) -> Bool {
        guard let name else { return false }
        let bytes = UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self)
        guard bytes[0] == UInt8(ascii: "_") else { return false }
        guard bytes[1] | 0x20 == UInt8(ascii: "c") else { return false }
        guard bytes[2] | 0x20 == UInt8(ascii: "f") else { return false }
        return bytes[3] == UInt8(ascii: "_")
    }
}
