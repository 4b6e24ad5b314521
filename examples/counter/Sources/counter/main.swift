import CounterWorker
import FlareletHost

await FlareletMain.run(workers: ["counter": { CounterWorker() }])
