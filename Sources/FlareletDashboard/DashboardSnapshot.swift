import FlareletAssets
import FlareletConfig
import FlareletCore
import FlareletCron
import FlareletJSON
import FlareletServer
import Foundation

/// The JSON the dashboard page draws (`GET /api/snapshot` and each `/api/live` message).
enum DashboardSnapshot {
    static func worker(
        hosted: HostedWorker,
        url: String,
        monitor: MonitorSnapshot,
        storage: StorageSnapshot,
        now: Date,
        cronsRunning: Bool
    ) -> JSONValue {
        var object = JSONObject()
        object["name"] = .string(hosted.config.name)
        object["url"] = .string(url)
        object["config"] = .string(hosted.config.configPath)
        object["totalRequests"] = .integer(Int64(monitor.totalRequests))
        object["requestsLastMinute"] = .integer(Int64(monitor.requestsPerSecond.suffix(60).reduce(0, +)))
        object["requestsPerSecond"] = .array(monitor.requestsPerSecond.map { .integer(Int64($0)) })
        object["errorsPerSecond"] = .array(monitor.errorsPerSecond.map { .integer(Int64($0)) })
        var statuses = JSONObject()
        for entry in monitor.statusCounts { statuses[String(entry.status)] = .integer(Int64(entry.count)) }
        object["statusCounts"] = .object(statuses)
        object["p50Ms"] = monitor.p50Milliseconds.map { .number(Self.rounded($0)) } ?? .null
        object["p99Ms"] = monitor.p99Milliseconds.map { .number(Self.rounded($0)) } ?? .null
        object["cpuMsPerRequest"] = monitor.cpuMillisecondsPerRequest.map { .number(Self.rounded($0)) } ?? .null
        object["errors"] = .array(monitor.errors.reversed().map(\.json))
        object["d1"] = .array(
            storage.databases.map { database in
                var entry = JSONObject()
                entry["binding"] = .string(database.binding)
                entry["database"] = .string(database.name)
                entry["path"] = .string(database.path)
                entry["sizeBytes"] = .integer(Int64(database.sizeBytes))
                entry["tables"] = .array(
                    database.tables.map { .object(["name": .string($0.name), "rows": .integer(Int64($0.rows))] as JSONObject) }
                )
                entry["error"] = database.error.map { .string($0) } ?? .null
                return .object(entry)
            }
        )
        object["kv"] = .array(
            storage.namespaces.map { namespace in
                var entry = JSONObject()
                entry["binding"] = .string(namespace.binding)
                entry["path"] = .string(namespace.path)
                entry["keys"] = namespace.keys.map { .integer(Int64($0)) } ?? .null
                entry["error"] = namespace.error.map { .string($0) } ?? .null
                return .object(entry)
            }
        )
        object["crons"] = .array(
            hosted.crons.map { cron in
                var entry = JSONObject()
                entry["cron"] = .string(cron.text)
                let last = monitor.crons[cron.text]
                entry["lastRun"] = last.map { .integer($0.time) } ?? .null
                entry["outcome"] = last.map { .string($0.outcome) } ?? .null
                entry["durationMs"] = last.map { .number(Self.rounded($0.milliseconds)) } ?? .null
                entry["runs"] = .integer(Int64(last?.count ?? 0))
                let next = cronsRunning ? cron.nextFireTime(after: now).map { JSONValue.integer($0.epochMilliseconds) } : nil
                entry["nextRun"] = next ?? .null
                return .object(entry)
            }
        )
        if let assets = hosted.assets {
            object["assets"] = .object(
                ["directory": .string(assets.directoryPath), "files": .integer(Int64(assets.fileCount))] as JSONObject
            )
        } else {
            object["assets"] = .null
        }
        return .object(object)
    }

    /// Three decimals are plenty for milliseconds.
    static func rounded(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }
}
