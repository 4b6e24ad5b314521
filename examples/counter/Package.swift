// swift-tools-version:6.2
// The counter example as a package of its own, built the way `flarelet init` lays one out: it depends on Flarelet
// (this repository, by path) and uses only its public products.
//   cd examples/counter && swift run counter dev      # http://localhost:8800
import PackageDescription

let package = Package(
    name: "counter",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "flarelet", path: "../..")
    ],
    targets: [
        // The worker: what `import Flarelet` gives (Worker, Env, D1, KV, JSON, crypto).
        .target(name: "CounterWorker", dependencies: [.product(name: "Flarelet", package: "flarelet")]),
        // `swift run counter dev` (and d1, kv, cron): the flarelet command line hosting the worker.
        .executableTarget(
            name: "counter",
            dependencies: ["CounterWorker", .product(name: "FlareletHost", package: "flarelet")]
        ),
    ]
)
