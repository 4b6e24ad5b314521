import DriftWorker
public import FlareletCore
import MinigemWorker
import RuntWorker
import SeedCounterWorker
import TelemetryKitWorker
import VoiceModeWorker

/// The workers this build of Flarelet can host, by their wrangler `main` value.
public enum SeedWorkers {
    public static var registry: WorkerRegistry {
        var registry = WorkerRegistry()
        registry.register(main: "counter", summary: "example hit counter (D1 + KV)") { CounterWorker() }
        VoiceModeWorker.register(in: &registry)
        MinigemWorker.register(in: &registry)
        registry.register(main: TelemetryKitWorker.main, summary: "Telemetry Kit server (D1): HMAC-signed /v1/ingest/:org/:app") {
            TelemetryKitWorker()
        }
        registry.register(main: RuntWorker.main, summary: "Runt telemetry (D1): Ed25519-signed event batches") { RuntWorker() }
        registry.register(main: DriftWorker.main, summary: "Drift telemetry (D1): /v1/events, /v1/health, /v1/stats") { DriftWorker() }
        return registry
    }
}
