import Foundation
import Testing

/// `flarelet init NAME [--flarelet-path DIR]`: the generated package builds, its tests pass and its `dev` serves.
struct InitTests {
    /// A name that is not a Swift module name, a keyword, a module Flarelet uses or an existing directory is a one-line
    /// error, and nothing is written.
    @Test(arguments: [
        (
            "my-worker",
            #"✘ [ERROR] "my-worker" is not a valid Swift module name: use ASCII letters, digits and _, not starting with a digit (e.g. my_worker)"#
        ),
        (
            "1st",
            #"✘ [ERROR] "1st" is not a valid Swift module name: use ASCII letters, digits and _, not starting with a digit (e.g. w1st)"#
        ),
        ("", #"✘ [ERROR] "" is not a valid Swift module name: use ASCII letters, digits and _, not starting with a digit (e.g. w)"#),
        ("class", #"✘ [ERROR] "class" is a Swift keyword and cannot name a module: choose another name (e.g. class_worker)"#),
        (
            "flarelettesting",
            #"✘ [ERROR] "flarelettesting" is the name of a module Flarelet already uses: choose another name (e.g. my_flarelettesting)"#
        ),
    ])
    func invalidNamesAreOneLineErrors(name: String, message: String) throws {
        let directory = try TemporaryDirectory()
        let result = try runFlarelet(["init", name], directory: directory.url)
        #expect(result.status == 1)
        #expect(result.stderr == message + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [])
    }

    @Test func existingDirectoryAndBadCheckoutAreOneLineErrors() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: directory.url.appendingPathComponent("taken"), withIntermediateDirectories: false)
        let taken = try runFlarelet(["init", "taken"], directory: directory.url)
        #expect(taken.status == 1)
        #expect(taken.stderr == "✘ [ERROR] taken already exists in \(directory.path): choose another name or remove it\n")
        let checkout = try runFlarelet(["init", "hello", "--flarelet-path", directory.path], directory: directory.url)
        #expect(checkout.status == 1)
        #expect(
            checkout.stderr
                == "✘ [ERROR] --flarelet-path \(directory.path): not a Flarelet checkout (no Package.swift with Sources/FlareletHost there)\n"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["taken"])
    }

    /// Without `--flarelet-path` the package depends on the project's git repository; with it, by path (a relative
    /// path is written relative to the new package).
    @Test func packageDependsOnFlareletByURLOrPath() throws {
        let directory = try TemporaryDirectory()
        let byURL = try runFlarelet(["init", "by_url"], directory: directory.url)
        #expect(byURL.status == 0, "\(byURL.stderr)")
        let manifest = try String(contentsOf: directory.url.appendingPathComponent("by_url/Package.swift"), encoding: .utf8)
        #expect(manifest.contains(#".package(url: "https://github.com/flarelet/flarelet.git", from: "0.1.0")"#))
        #expect(manifest.contains(#".executableTarget("#) && manifest.contains(#"name: "by_url","#))

        try FileManager.default.createSymbolicLink(
            at: directory.url.appendingPathComponent("checkout"),
            withDestinationURL: repoRoot
        )
        let byPath = try runFlarelet(["init", "by_path", "--flarelet-path", "checkout"], directory: directory.url)
        #expect(byPath.status == 0, "\(byPath.stderr)")
        let pathManifest = try String(contentsOf: directory.url.appendingPathComponent("by_path/Package.swift"), encoding: .utf8)
        #expect(pathManifest.contains(#".package(name: "flarelet", path: "../checkout")"#))
        // `--flarelet-path .` from inside a checkout (here: a folder shaped like one) is its parent folder.
        let fake = directory.url.appendingPathComponent("fake")
        try FileManager.default.createDirectory(at: fake.appendingPathComponent("Sources/FlareletHost"), withIntermediateDirectories: true)
        try Data().write(to: fake.appendingPathComponent("Package.swift"))
        let here = try runFlarelet(["init", "here", "--flarelet-path", "./"], directory: fake)
        #expect(here.status == 0, "\(here.stderr)")
        let hereManifest = try String(contentsOf: fake.appendingPathComponent("here/Package.swift"), encoding: .utf8)
        #expect(hereManifest.contains(#".package(name: "flarelet", path: "..")"#))

        let root = directory.url.appendingPathComponent("by_path")
        let files = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter { path in
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory)
            return !isDirectory.boolValue
        }
        #expect(
            files.sorted() == [
                ".gitignore", "Package.swift", "README.md", "Sources/ByPathWorker/ByPathWorker.swift", "Sources/by_path/main.swift",
                "Tests/ByPathWorkerTests/ByPathWorkerTests.swift", "fixtures/01-hit-counts-in-d1-and-kv.json",
                "fixtures/02-unknown-path-is-404.json", "schema.sql", "wrangler.toml",
            ]
        )
        let main = try String(contentsOf: root.appendingPathComponent("Sources/by_path/main.swift"), encoding: .utf8)
        #expect(main.split(separator: "\n").count == 3)
        let wrangler = try String(contentsOf: root.appendingPathComponent("wrangler.toml"), encoding: .utf8)
        #expect(wrangler.contains("\nmain = \"by_path\"\n"))
        #expect(wrangler.contains("name = \"by-path\"\n"))
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("swift run by_path dev    # serves the worker on http://localhost:8787\nswift test\n"))
    }

    /// The CI proof of issue 12: `flarelet init demo --flarelet-path <checkout>`, then the package builds, its tests
    /// pass, its `dev` answers 200 and its fixtures pass against that server.
    ///
    /// Builds the generated package from scratch the first time (all of Flarelet's dependencies: several minutes on
    /// two cores), in `.build/flarelet-init-demo` of this checkout so that later runs only rebuild what changed. `bash
    /// scripts/test` runs this test last and alone: its compilers would slow the live tests' bounded waits (`nice`
    /// does not help: SwiftPM starts the compilers at normal priority).
    @Test(.timeLimit(.minutes(60))) func generatedPackageBuildsPassesItsTestsAndServes() async throws {
        let directory = try TemporaryDirectory()
        let created = try runFlarelet(["init", "demo", "--flarelet-path", repoRoot.path], directory: directory.url)
        try #require(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("✔ Created demo/ with the worker DemoWorker (D1 DB, KV KV, a cron):\n"))
        let package = directory.url.appendingPathComponent("demo")
        let scratch = repoRoot.appendingPathComponent(".build/flarelet-init-demo")
        let swift = ["swift"]
        let env = URL(fileURLWithPath: "/usr/bin/env")

        let build = try runFlarelet(
            swift + ["build", "--build-tests", "--scratch-path", scratch.path],
            executable: env,
            directory: package,
            timeout: 45 * 60
        )
        try #require(build.status == 0, "swift build failed:\n\(build.stdout.suffix(4000))\n\(build.stderr.suffix(4000))")

        let test = try runFlarelet(
            swift + ["test", "--skip-build", "--scratch-path", scratch.path],
            executable: env,
            directory: package,
            timeout: 10 * 60
        )
        #expect(test.status == 0, "swift test failed:\n\(test.stdout.suffix(4000))\n\(test.stderr.suffix(4000))")
        #expect(test.stdout.contains("Test run with 5 tests in 1 suite passed"), "\(test.stdout.suffix(2000))")

        let binary = scratch.appendingPathComponent("debug/demo")
        let server = try LiveServer(["--port", "0"], executable: binary, directory: package, timeout: 60)
        defer { server.stop() }
        let hit = try await httpRequest("GET", server.url + "/hit/swift")
        #expect(hit.status == 200)
        #expect(hit.body == #"{"name":"swift","hits":1,"previous":null}"#)
        let missing = try await httpRequest("GET", server.url + "/nothing")
        #expect(missing.status == 404)
        let contract = try runFlarelet(["contract", "fixtures", "--url", server.url], executable: binary, directory: package)
        #expect(contract.status == 0, "\(contract.stdout)\n\(contract.stderr)")
        #expect(server.stop() == 0)
        #expect(FileManager.default.fileExists(atPath: package.appendingPathComponent(".flarelet/state").path))

        // examples/counter is the same kind of package (Flarelet by the path `../..`, public products only); with the
        // same scratch folder only its own two targets are compiled.
        let counter = try runFlarelet(
            swift + ["build", "--scratch-path", scratch.path, "--package-path", repoRoot.appendingPathComponent("examples/counter").path],
            executable: env,
            timeout: 20 * 60
        )
        #expect(counter.status == 0, "examples/counter does not build:\n\(counter.stdout.suffix(4000))\n\(counter.stderr.suffix(4000))")
        let workers = try runFlarelet(["workers"], executable: scratch.appendingPathComponent("debug/counter"))
        #expect(workers.status == 0)
        #expect(workers.stdout.split(separator: "\n").map { $0.prefix { $0 != "\t" } } == ["counter"], "\(workers.stdout)")
    }
}
