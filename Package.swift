// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "flarelet",
    platforms: [.macOS(.v15)],
    products: [
        // What a worker imports: the Worker/Env/D1/KV API, JSON, crypto.
        .library(name: "Flarelet", targets: ["Flarelet"]),
        // The whole `flarelet` command line as a library: `FlareletMain.run(workers:)` with your registry.
        .library(name: "FlareletHost", targets: ["FlareletHost"]),
        // In-process harness, in-memory bindings, test clock, contract runner.
        .library(name: "FlareletTesting", targets: ["FlareletTesting"]),
        // The local binding implementations (D1 on SQLite, KV on LMDB), for tests and tools that use them directly.
        .library(name: "FlareletBindings", targets: ["FlareletD1", "FlareletKV"]),
        // This repository's `flarelet`: the host with the seed workers.
        .executable(name: "flarelet", targets: ["SeedHost"]),
        .executable(name: "flarelet-reliability", targets: ["flarelet-reliability"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // `swift package generate-documentation --target Flarelet` (the DocC catalogs in Sources/*/*.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // The local dashboard, /metrics and `flarelet tail` (host side only; workers never see these).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        // MARK: C libraries
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),

        // MARK: Worker-facing modules
        .target(name: "FlareletJSON", swiftSettings: swiftSettings),
        .target(name: "FlareletJavaScript", dependencies: ["FlareletJSON"], swiftSettings: swiftSettings),
        .target(
            name: "FlareletCore",
            dependencies: [
                "FlareletJSON", "FlareletJavaScript",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "FlareletCrypto", dependencies: ["CSodium"], swiftSettings: swiftSettings),
        .target(
            name: "Flarelet",
            dependencies: [
                "FlareletCore", "FlareletJSON", "FlareletJavaScript", "FlareletCrypto",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Platform implementations
        .target(
            name: "FlareletConfig",
            dependencies: ["FlareletJSON", "TOMLKit"],
            swiftSettings: swiftSettings
        ),
        .target(name: "FlareletD1", dependencies: ["FlareletCore", "CSQLite"], swiftSettings: swiftSettings),
        .target(name: "FlareletKV", dependencies: ["FlareletCore", "CLMDB"], swiftSettings: swiftSettings),
        .target(name: "FlareletCron", dependencies: ["FlareletCore"], swiftSettings: swiftSettings),
        // PostgreSQL for Hyperdrive bindings; only the host links it (workers see FlareletCore's PostgresDriver).
        .target(
            name: "FlareletPostgres",
            dependencies: [
                "FlareletCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Contract cases (fixtures/README.md): the format and the runner, shared by the tests and `flarelet contract`.
        .target(
            name: "FlareletContract",
            dependencies: ["FlareletCore", "FlareletJSON", "FlareletJavaScript", "FlareletCrypto"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FlareletTesting",
            dependencies: [
                "FlareletCore", "FlareletJSON", "FlareletJavaScript", "FlareletCrypto", "FlareletD1", "FlareletKV", "FlareletContract",
                "FlareletPostgres",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Static assets ([assets]): file matching, html_handling, ETags; no HTTP server of its own.
        .target(
            name: "FlareletAssets",
            dependencies: ["FlareletCore", "FlareletConfig", "FlareletJavaScript", "FlareletCrypto"],
            swiftSettings: swiftSettings
        ),

        // MARK: Host
        .target(
            name: "FlareletServer",
            dependencies: [
                "FlareletCore", "FlareletJavaScript", "FlareletConfig", "FlareletD1", "FlareletKV", "FlareletCron",
                "FlareletPostgres", "FlareletAssets",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The local dashboard, /metrics and the tail websocket on the dashboard port, and the `flarelet tail` client.
        .target(
            name: "FlareletDashboard",
            dependencies: [
                "FlareletServer", "FlareletCore", "FlareletJSON", "FlareletConfig", "FlareletCron", "FlareletAssets",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FlareletHost",
            dependencies: [
                "FlareletServer", "FlareletDashboard", "FlareletContract", "FlareletJavaScript",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Seed workers (workers/<name>/: sources, tests, wrangler.toml, schema.sql) and the example
        .target(name: "VoiceModeWorker", dependencies: ["Flarelet"], path: "workers/voicemode/Sources/VoiceModeWorker", swiftSettings: swiftSettings),
        .target(name: "RuntWorker", dependencies: ["Flarelet"], path: "workers/runt/Sources/RuntWorker", swiftSettings: swiftSettings),
        .target(name: "DriftWorker", dependencies: ["Flarelet"], path: "workers/drift/Sources/DriftWorker", swiftSettings: swiftSettings),
        .target(
            name: "TelemetryKitWorker",
            dependencies: ["Flarelet"],
            path: "workers/telemetry-kit/Sources/TelemetryKitWorker",
            swiftSettings: swiftSettings
        ),
        .target(name: "MinigemWorker", dependencies: ["Flarelet"], path: "workers/minigem/Sources/MinigemWorker", swiftSettings: swiftSettings),
        // examples/counter is a package of its own (depending on this one by path); the seed host compiles its worker
        // once more under another module name, so that `flarelet dev -c examples/counter/wrangler.toml` and the host's
        // live tests can run it.
        .target(
            name: "SeedCounterWorker",
            dependencies: ["Flarelet"],
            path: "examples/counter/Sources/CounterWorker",
            swiftSettings: swiftSettings
        ),
        // The seed registry and this repository's `flarelet` executable (workers/host/).
        .target(
            name: "SeedWorkers",
            dependencies: [
                "Flarelet", "VoiceModeWorker", "RuntWorker", "DriftWorker", "SeedCounterWorker", "TelemetryKitWorker", "MinigemWorker",
            ],
            path: "workers/host/Sources/SeedWorkers",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "SeedHost",
            dependencies: [
                "Flarelet", "FlareletHost", "SeedWorkers", "RuntWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "workers/host/Sources/SeedHost",
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks (a separate executable; `swift run -c release flarelet-bench`, see BENCHMARKS.md)
        .executableTarget(
            name: "flarelet-bench",
            dependencies: [
                "FlareletHost", "FlareletServer", "SeedWorkers", "FlareletConfig", "FlareletCore", "FlareletJSON",
                "FlareletCrypto", "RuntWorker", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/flarelet-bench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "JSONBenchmark",
            dependencies: ["FlareletJSON"],
            path: "Benchmarks/JSONBenchmark",
            swiftSettings: swiftSettings
        ),

        // MARK: Reliability suite (an executable driving the real `flarelet`; see RELIABILITY.md)
        .executableTarget(
            name: "flarelet-reliability",
            dependencies: ["FlareletD1", "FlareletCrypto", "FlareletTesting", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Reliability",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .testTarget(name: "FlareletJSONTests", dependencies: ["FlareletJSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FlareletJavaScriptTests",
            dependencies: ["FlareletJavaScript", "FlareletJSON"],
            exclude: ["Vectors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FlareletCoreTests", dependencies: ["FlareletCore", "FlareletTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "FlareletCryptoTests", dependencies: ["FlareletCrypto"], swiftSettings: swiftSettings),
        .testTarget(name: "FlareletConfigTests", dependencies: ["FlareletConfig"], swiftSettings: swiftSettings),
        .testTarget(name: "FlareletD1Tests", dependencies: ["FlareletD1", "FlareletTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "FlareletKVTests", dependencies: ["FlareletKV", "FlareletTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "FlareletCronTests", dependencies: ["FlareletCron"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FlareletPostgresTests",
            dependencies: ["FlareletPostgres", "FlareletTesting", "FlareletConfig", "FlareletJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlareletAssetsTests",
            dependencies: ["FlareletAssets", "FlareletCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlareletDashboardTests",
            dependencies: ["FlareletDashboard", "FlareletServer", "SeedWorkers", "FlareletTesting", "FlareletJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlareletServerTests",
            dependencies: ["FlareletServer", "SeedWorkers", "FlareletTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlareletHostTests",
            dependencies: [
                "FlareletHost", "FlareletTesting", "FlareletD1", "FlareletKV", "FlareletCrypto", "FlareletJSON",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VoiceModeWorkerTests",
            dependencies: ["VoiceModeWorker", "FlareletTesting", "FlareletD1", "FlareletKV"],
            path: "workers/voicemode/Tests/VoiceModeWorkerTests",
            exclude: ["Vectors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RuntWorkerTests",
            dependencies: ["RuntWorker", "FlareletTesting", "FlareletD1"],
            path: "workers/runt/Tests/RuntWorkerTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TelemetryKitWorkerTests",
            dependencies: ["TelemetryKitWorker", "FlareletTesting", "FlareletD1", "FlareletPostgres"],
            path: "workers/telemetry-kit/Tests/TelemetryKitWorkerTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MinigemWorkerTests",
            dependencies: ["MinigemWorker", "FlareletTesting", "FlareletD1", "FlareletPostgres"],
            path: "workers/minigem/Tests/MinigemWorkerTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DriftWorkerTests",
            dependencies: ["DriftWorker", "FlareletTesting", "FlareletD1"],
            path: "workers/drift/Tests/DriftWorkerTests",
            swiftSettings: swiftSettings
        ),
    ]
)
