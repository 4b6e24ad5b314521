import CounterWorker
import VoiceModeWorker
public import FlareletCore

/// The workers this build of Flarelet can host, by their wrangler `main` value.
public enum SeedWorkers {
    public static var registry: WorkerRegistry {
        var registry = WorkerRegistry()
        registry.register(main: "counter", summary: "example hit counter (D1 + KV)") { CounterWorker() }
        VoiceModeWorker.register(in: &registry)
        return registry
    }
}
