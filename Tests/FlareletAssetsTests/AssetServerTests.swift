import FlareletConfig
import FlareletCore
import Foundation
import Testing

@testable import FlareletAssets

/// A temporary assets directory with the given files (path → contents).
final class AssetsFolder: @unchecked Sendable {
    let root: String

    init(_ files: [String: String]) throws {
        self.root = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-assets-\(UUID().uuidString)").path
        for (path, contents) in files {
            try self.write(path, contents)
        }
        try FileManager.default.createDirectory(atPath: self.root, withIntermediateDirectories: true)
    }

    func write(_ path: String, _ contents: String) throws {
        let full = self.root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
    }

    func server(
        htmlHandling: AssetsConfig.HTMLHandling = .autoTrailingSlash,
        notFound: AssetsConfig.NotFoundHandling = .none,
        runWorkerFirst: AssetsConfig.RunWorkerFirst = .always(false),
        binding: String? = nil,
        hasWorker: Bool = true,
        compatibilityDate: String = "2024-01-01"
    ) throws -> AssetServer {
        let config = AssetsConfig(
            directory: "public",
            directoryPath: self.root,
            binding: binding,
            htmlHandling: htmlHandling,
            notFoundHandling: notFound,
            runWorkerFirst: runWorkerFirst,
            location: "wrangler.toml:3:13"
        )
        return try AssetServer(config: config, hasWorker: hasWorker, compatibilityDate: compatibilityDate)
    }

    deinit { try? FileManager.default.removeItem(atPath: self.root) }
}

func get(_ path: String, method: String = "GET", headers: Headers = [:]) -> WorkerRequest {
    WorkerRequest(method: method, url: "http://localhost:8787" + path, headers: headers)
}

/// What the asset handler answered, in the notation of platform-next.md 8.4.
func outcome(_ server: AssetServer, _ path: String) -> String {
    guard let response = server.answer(get(path), notFound: .none) else { return "✗" }
    switch response.status {
    case 307: return "→ " + (response.headers["Location"] ?? "?")
    case 200: return "= " + response.text
    default: return "\(response.status)"
    }
}

struct HTMLHandlingTests {
    static let files = ["about.html": "/about.html", "blog/index.html": "/blog/index.html", "index.html": "/index.html"]

    /// The table of platform-next.md 8.4: request, then auto, force, drop, none.
    static let table: [(String, String, String, String, String)] = [
        ("/", "= /index.html", "= /index.html", "= /index.html", "✗"),
        ("/index.html", "→ /", "→ /", "→ /", "= /index.html"),
        ("/index", "→ /", "→ /", "→ /", "✗"),
        ("/about", "= /about.html", "→ /about/", "= /about.html", "✗"),
        ("/about/", "→ /about", "= /about.html", "→ /about", "✗"),
        ("/about.html", "→ /about", "→ /about/", "→ /about", "= /about.html"),
        ("/about/index", "→ /about", "→ /about/", "→ /about", "✗"),
        ("/blog", "→ /blog/", "→ /blog/", "= /blog/index.html", "✗"),
        ("/blog/", "= /blog/index.html", "= /blog/index.html", "→ /blog", "✗"),
        ("/blog/index.html", "→ /blog/", "→ /blog/", "→ /blog", "= /blog/index.html"),
        ("/blog/index", "→ /blog/", "→ /blog/", "→ /blog", "✗"),
        ("/blog.html", "→ /blog/", "→ /blog/", "→ /blog", "✗"),
    ]

    @Test(arguments: Self.table)
    func modesFollowTheTable(_ row: (String, String, String, String, String)) throws {
        let folder = try AssetsFolder(Self.files)
        #expect(outcome(try folder.server(htmlHandling: .autoTrailingSlash), row.0) == row.1, "auto \(row.0)")
        #expect(outcome(try folder.server(htmlHandling: .forceTrailingSlash), row.0) == row.2, "force \(row.0)")
        #expect(outcome(try folder.server(htmlHandling: .dropTrailingSlash), row.0) == row.3, "drop \(row.0)")
        #expect(outcome(try folder.server(htmlHandling: .none), row.0) == row.4, "none \(row.0)")
    }

    @Test func anExactFileWinsOverARedirect() throws {
        let folder = try AssetsFolder(["foo": "bare", "foo.html": "html", "bar/index": "index file"])
        let server = try folder.server()
        #expect(outcome(server, "/foo") == "= bare")
        #expect(outcome(server, "/bar/index") == "= index file")
    }

    @Test func bothHTMLFileAndFolderIndex() throws {
        let folder = try AssetsFolder(["x.html": "x.html", "x/index.html": "x/index.html"])
        let auto = try folder.server(htmlHandling: .autoTrailingSlash)
        #expect(outcome(auto, "/x") == "= x.html")
        #expect(outcome(auto, "/x/") == "= x/index.html")
        let force = try folder.server(htmlHandling: .forceTrailingSlash)
        #expect(outcome(force, "/x.html") == "= x.html")
        #expect(outcome(force, "/x/") == "= x/index.html")
        let drop = try folder.server(htmlHandling: .dropTrailingSlash)
        #expect(outcome(drop, "/x/index.html") == "= x/index.html")
        #expect(outcome(drop, "/x") == "= x.html")
    }

    @Test func redirectsKeepTheQueryAndReencodeThePath() throws {
        let folder = try AssetsFolder(["[x].html": "brackets", "a.txt": "a", "about.html": "about"])
        let server = try folder.server()
        #expect(outcome(server, "/%5Bx%5D") == "= brackets")
        #expect(outcome(server, "/[x].html") == "→ /%5Bx%5D")
        #expect(outcome(server, "//a.txt") == "→ /a.txt")
        #expect(outcome(server, "/about.html?x=1&y") == "→ /about?x=1&y")
        let redirect = try #require(server.answer(get("/about.html"), notFound: .none))
        #expect(redirect.status == 307)
        #expect(redirect.body.isEmpty)
        #expect(redirect.headers.fields.map(\.name) == ["Location"])
    }

    @Test func percentEncodedNamesAreReachableOnlyDoublyEncoded() throws {
        let folder = try AssetsFolder(["a%20b.txt": "literal"])
        let server = try folder.server()
        #expect(outcome(server, "/a%2520b.txt") == "= literal")
        #expect(outcome(server, "/a%20b.txt") == "✗")
    }
}

struct AssetResponseTests {
    @Test func headersETagAndConditionalRequests() throws {
        let folder = try AssetsFolder(["style.css": "body{}", "data.bin.unknownext": "x", "app.json": "{}"])
        let server = try folder.server()
        let response = try #require(server.answer(get("/style.css"), notFound: .none))
        #expect(response.status == 200)
        #expect(response.text == "body{}")
        #expect(response.headers.fields.map(\.name) == ["ETag", "Content-Type", "Cache-Control", "CF-Cache-Status"])
        let etag = try #require(response.headers["ETag"])
        #expect(etag.count == 34 && etag.hasPrefix("\"") && etag.hasSuffix("\""))
        #expect(etag.dropFirst().dropLast().allSatisfy { "0123456789abcdef".contains($0) })
        #expect(response.headers["Content-Type"] == "text/css; charset=utf-8")
        #expect(response.headers["Cache-Control"] == "public, max-age=0, must-revalidate")
        #expect(response.headers["CF-Cache-Status"] == "HIT")
        for conditional in [etag, "W/" + etag] {
            let notModified = try #require(server.answer(get("/style.css", headers: ["If-None-Match": conditional]), notFound: .none))
            #expect(notModified.status == 304)
            #expect(notModified.body.isEmpty)
            #expect(notModified.headers["ETag"] == etag)
        }
        // No list parsing, no `*`.
        for other in ["*", "\"other\", \(etag)", String(etag.dropFirst().dropLast())] {
            #expect(server.answer(get("/style.css", headers: ["If-None-Match": other]), notFound: .none)?.status == 200)
        }
        let unknown = try #require(server.answer(get("/data.bin.unknownext"), notFound: .none))
        #expect(unknown.headers["Content-Type"] == nil)
        #expect(server.answer(get("/app.json"), notFound: .none)?.headers["Content-Type"] == "application/json")
        let authorized = try #require(server.answer(get("/style.css", headers: ["Authorization": "Bearer x"]), notFound: .none))
        #expect(authorized.headers["Cache-Control"] == nil)
        let ranged = try #require(server.answer(get("/style.css", headers: ["Range": "bytes=0-1"]), notFound: .none))
        #expect(ranged.status == 200)
        #expect(ranged.text == "body{}")
        #expect(ranged.headers["Cache-Control"] == nil)
    }

    @Test func headAndOtherMethods() throws {
        let folder = try AssetsFolder(["about.html": "about"])
        let server = try folder.server()
        let head = try #require(server.answer(get("/about", method: "HEAD"), notFound: .none))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.headers["Content-Type"] == "text/html; charset=utf-8")
        // The method check comes before the html_handling redirect.
        #expect(server.answer(get("/about.html", method: "POST"), notFound: .none)?.status == 405)
        #expect(server.answer(get("/about.html", method: "POST"), notFound: .none)?.body.isEmpty == true)
        // No answer for the path: "no match", not 405.
        #expect(server.answer(get("/missing", method: "POST"), notFound: .none) == nil)
    }

    @Test(arguments: [
        ("style.css", "text/css; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8"),
        ("m.mjs", "text/javascript; charset=utf-8"), ("a.txt", "text/plain; charset=utf-8"), ("i.svg", "image/svg+xml"),
        ("p.png", "image/png"), ("w.wasm", "application/wasm"), ("x.html", "text/html; charset=utf-8"),
        ("d.json", "application/json"),
    ])
    func contentTypes(_ entry: (String, String)) {
        #expect(ContentType.forFile(entry.0) == entry.1)
    }

    @Test func ignoredFilesAreNeverServed() throws {
        let folder = try AssetsFolder([
            "_headers": "/*\n  X: y", "_redirects": "/a /b", ".assetsignore": "*.secret\nprivate/\n!keep.secret\n",
            "a.secret": "no", "keep.secret": "yes", "private/x.txt": "no", ".well-known/x.txt": "dotfiles are served",
            "sub/_headers": "served (only top-level names are reserved)",
        ])
        let server = try folder.server()
        #expect(outcome(server, "/_headers") == "✗")
        #expect(outcome(server, "/_redirects") == "✗")
        #expect(outcome(server, "/.assetsignore") == "✗")
        #expect(outcome(server, "/a.secret") == "✗")
        #expect(outcome(server, "/keep.secret") == "= yes")
        #expect(outcome(server, "/private/x.txt") == "✗")
        #expect(outcome(server, "/.well-known/x.txt") == "= dotfiles are served")
        #expect(outcome(server, "/sub/_headers") == "= served (only top-level names are reserved)")
        #expect(server.fileCount == 3)
    }

    @Test func rescanServesNewAndChangedFiles() throws {
        let folder = try AssetsFolder(["a.txt": "one"])
        let server = try folder.server()
        let before = try #require(server.answer(get("/a.txt"), notFound: .none)?.headers["ETag"])
        #expect(outcome(server, "/b.txt") == "✗")
        try folder.write("b.txt", "new")
        Thread.sleep(forTimeInterval: 0.01)
        try folder.write("a.txt", "two")
        #expect(try server.rescan())
        #expect(outcome(server, "/b.txt") == "= new")
        #expect(outcome(server, "/a.txt") == "= two")
        #expect(server.answer(get("/a.txt"), notFound: .none)?.headers["ETag"] != before)
        #expect(try server.rescan() == false)
    }
}

struct NotFoundAndRoutingTests {
    @Test func notFoundPageWalksUp() throws {
        let folder = try AssetsFolder(["404.html": "top", "a/404.html": "a", "index.html": "home"])
        let server = try folder.server(notFound: .notFoundPage)
        for (path, body) in [("/a/b/c", "a"), ("/a/b/", "a"), ("/x/y", "top"), ("/nothing", "top")] {
            let response = try #require(server.answer(get(path), notFound: .notFoundPage))
            #expect(response.status == 404, "\(path)")
            #expect(response.text == body, "\(path)")
            #expect(response.headers["ETag"] != nil)
            let etag = try #require(response.headers["ETag"])
            #expect(server.answer(get(path, headers: ["If-None-Match": etag]), notFound: .notFoundPage)?.status == 304)
        }
        let spa = try folder.server(notFound: .singlePageApplication)
        let fallback = try #require(spa.answer(get("/deep/link"), notFound: .singlePageApplication))
        #expect(fallback.status == 200)
        #expect(fallback.text == "home")
        let bare = try AssetsFolder(["x.txt": "x"]).server(notFound: .singlePageApplication)
        #expect(bare.answer(get("/deep"), notFound: .singlePageApplication) == nil)
    }

    static func routed(_ server: AssetServer, _ request: WorkerRequest) -> String {
        switch server.route(request) {
        case .worker: "worker"
        case .assets(let response): "\(response.status) \(response.text)"
        }
    }

    @Test func workerOrAssets() throws {
        let folder = try AssetsFolder(["index.html": "home", "about.html": "about", "api/docs/index.html": "docs"])
        let plain = try folder.server(notFound: .singlePageApplication)
        #expect(Self.routed(plain, get("/about")) == "200 about")
        #expect(Self.routed(plain, get("/api/users")) == "worker")
        // A POST to a file path gets 405 from the assets unless the worker runs first.
        #expect(Self.routed(plain, get("/about", method: "POST")) == "405 ")
        // Navigation requests get the SPA fallback only with the navigation flag (compatibility date 2025-04-01).
        let navigate: Headers = ["Sec-Fetch-Mode": "navigate"]
        #expect(Self.routed(plain, get("/deep/link", headers: navigate)) == "worker")
        let recent = try folder.server(notFound: .singlePageApplication, compatibilityDate: "2025-04-01")
        #expect(Self.routed(recent, get("/deep/link", headers: navigate)) == "200 home")
        #expect(Self.routed(recent, get("/deep/link")) == "worker")

        let first = try folder.server(runWorkerFirst: .always(true))
        #expect(Self.routed(first, get("/about")) == "worker")

        let patterns = try folder.server(notFound: .notFoundPage, runWorkerFirst: .patterns(["/api/*", "!/api/docs/*"]))
        #expect(Self.routed(patterns, get("/api/users")) == "worker")
        #expect(Self.routed(patterns, get("/api/docs/")) == "200 docs")
        #expect(Self.routed(patterns, get("/api/docs/missing")) == "404 ")
        #expect(Self.routed(patterns, get("/about")) == "200 about")

        let assetsOnly = try folder.server(hasWorker: false)
        #expect(Self.routed(assetsOnly, get("/missing")) == "404 ")
        #expect(assetsOnly.fetch(get("/about")).text == "about")
    }

    @Test func theBindingIgnoresTheHost() async throws {
        let folder = try AssetsFolder(["x.txt": "x"])
        let fetcher = AssetsFetcher(server: try folder.server(binding: "ASSETS"))
        #expect(try await fetcher.fetch("http://assets.local/x.txt").text == "x")
        #expect(try await fetcher.fetch("https://example.com/x.txt").text == "x")
        #expect(try await fetcher.fetch("https://example.com/missing").status == 404)
    }

    @Test(arguments: [
        ("/api/*", "/api/x/y", true), ("/api/*", "/api", false), ("/api/*", "/api/", true), ("/*.json", "/a/b.json", true),
        ("/exact", "/exact", true), ("/exact", "/exact/", false), ("/a*b*c", "/aXbYc", true), ("/a*b*c", "/aXc", false),
    ])
    func globs(_ entry: (String, String, Bool)) {
        #expect(AssetServer.glob(entry.0, matches: entry.1) == entry.2)
    }
}

struct AssetsStartTests {
    func message(_ config: AssetsConfig, hasWorker: Bool = true, hasSite: Bool = false) -> String {
        do {
            _ = try AssetServer(config: config, hasWorker: hasWorker, hasSite: hasSite)
            return "ok"
        } catch {
            return error.description
        }
    }

    @Test func startChecksUseWranglersTexts() throws {
        let folder = try AssetsFolder(["a.txt": "a"])
        let here = "wrangler.toml:4:13"
        #expect(
            self.message(AssetsConfig(directory: nil, directoryPath: nil, location: here))
                == "\(here): The `assets` property in your configuration is missing the required `directory` property."
        )
        #expect(
            self.message(AssetsConfig(directory: "", directoryPath: nil, location: here))
                == "\(here): `The assets directory cannot be an empty string."
        )
        #expect(
            self.message(AssetsConfig(directory: "nope", directoryPath: folder.root + "/nope", location: here))
                == "\(here): The directory specified by the \"assets.directory\" field in your configuration file does not exist:\n\(folder.root)/nope"
        )
        #expect(
            self.message(AssetsConfig(directory: "a.txt", directoryPath: folder.root + "/a.txt", location: here))
                == "\(here): The path specified by the \"assets.directory\" field in your configuration file doesn't point to a directory:\n\(folder.root)/a.txt"
        )
        let valid = AssetsConfig(directory: "public", directoryPath: folder.root, location: here)
        #expect(
            self.message(valid, hasSite: true)
                == "\(here): Cannot use assets and Workers Sites in the same Worker.\nPlease remove either the `site` or `assets` field from your configuration file."
        )
        var bound = valid
        bound.binding = "ASSETS"
        #expect(self.message(bound, hasWorker: false).hasPrefix("\(here): Cannot use assets with a binding in an assets-only Worker.\n"))
        var first = valid
        first.runWorkerFirst = .patterns(["/api/*"])
        #expect(self.message(first, hasWorker: false).hasPrefix("\(here): Cannot set run_worker_first without a Worker script.\n"))
        var always = valid
        always.runWorkerFirst = .always(true)
        let server = try AssetServer(config: always, hasWorker: true)
        #expect(server.warnings.first?.hasPrefix("run_worker_first=true set without an assets binding\n") == true)
    }

    @Test func sizeLimitMessage() throws {
        let folder = try AssetsFolder([:])
        let big = folder.root + "/big.bin"
        FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: 26_316_800)
        try handle.close()
        let message = self.message(AssetsConfig(directory: "public", directoryPath: folder.root, location: "w:1:1"))
        #expect(
            message == """
                w:1:1: Asset too large.
                Cloudflare Workers supports assets with sizes of up to 25 MiB. We found a file \(big) with a size of 25.1 MiB.
                Ensure all assets in your assets directory "public" conform with the Workers maximum size requirement.
                """
        )
    }

    @Test(arguments: [(26_316_800, "25.1 MiB"), (26_214_401, "25 MiB"), (1_536, "1.5 KiB"), (1_000, "1000 B"), (1_048_576, "1 MiB")])
    func prettyBytes(_ entry: (Int, String)) {
        #expect(AssetManifest.prettyBytes(entry.0) == entry.1)
    }
}
