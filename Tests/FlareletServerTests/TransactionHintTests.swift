import FlareletConfig
import FlareletCore
import FlareletServer
import FlareletTesting
import Foundation
import Logging
import Testing

struct BeginWorker: Worker {
    func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
        do {
            _ = try await env.d1("DB").prepare("BEGIN").run()
            return .text("no error")
        } catch {
            return .text("\(error)", status: 500)
        }
    }
}

struct TransactionHintTests {
    /// `env.DB.prepare("BEGIN").run()` throws D1's message verbatim, and the dev log shows one hint line.
    @Test func beginIsRefusedVerbatimAndTheLogHints() async throws {
        let directory = try TemporaryStateDirectory()
        let configPath = directory.path + "/wrangler.toml"
        try """
        name = "hint"
        main = "begin"

        [[d1_databases]]
        binding = "DB"
        database_name = "hint-db"
        database_id = "x"
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try WranglerConfig.load(path: configPath, env: nil, cliVars: [], persistTo: directory.path + "/state")
        var registry = WorkerRegistry()
        registry.register(main: "begin") { BeginWorker() }
        let logs = LogCapture()
        let hosted = try HostedWorker(config: config, registry: registry, clock: TestClock(), logger: logs.logger)
        defer { hosted.close() }
        let response = await hosted.fetch(WorkerRequest(method: "GET", url: "http://localhost/"))
        #expect(response.status == 500)
        #expect(
            response.text
                == "D1_ERROR: To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic atomic write coalescing."
        )
        let hints = logs.entries.filter { $0.message.contains("use batch([...])") }
        #expect(hints.map(\.level) == [.warning])
        #expect(hints.map(\.message) == ["env.DB: Hint: D1 has no interactive transactions; use batch([...]) to run statements atomically."])
    }
}

struct KVPurgeTests {
    /// Expired keys nobody reads again are removed by the dev server's periodic purge.
    @Test func purgeExpiredKVRemovesOnlyExpiredEntries() async throws {
        let directory = try TemporaryStateDirectory()
        let configPath = directory.path + "/wrangler.toml"
        try """
        name = "purge"
        main = "begin"

        [[kv_namespaces]]
        binding = "KV"
        id = "x"
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try WranglerConfig.load(path: configPath, env: nil, cliVars: [], persistTo: directory.path + "/state")
        var registry = WorkerRegistry()
        registry.register(main: "begin") { BeginWorker() }
        let clock = TestClock()
        let hosted = try HostedWorker(config: config, registry: registry, clock: clock, logger: LogCapture().logger)
        defer { hosted.close() }
        let kv = try hosted.env.kv("KV")
        try await kv.put("rate:id:a", "1", options: KVPutOptions(expirationTtl: 3600))
        try await kv.put("rate:id:b", "1", options: KVPutOptions(expirationTtl: 7200))
        try await kv.put("keep", "v")
        #expect(await hosted.purgeExpiredKV() == 0)
        clock.advance(by: 3600)
        #expect(await hosted.purgeExpiredKV() == 1)
        #expect(try await kv.list().keys.map(\.name) == ["keep", "rate:id:b"])
        clock.advance(by: 3600)
        #expect(await hosted.purgeExpiredKV() == 1)
        #expect(try await kv.list().keys.map(\.name) == ["keep"])
    }
}
