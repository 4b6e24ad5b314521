import Foundation

/// The text of each file `flarelet init` writes. `__NAME__` is the package and executable name, `__WORKER__` the
/// worker's type and module, `__WORKER_NAME__` the wrangler name and `__DEPENDENCY__` the `.package(…)` entry.
struct InitTemplate {
    let package: InitPackage

    private func fill(_ text: String) -> String {
        text.replacingOccurrences(of: "__DEPENDENCY__", with: self.package.dependency)
            .replacingOccurrences(of: "__WORKER_NAME__", with: self.package.workerName)
            .replacingOccurrences(of: "__WORKER__", with: self.package.workerType)
            .replacingOccurrences(of: "__NAME__", with: self.package.name)
    }

    var packageSwift: String {
        self.fill(
            #"""
            // swift-tools-version:6.2
            import PackageDescription

            let package = Package(
                name: "__NAME__",
                platforms: [.macOS(.v15)],
                dependencies: [
                    __DEPENDENCY__
                ],
                targets: [
                    // The worker: what `import Flarelet` gives (Worker, Env, D1, KV, JSON, crypto).
                    .target(name: "__WORKER__", dependencies: [.product(name: "Flarelet", package: "flarelet")]),
                    // `swift run __NAME__ dev` (and d1, kv, cron, contract): the flarelet command line hosting the worker.
                    .executableTarget(
                        name: "__NAME__",
                        dependencies: ["__WORKER__", .product(name: "FlareletHost", package: "flarelet")]
                    ),
                    // `swift test`: the worker in-process on in-memory bindings.
                    .testTarget(
                        name: "__WORKER__Tests",
                        dependencies: ["__WORKER__", .product(name: "FlareletTesting", package: "flarelet")]
                    ),
                ]
            )

            """#
        )
    }

    var wranglerToml: String {
        self.fill(
            #"""
            # The worker's configuration, read by `swift run __NAME__ dev` as wrangler reads it.
            name = "__WORKER_NAME__"
            # `main` selects the Swift worker registered under this name in Sources/__NAME__/main.swift.
            main = "__NAME__"
            compatibility_date = "2026-11-01"

            [[d1_databases]]
            binding = "DB"
            database_name = "__WORKER_NAME__-db"
            database_id = "local"

            [[kv_namespaces]]
            binding = "KV"
            id = "local"

            [triggers]
            crons = ["0 * * * *"]

            """#
        )
    }

    var schemaSQL: String {
        #"""
        -- The worker's table (idempotent). The worker also creates it on first use; apply it by hand with
        --   swift run __NAME__ d1 execute DB --file schema.sql
        CREATE TABLE IF NOT EXISTS hits (name TEXT PRIMARY KEY, hits INTEGER NOT NULL);

        """#.replacingOccurrences(of: "__NAME__", with: self.package.name)
    }

    var worker: String {
        self.fill(
            #"""
            import Flarelet
            import Foundation

            /// Counts hits per name in D1, remembers the last name in KV, and records each cron run in KV.
            ///
            /// - `GET /hit/<name>`: one more hit for `<name>`; answers `{"name":"swift","hits":2,"previous":"swift"}`
            ///   (`previous`: the name of the hit before, `null` at first).
            /// - anything else: 404 `{"error":"Not found"}`.
            /// - `scheduled`: stores the run's time in KV under `last-cron`.
            public struct __WORKER__: Worker {
                /// The table the worker needs: the statement of `schema.sql`, run on first use so that a new local
                /// database works at once.
                public static let schema = "CREATE TABLE IF NOT EXISTS hits (name TEXT PRIMARY KEY, hits INTEGER NOT NULL)"

                public init() {}

                public var hasScheduledHandler: Bool { true }

                public func fetch(_ request: WorkerRequest, env: Env, ctx: ExecutionContext) async throws -> WorkerResponse {
                    let parts = request.pathname.split(separator: "/", omittingEmptySubsequences: false)
                    guard request.method == "GET", parts.count == 3, parts[1] == "hit", !parts[2].isEmpty else {
                        return .json(["error": "Not found"], status: 404)
                    }
                    let name = String(parts[2])
                    let db = try env.d1("DB")
                    let kv = try env.kv("KV")
                    _ = try await db.prepare(Self.schema).run()
                    let hits = try await db.prepare(
                        "INSERT INTO hits (name, hits) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET hits = hits + 1 RETURNING hits"
                    ).bind(.text(name)).first(as: Int64.self)
                    let previous = try await kv.get("last-hit")
                    try await kv.put("last-hit", name)
                    var body = JSONObject()
                    body["name"] = .string(name)
                    body["hits"] = hits.map(JSONValue.integer) ?? .null
                    body["previous"] = previous.map(JSONValue.string) ?? .null
                    return .json(.object(body))
                }

                public func scheduled(_ controller: ScheduledController, env: Env, ctx: ExecutionContext) async throws {
                    try await env.kv("KV").put("last-cron", Date(epochMilliseconds: controller.scheduledTime).isoString)
                }
            }

            """#
        )
    }

    var main: String {
        self.fill(
            #"""
            import FlareletHost
            import __WORKER__

            await FlareletMain.run(workers: ["__NAME__": { __WORKER__() }])

            """#
        )
    }

    var tests: String {
        self.fill(
            #"""
            import Flarelet
            import FlareletTesting
            import Foundation
            import Testing
            import __WORKER__

            /// The worker in-process, on a fresh `:memory:` D1 database with `schema.sql` and an in-memory KV namespace.
            struct __WORKER__Tests {
                @Test func hitsAreCountedInD1AndTheLastNameIsKeptInKV() async throws {
                    try await withWorker(__WORKER__(), d1: ["DB": "schema.sql"], kv: ["KV"]) { harness async throws in
                        let first = await harness.fetch("GET", "/hit/swift")
                        #expect(first.status == 200)
                        #expect(first.text == #"{"name":"swift","hits":1,"previous":null}"#)
                        let second = await harness.fetch("GET", "/hit/swift")
                        #expect(second.text == #"{"name":"swift","hits":2,"previous":"swift"}"#)
                        let hits = try await harness.d1().prepare("SELECT hits FROM hits WHERE name = ?").bind("swift").first(as: Int.self)
                        #expect(hits == 2)
                        #expect(try await harness.kv().get("last-hit") == "swift")
                    }
                }

                @Test func otherPathsAre404() async throws {
                    try await withWorker(__WORKER__(), d1: ["DB": "schema.sql"], kv: ["KV"]) { harness async throws in
                        let response = await harness.fetch("GET", "/nothing/here")
                        #expect(response.status == 404)
                        #expect(response.text == #"{"error":"Not found"}"#)
                    }
                }

                @Test func theCronRecordsItsScheduledTime() async throws {
                    let clock = TestClock(Date(timeIntervalSince1970: 1_767_225_600))
                    try await withWorker(__WORKER__(), d1: ["DB": "schema.sql"], kv: ["KV"], clock: clock) { harness async throws in
                        let outcome = await harness.scheduled(cron: "0 * * * *")
                        #expect(outcome.isOK)
                        #expect(try await harness.kv().get("last-cron") == "2026-01-01T00:00:00.000Z")
                    }
                }

                @Test func schemaFileHoldsTheWorkersTable() throws {
                    let text = try String(contentsOfFile: try TestFiles.path("schema.sql"), encoding: .utf8)
                    #expect(text.contains(__WORKER__.schema + ";"))
                }

                /// The cases of `fixtures/` (also playable against `swift run __NAME__ dev` with
                /// `swift run __NAME__ contract fixtures --url http://127.0.0.1:8787`).
                @Test func contractFixturesPass() async throws {
                    try await withWorker(__WORKER__(), d1: ["DB": "schema.sql"], kv: ["KV"]) { harness async throws in
                        let results = try await harness.playContract(try TestFiles.path("fixtures"))
                        #expect(results.count == 2)
                        #expect(results.problems == [])
                    }
                }
            }

            """#
        )
    }

    var fixtureHit: String {
        #"""
        {
          "name": "GET /hit/<name> counts hits in D1 and keeps the last name in KV",
          "let": { "name": "{{hex16}}" },
          "setup": { "requests": [{ "expectStatus": 200, "request": { "method": "GET", "path": "/hit/{{name}}" } }] },
          "request": { "method": "GET", "path": "/hit/{{name}}" },
          "expect": {
            "status": 200,
            "headers": { "Content-Type": "application/json" },
            "json": { "name": "{{name}}", "hits": 2, "previous": "{{name}}" },
            "rows": [{ "binding": "DB", "sql": "SELECT hits FROM hits WHERE name = ?", "params": ["{{name}}"], "equals": [{ "hits": 2 }] }],
            "kv": [{ "binding": "KV", "key": "last-hit", "value": "{{name}}" }]
          }
        }

        """#
    }

    var fixtureNotFound: String {
        #"""
        {
          "name": "any other path is a JSON 404",
          "request": { "method": "GET", "path": "/nothing/here" },
          "expect": { "status": 404, "headers": { "Content-Type": "application/json" }, "json": { "error": "Not found" } }
        }

        """#
    }

    var readme: String {
        self.fill(
            #"""
            # __NAME__

            A Cloudflare-Workers-style worker written in Swift, run locally by Flarelet: D1 on SQLite, KV on LMDB, crons
            on their real schedule.

            ```sh
            swift run __NAME__ dev    # serves the worker on http://localhost:8787
            swift test
            ```

            With `dev` running: `curl http://localhost:8787/hit/swift` → `{"name":"swift","hits":1,"previous":null}`.
            `swift test` runs the worker in-process on in-memory bindings (`Tests/__WORKER__Tests`), including the
            contract cases of `fixtures/`.

            | file | what |
            | --- | --- |
            | `Sources/__WORKER__/__WORKER__.swift` | the worker (`import Flarelet`) |
            | `Sources/__NAME__/main.swift` | the command line: `FlareletMain.run(workers:)` with this worker under `main = "__NAME__"` |
            | `wrangler.toml` | bindings `DB` (D1) and `KV`, the cron |
            | `schema.sql` | the D1 schema |
            | `Tests/__WORKER__Tests` | tests with `withWorker` from `FlareletTesting` |
            | `fixtures/` | contract cases (request, expected answer and stored state) |

            More commands, on the same local state as `dev` (`.flarelet/state`):

            ```sh
            swift run __NAME__ d1 execute DB --command "SELECT * FROM hits"
            swift run __NAME__ kv key get --binding KV last-hit --text
            swift run __NAME__ cron trigger                                   # the scheduled handler, once
            swift run __NAME__ contract fixtures --url http://127.0.0.1:8787  # the fixtures against the running dev
            ```

            """#
        )
    }

    var gitignore: String {
        #"""
        .build/
        .swiftpm/
        .flarelet/
        .dev.vars*

        """#
    }
}
