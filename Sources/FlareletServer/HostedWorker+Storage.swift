import FlareletConfig
import FlareletCore
import FlareletD1
import FlareletKV
import Foundation

/// The size of a worker's local state, as the dashboard shows it.
public struct StorageSnapshot: Sendable {
    /// One D1 database.
    public struct Database: Sendable {
        public var binding: String
        public var name: String
        public var path: String
        /// The database file plus its write-ahead log, in bytes.
        public var sizeBytes: Int
        /// Row count of each table, by name.
        public var tables: [(name: String, rows: Int)]
        public var error: String?
    }

    /// One KV namespace.
    public struct Namespace: Sendable {
        public var binding: String
        public var path: String
        /// Live (unexpired) keys.
        public var keys: Int?
        public var error: String?
    }

    public var databases: [Database]
    public var namespaces: [Namespace]
}

/// The worker of an assets-only project (`[assets]` without `main`): the router never calls it.
struct AssetsOnlyWorker: Worker {
    func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        WorkerResponse(status: 404)
    }
}

extension HostedWorker {
    /// Reads every D1 database's size and row counts and every KV namespace's key count (not counted as worker
    /// queries in `/metrics`).
    public func storageSnapshot() async -> StorageSnapshot {
        var databases: [StorageSnapshot.Database] = []
        for (config, database) in zip(self.config.d1Databases, self.openDatabases) {
            let path = self.config.d1Path(for: config)
            var entry = StorageSnapshot.Database(
                binding: config.binding,
                name: config.stateName,
                path: path,
                sizeBytes: Self.fileSize(path) + Self.fileSize(path + "-wal"),
                tables: []
            )
            do {
                let names = try await database.query(
                    D1Query(
                        sql:
                            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name"
                    )
                )
                for row in names.rows {
                    guard case .text(let name) = row.first else { continue }
                    let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                    let count = try await database.query(D1Query(sql: "SELECT COUNT(*) FROM \(quoted)"))
                    if case .integer(let rows) = count.rows.first?.first { entry.tables.append((name, Int(rows))) }
                }
            } catch {
                entry.error = "\(error)"
            }
            databases.append(entry)
        }
        var namespaces: [StorageSnapshot.Namespace] = []
        for (config, namespace) in zip(self.config.kvNamespaces, self.openNamespaces) {
            var entry = StorageSnapshot.Namespace(binding: config.binding, path: self.config.kvPath(for: config))
            do {
                var keys = 0
                var cursor: String?
                repeat {
                    let page = try await namespace.list(KVListOptions(limit: 1000, cursor: cursor))
                    keys += page.keys.count
                    cursor = page.listComplete ? nil : page.cursor
                } while cursor != nil
                entry.keys = keys
            } catch {
                entry.error = "\(error)"
            }
            namespaces.append(entry)
        }
        return StorageSnapshot(databases: databases, namespaces: namespaces)
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
