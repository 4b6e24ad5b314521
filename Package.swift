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
        .library(name: "Flarelet", targets: ["Flarelet"]),
        .library(name: "FlareletTesting", targets: ["FlareletTesting"]),
        .executable(name: "flarelet", targets: ["flarelet"]),
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
        .target(
            name: "FlareletTesting",
            dependencies: ["FlareletCore", "FlareletJSON", "FlareletJavaScript", "FlareletCrypto", "FlareletD1", "FlareletKV"],
            swiftSettings: swiftSettings
        ),

        // MARK: Workers
        .target(name: "VoiceModeWorker", dependencies: ["Flarelet"], swiftSettings: swiftSettings),
        .target(name: "RuntWorker", dependencies: ["Flarelet"], swiftSettings: swiftSettings),
        .target(name: "DriftWorker", dependencies: ["Flarelet"], swiftSettings: swiftSettings),
        .target(name: "CounterWorker", dependencies: ["Flarelet"], swiftSettings: swiftSettings),
        .target(name: "TelemetryKitWorker", dependencies: ["Flarelet"], swiftSettings: swiftSettings),
        .target(name: "MinigemWorker", dependencies: ["Flarelet"], swiftSettings: swiftSettings),

        // MARK: Host
        .target(
            name: "FlareletWorkers",
            dependencies: [
                "FlareletCore", "VoiceModeWorker", "RuntWorker", "DriftWorker", "CounterWorker", "TelemetryKitWorker",
                "MinigemWorker",
            ],
            swiftSettings: swiftSettings
        ),
        // Static assets ([assets]): file matching, html_handling, ETags; no HTTP server of its own.
        .target(
            name: "FlareletAssets",
            dependencies: ["FlareletCore", "FlareletConfig", "FlareletJavaScript", "FlareletCrypto"],
            swiftSettings: swiftSettings
        ),
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
            name: "FlareletCLI",
            dependencies: [
                "FlareletServer", "FlareletDashboard", "FlareletWorkers", "FlareletTesting", "FlareletJavaScript", "RuntWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "flarelet", dependencies: ["FlareletCLI"], swiftSettings: swiftSettings),

        // MARK: Benchmarks (a separate executable; `swift run -c release flarelet-bench`, see BENCHMARKS.md)
        .executableTarget(
            name: "flarelet-bench",
            dependencies: [
                "FlareletCLI", "FlareletServer", "FlareletWorkers", "FlareletConfig", "FlareletCore", "FlareletJSON",
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
            dependencies: ["FlareletDashboard", "FlareletServer", "FlareletWorkers", "FlareletTesting", "FlareletJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlareletServerTests",
            dependencies: ["FlareletServer", "FlareletWorkers", "FlareletTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlareletCLITests",
            dependencies: [
                "FlareletCLI", "FlareletTesting", "FlareletD1", "FlareletKV", "FlareletCrypto", "FlareletJSON",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VoiceModeWorkerTests",
            dependencies: ["VoiceModeWorker", "FlareletTesting", "FlareletD1", "FlareletKV"],
            exclude: ["Vectors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RuntWorkerTests",
            dependencies: ["RuntWorker", "FlareletTesting", "FlareletD1"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TelemetryKitWorkerTests",
            dependencies: ["TelemetryKitWorker", "FlareletTesting", "FlareletD1", "FlareletPostgres"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MinigemWorkerTests",
            dependencies: ["MinigemWorker", "FlareletTesting", "FlareletD1", "FlareletPostgres"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DriftWorkerTests",
            dependencies: ["DriftWorker", "FlareletTesting", "FlareletD1"],
            swiftSettings: swiftSettings
        ),
    ]
)
