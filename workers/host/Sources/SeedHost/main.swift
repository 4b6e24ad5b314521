// This repository's `flarelet`: the host with the seed workers, plus `flarelet runt sign`.
import FlareletHost
import SeedWorkers

await FlareletMain.run(workers: SeedWorkers.registry, commands: [RuntCommand.self])
