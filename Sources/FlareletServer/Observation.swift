import CoreMetrics
import FlareletCore
import FlareletJSON
import Foundation
import Logging

/// The invocation a task is running for; log lines written under it are kept for that invocation's tail event.
enum InvocationContext {
    @TaskLocal static var id: UInt64 = 0
}

/// The worker's log handler: writes through the dev log handler and keeps each line the worker writes for the
/// invocation it belongs to (nothing is kept outside invocations, and nothing more is formatted than the line itself).
struct CapturingLogHandler: LogHandler {
    var base: any LogHandler
    let monitor: WorkerMonitor

    var logLevel: Logger.Level {
        get { self.base.logLevel }
        set { self.base.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { self.base.metadata }
        set { self.base.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { self.base.metadataProvider }
        set { self.base.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.base[metadataKey: key] }
        set { self.base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        self.base.log(event: event)
        let id = InvocationContext.id
        guard id != 0 else { return }
        // The host's own lines (uncaught errors, hints) are not the worker's console output; errors reach the event
        // as `exceptions`.
        let source = event.source
        if source == "FlareletCore" || source == "FlareletServer" { return }
        let level =
            switch event.level {
            case .trace, .debug: "debug"
            case .info: "log"
            case .notice: "info"
            case .warning: "warn"
            case .error, .critical: "error"
            }
        let line = TailLog(message: [.string(event.message.description)], level: level, timestamp: Date().epochMilliseconds)
        self.monitor.appendLog(line, invocation: id)
    }
}

/// Counts a KV binding's operations for `flarelet_kv_operations_total{op}`.
struct CountingKVNamespace: KVNamespace {
    let base: any KVNamespace
    let gets: any CounterHandler
    let puts: any CounterHandler
    let deletes: any CounterHandler
    let lists: any CounterHandler

    init(base: any KVNamespace, binding: String, metrics: WorkerMetrics) {
        self.base = base
        self.gets = metrics.kvOperations(binding: binding, op: "get")
        self.puts = metrics.kvOperations(binding: binding, op: "put")
        self.deletes = metrics.kvOperations(binding: binding, op: "delete")
        self.lists = metrics.kvOperations(binding: binding, op: "list")
    }

    func getWithMetadata(_ key: String, cacheTtl: Int?) async throws(KVError) -> KVEntry? {
        self.gets.increment(by: 1)
        return try await self.base.getWithMetadata(key, cacheTtl: cacheTtl)
    }

    func put(_ key: String, bytes value: [UInt8], options: KVPutOptions) async throws(KVError) {
        self.puts.increment(by: 1)
        try await self.base.put(key, bytes: value, options: options)
    }

    func delete(_ key: String) async throws(KVError) {
        self.deletes.increment(by: 1)
        try await self.base.delete(key)
    }

    func list(_ options: KVListOptions) async throws(KVError) -> KVListResult {
        self.lists.increment(by: 1)
        return try await self.base.list(options)
    }
}
