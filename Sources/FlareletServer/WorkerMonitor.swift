public import CoreMetrics
import FlareletCore
import Foundation
import Synchronization

/// What `flarelet dev` observes about one hosted worker, for the dashboard, `/metrics` and `flarelet tail`.
///
/// Recording a request is cheap on purpose (the request path is benchmarked): one lock around fixed-size arrays
/// (requests per second for the last ten minutes, status counts, a latency histogram per minute), a cached Prometheus
/// counter and histogram, and nothing formatted. Tail events are only built when someone listens, or for errors,
/// which the dashboard keeps with their log lines.
public final class WorkerMonitor: Sendable {
    /// The worker name (`scriptName`).
    public let name: String
    let metrics: WorkerMetrics
    private let state = Mutex(State())
    private let nextInvocation = Atomic<UInt64>(1)
    private let listenerCount = Atomic<Int>(0)
    private let listeners = Mutex(Listeners())
    /// The monotonic instant second 0 of ``State/seconds`` refers to.
    private let origin = ContinuousClock.now

    static let secondsKept = 600
    static let minutesKept = 5
    static let logsKept = 512
    static let errorsKept = 20

    /// - Parameters:
    ///   - name: the worker name.
    ///   - factory: where metrics go (a Prometheus factory on the dashboard port, else swift-metrics' no-op).
    public init(name: String, factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.name = name
        self.metrics = WorkerMetrics(worker: name, factory: factory)
    }

    // MARK: Requests

    /// The current instant, for ``recordRequest(method:status:since:)``.
    @inline(__always)
    public func now() -> ContinuousClock.Instant { ContinuousClock.now }

    /// Records one HTTP request answered on this worker's port (worker, assets or `/cdn-cgi/…`).
    public func recordRequest(method: String, status: Int, since start: ContinuousClock.Instant) {
        let end = ContinuousClock.now
        let elapsed = end - start
        let nanos = elapsed.components.seconds &* 1_000_000_000 &+ elapsed.components.attoseconds / 1_000_000_000
        let sinceOrigin = (end - self.origin).components.seconds
        let counter = self.state.withLock { state -> any CounterHandler in
            state.record(second: sinceOrigin, status: status, nanos: nanos)
            return state.counter(method: method, status: status, metrics: self.metrics)
        }
        counter.increment(by: 1)
        self.metrics.duration.recordNanoseconds(nanos)
    }

    // MARK: Invocations and logs

    /// A fresh id for one worker invocation (a fetch or a cron run); log lines written under it belong to it.
    @inline(__always)
    func beginInvocation() -> UInt64 {
        self.nextInvocation.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Keeps one log line of invocation `id` (called by the worker's log handler).
    func appendLog(_ line: TailLog, invocation id: UInt64) {
        self.state.withLock { $0.appendLog(line, invocation: id) }
    }

    /// The log lines still kept for invocation `id`, oldest first.
    func logs(of id: UInt64) -> [TailLog] {
        self.state.withLock { $0.logs(of: id) }
    }

    /// Whether a tail client listens (events are only built for errors otherwise).
    @inline(__always)
    var hasListeners: Bool { self.listenerCount.load(ordering: .relaxed) > 0 }

    /// Hands a finished invocation's event to every listener, and keeps it when it is an error.
    func publish(_ event: TailEvent, isError: Bool) {
        if isError {
            self.state.withLock { $0.appendError(event) }
        }
        guard self.hasListeners else { return }
        let continuations = self.listeners.withLock { Array($0.continuations.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    /// Every event of this worker from now on, until the returned stream is dropped or finished.
    public func events() -> AsyncStream<TailEvent> {
        let (stream, continuation) = AsyncStream<TailEvent>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        let id = self.listeners.withLock { listeners -> Int in
            listeners.nextID += 1
            listeners.continuations[listeners.nextID] = continuation
            return listeners.nextID
        }
        self.listenerCount.add(1, ordering: .relaxed)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.listeners.withLock { _ = $0.continuations.removeValue(forKey: id) }
            self.listenerCount.subtract(1, ordering: .relaxed)
        }
        return stream
    }

    // MARK: Crons

    /// Records a finished cron run.
    func recordCron(_ cron: String, startedAt: Int64, outcome: String, milliseconds: Double) {
        self.state.withLock { state in
            state.crons[cron] = CronRun(time: startedAt, outcome: outcome, milliseconds: milliseconds, count: (state.crons[cron]?.count ?? 0) + 1)
        }
        self.metrics.cronRuns(cron: cron, outcome: outcome).increment(by: 1)
    }

    // MARK: CPU attribution

    /// The summed wall time of requests so far, in nanoseconds (for attributing process CPU time).
    public var busyNanoseconds: Int64 { self.state.withLock { $0.busyNanos } }

    /// Adds CPU time attributed to this worker to the current second.
    public func addCPU(nanoseconds: Int64) {
        let second = (ContinuousClock.now - self.origin).components.seconds
        self.state.withLock { state in
            let slot = Int(second % Int64(Self.secondsKept))
            if state.seconds[slot].second != second { state.seconds[slot] = SecondBucket(second: second) }
            state.seconds[slot].cpuNanos += nanoseconds
        }
    }

    // MARK: Snapshot

    /// A copy of what the dashboard shows.
    public func snapshot() -> MonitorSnapshot {
        let second = (ContinuousClock.now - self.origin).components.seconds
        return self.state.withLock { $0.snapshot(currentSecond: second) }
    }
}

// MARK: - State

/// Requests that ended within one second.
struct SecondBucket {
    var second: Int64 = -1
    var requests: Int32 = 0
    var errors: Int32 = 0
    var cpuNanos: Int64 = 0
    var busyNanos: Int64 = 0
}

/// The last run of one cron.
public struct CronRun: Sendable {
    /// When it started (epoch ms).
    public var time: Int64
    public var outcome: String
    public var milliseconds: Double
    public var count: Int
}

/// Open tail streams.
private struct Listeners {
    var nextID = 0
    var continuations: [Int: AsyncStream<TailEvent>.Continuation] = [:]
}

/// The cache key of a `flarelet_requests_total` counter.
private struct RequestKey: Hashable {
    var method: String
    var status: Int
}

private struct State {
    var seconds = [SecondBucket](repeating: SecondBucket(), count: WorkerMonitor.secondsKept)
    /// Requests by status code 0-599 (anything else counts as 0).
    var statuses = [Int](repeating: 0, count: 600)
    var total = 0
    var busyNanos: Int64 = 0
    /// Latency histograms, one per minute, ``LatencyBuckets/count`` buckets each.
    var histogram = [UInt32](repeating: 0, count: WorkerMonitor.minutesKept * LatencyBuckets.count)
    var histogramMinutes = [Int64](repeating: -1, count: WorkerMonitor.minutesKept)
    var counters: [RequestKey: any CounterHandler] = [:]
    var logs = [(id: UInt64, line: TailLog)?](repeating: nil, count: WorkerMonitor.logsKept)
    var logCursor = 0
    var errors: [TailEvent] = []
    var crons: [String: CronRun] = [:]

    mutating func record(second: Int64, status: Int, nanos: Int64) {
        let slot = Int(second % Int64(WorkerMonitor.secondsKept))
        if self.seconds[slot].second != second { self.seconds[slot] = SecondBucket(second: second) }
        self.seconds[slot].requests += 1
        self.seconds[slot].busyNanos += nanos
        if status >= 500 { self.seconds[slot].errors += 1 }
        self.statuses[(0..<600).contains(status) ? status : 0] += 1
        self.total += 1
        self.busyNanos += nanos
        let minute = second / 60
        let minuteSlot = Int(minute % Int64(WorkerMonitor.minutesKept))
        let base = minuteSlot * LatencyBuckets.count
        if self.histogramMinutes[minuteSlot] != minute {
            self.histogramMinutes[minuteSlot] = minute
            for index in base..<(base + LatencyBuckets.count) { self.histogram[index] = 0 }
        }
        self.histogram[base + LatencyBuckets.index(nanos)] += 1
    }

    mutating func counter(method: String, status: Int, metrics: WorkerMetrics) -> any CounterHandler {
        let key = RequestKey(method: method, status: status)
        if let counter = self.counters[key] { return counter }
        let counter = metrics.requests(method: method, status: status)
        self.counters[key] = counter
        return counter
    }

    mutating func appendLog(_ line: TailLog, invocation id: UInt64) {
        self.logs[self.logCursor] = (id, line)
        self.logCursor = (self.logCursor + 1) % WorkerMonitor.logsKept
    }

    func logs(of id: UInt64) -> [TailLog] {
        var lines: [TailLog] = []
        for offset in 0..<WorkerMonitor.logsKept {
            if let entry = self.logs[(self.logCursor + offset) % WorkerMonitor.logsKept], entry.id == id {
                lines.append(entry.line)
            }
        }
        return lines
    }

    mutating func appendError(_ event: TailEvent) {
        self.errors.append(event)
        if self.errors.count > WorkerMonitor.errorsKept { self.errors.removeFirst(self.errors.count - WorkerMonitor.errorsKept) }
    }

    func snapshot(currentSecond: Int64) -> MonitorSnapshot {
        var perSecond: [Int] = []
        var errorsPerSecond: [Int] = []
        var cpu: Int64 = 0
        var cpuRequests = 0
        let window = 300
        for second in (currentSecond - Int64(window) + 1)...currentSecond {
            guard second >= 0 else {
                perSecond.append(0)
                errorsPerSecond.append(0)
                continue
            }
            let bucket = self.seconds[Int(second % Int64(WorkerMonitor.secondsKept))]
            let valid = bucket.second == second
            perSecond.append(valid ? Int(bucket.requests) : 0)
            errorsPerSecond.append(valid ? Int(bucket.errors) : 0)
            if valid, second > currentSecond - 60 {
                cpu += bucket.cpuNanos
                cpuRequests += Int(bucket.requests)
            }
        }
        var merged = [UInt64](repeating: 0, count: LatencyBuckets.count)
        let currentMinute = currentSecond / 60
        for slot in 0..<WorkerMonitor.minutesKept where self.histogramMinutes[slot] > currentMinute - Int64(WorkerMonitor.minutesKept) {
            for index in 0..<LatencyBuckets.count {
                merged[index] += UInt64(self.histogram[slot * LatencyBuckets.count + index])
            }
        }
        var statuses: [(status: Int, count: Int)] = []
        for (status, count) in self.statuses.enumerated() where count > 0 { statuses.append((status, count)) }
        return MonitorSnapshot(
            requestsPerSecond: perSecond,
            errorsPerSecond: errorsPerSecond,
            totalRequests: self.total,
            statusCounts: statuses,
            p50Milliseconds: LatencyBuckets.percentile(0.5, of: merged),
            p99Milliseconds: LatencyBuckets.percentile(0.99, of: merged),
            cpuMillisecondsPerRequest: cpuRequests > 0 ? Double(cpu) / Double(cpuRequests) / 1_000_000 : nil,
            errors: self.errors,
            crons: self.crons
        )
    }
}

/// What the dashboard shows of one worker's traffic.
public struct MonitorSnapshot: Sendable {
    /// Requests that ended in each of the last 300 seconds, oldest first.
    public var requestsPerSecond: [Int]
    /// Of those, the ones answered with a status of 500 or more.
    public var errorsPerSecond: [Int]
    public var totalRequests: Int
    /// Requests by status code since start, ascending by status.
    public var statusCounts: [(status: Int, count: Int)]
    /// Median and 99th percentile latency over the last five minutes (`nil` without requests).
    public var p50Milliseconds: Double?
    public var p99Milliseconds: Double?
    /// Process CPU time attributed to this worker in the last minute, per request (`nil` when unknown).
    public var cpuMillisecondsPerRequest: Double?
    /// The last errors (uncaught exceptions and responses with status 500 or more), oldest first.
    public var errors: [TailEvent]
    /// The last run of each cron.
    public var crons: [String: CronRun]
}

/// Log-scale latency buckets: eight per power of two of nanoseconds (12.5 % wide), from 1 µs to about 1,100 s.
enum LatencyBuckets {
    static let first = 10  // 2^10 ns ≈ 1 µs
    static let last = 40  // 2^40 ns ≈ 1,100 s
    static let count = (last - first + 1) * 8

    @inline(__always)
    static func index(_ nanos: Int64) -> Int {
        guard nanos >= 1 << first else { return 0 }
        let exponent = 63 - nanos.leadingZeroBitCount
        guard exponent <= last else { return count - 1 }
        let sub = Int((nanos >> (exponent - 3)) & 7)
        return (exponent - first) * 8 + sub
    }

    /// The upper bound of bucket `index`, in milliseconds.
    static func upperBound(_ index: Int) -> Double {
        let exponent = index / 8 + first
        let sub = index % 8
        let nanos = Double(Int64(1) << exponent) * (1 + Double(sub + 1) / 8)
        return nanos / 1_000_000
    }

    static func percentile(_ p: Double, of counts: [UInt64]) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, UInt64((p * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return self.upperBound(index) }
        }
        return self.upperBound(counts.count - 1)
    }
}

// MARK: - Metrics

/// The swift-metrics handlers of one worker (Prometheus names of issue 15).
struct WorkerMetrics: Sendable {
    let worker: String
    let factory: any MetricsFactory
    let duration: any TimerHandler

    init(worker: String, factory: any MetricsFactory) {
        self.worker = worker
        self.factory = factory
        self.duration = factory.makeTimer(label: "flarelet_request_duration_seconds", dimensions: [("worker", worker)])
    }

    func requests(method: String, status: Int) -> any CounterHandler {
        self.factory.makeCounter(
            label: "flarelet_requests_total",
            dimensions: [("worker", self.worker), ("method", method), ("status", String(status))]
        )
    }

    func d1Queries(binding: String) -> any CounterHandler {
        self.factory.makeCounter(label: "flarelet_d1_queries_total", dimensions: [("worker", self.worker), ("binding", binding)])
    }

    func kvOperations(binding: String, op: String) -> any CounterHandler {
        self.factory.makeCounter(
            label: "flarelet_kv_operations_total",
            dimensions: [("worker", self.worker), ("binding", binding), ("op", op)]
        )
    }

    func cronRuns(cron: String, outcome: String) -> any CounterHandler {
        self.factory.makeCounter(
            label: "flarelet_cron_runs_total",
            dimensions: [("worker", self.worker), ("cron", cron), ("outcome", outcome)]
        )
    }
}
