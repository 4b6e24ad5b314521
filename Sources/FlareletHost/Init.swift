import ArgumentParser
import Foundation

/// `flarelet init NAME`: a new Swift package with one worker, ready for `swift run NAME dev` and `swift test`.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a Swift package with a worker of your own (D1, KV, a cron), its tests and contract fixtures.",
        discussion: """
            Writes ./NAME: Package.swift (depending on Flarelet by path with --flarelet-path, else by its git URL), \
            Sources/<Name>Worker (the worker), Sources/NAME/main.swift, Tests/<Name>WorkerTests, wrangler.toml, \
            schema.sql, fixtures/, README.md and .gitignore. Then:
              cd NAME && swift run NAME dev      # http://localhost:8787
              swift test
            """
    )

    @Argument(help: "The package, executable and worker name: a Swift module name such as hello or my_worker.")
    var name: String

    @Option(help: "A Flarelet checkout to depend on by path (default: the Flarelet git repository).")
    var flareletPath: String?

    func run() async throws {
        try await self.reportingErrors {
            let directory = FileManager.default.currentDirectoryPath
            let package = try InitPackage(name: self.name, flareletPath: self.flareletPath, in: directory)
            try package.write()
            Console.out("✔ Created \(package.name)/ with the worker \(package.workerType) (D1 DB, KV KV, a cron):")
            for file in package.files.map(\.path) { Console.out("  \(package.name)/\(file)") }
            Console.out("Next:")
            Console.out("  cd \(package.name)")
            Console.out("  swift run \(package.name) dev    # http://localhost:8787, e.g. curl http://localhost:8787/hit/swift")
            Console.out("  swift test")
        }
    }
}

/// The files of a new worker package, checked and ready to write.
struct InitPackage {
    /// Where Flarelet comes from when no checkout is given.
    static let repositoryURL = "https://github.com/flarelet/flarelet.git"
    /// The release the generated `Package.swift` asks for with `from:`.
    static let version = "0.1.0"

    let name: String
    /// `HelloWorker` for `hello`.
    let workerType: String
    /// The `.package(…)` entry for Flarelet.
    let dependency: String
    /// The new package's directory.
    let root: String

    /// Checks `name` and `flareletPath` and plans `directory/name`.
    init(name: String, flareletPath: String?, in directory: String) throws(CLIFailure) {
        try Self.check(name: name)
        let root = (directory as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: root) {
            throw CLIFailure("\(name) already exists in \(directory): choose another name or remove it")
        }
        self.name = name
        self.workerType = Self.typeName(name) + "Worker"
        self.root = root
        if let flareletPath {
            let absolute =
                flareletPath.hasPrefix("/") ? flareletPath : (directory as NSString).appendingPathComponent(flareletPath)
            let manifest = (absolute as NSString).appendingPathComponent("Package.swift")
            let library = (absolute as NSString).appendingPathComponent("Sources/FlareletHost")
            guard FileManager.default.fileExists(atPath: manifest), FileManager.default.fileExists(atPath: library) else {
                throw CLIFailure("--flarelet-path \(flareletPath): not a Flarelet checkout (no Package.swift with Sources/FlareletHost there)")
            }
            // A relative path is written relative to the new package, one level below the working directory.
            var relative = flareletPath
            while relative.count > 1, relative.hasSuffix("/") { relative.removeLast() }
            let written =
                flareletPath.hasPrefix("/")
                ? (flareletPath as NSString).standardizingPath : relative == "." ? ".." : "../" + relative
            self.dependency = #".package(name: "flarelet", path: "\#(Self.escaped(written))")"#
        } else {
            self.dependency = #".package(url: "\#(Self.repositoryURL)", from: "\#(Self.version)")"#
        }
    }

    // MARK: Checks

    /// Swift keywords that cannot name a module.
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout", "internal",
        "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static", "struct",
        "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do", "else",
        "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while", "Any", "as",
        "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "_",
    ]

    /// Modules of Flarelet and its dependencies that a package depending on Flarelet cannot also define.
    static let takenModules: Set<String> = [
        "Flarelet", "FlareletCore", "FlareletJSON", "FlareletJavaScript", "FlareletCrypto", "FlareletConfig", "FlareletD1",
        "FlareletKV", "FlareletCron", "FlareletPostgres", "FlareletContract", "FlareletTesting", "FlareletServer", "FlareletAssets",
        "FlareletDashboard", "HummingbirdWebSocket", "HummingbirdWSClient", "Prometheus", "CoreMetrics", "NIOWebSocket",
        "FlareletHost", "CSQLite", "CLMDB", "CSodium", "SeedWorkers", "SeedHost", "Hummingbird", "HummingbirdCore",
        "ArgumentParser", "Logging", "NIO", "NIOCore", "NIOPosix", "NIOHTTP1", "NIOHTTP2", "NIOSSL", "NIOFoundationCompat",
        "ServiceLifecycle", "UnixSignals", "HTTPTypes", "TOMLKit", "PostgresNIO", "AsyncHTTPClient", "Atomics", "Algorithms",
        "Collections", "Crypto", "Tracing", "Metrics", "Testing", "XCTest", "Foundation", "Dispatch", "Swift",
    ]

    static func check(name: String) throws(CLIFailure) {
        let scalars = Array(name.unicodeScalars)
        let isASCIILetter: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) || ("A"..."Z").contains($0) }
        guard let first = scalars.first, isASCIILetter(first) || first == "_",
            scalars.allSatisfy({ isASCIILetter($0) || ("0"..."9").contains($0) || $0 == "_" })
        else {
            throw CLIFailure(
                "\"\(name)\" is not a valid Swift module name: use ASCII letters, digits and _, not starting with a digit "
                    + "(e.g. \(Self.suggestion(for: name)))"
            )
        }
        if Self.keywords.contains(name) {
            throw CLIFailure("\"\(name)\" is a Swift keyword and cannot name a module: choose another name (e.g. \(name)_worker)")
        }
        if Self.takenModules.contains(where: { $0.lowercased() == name.lowercased() }) {
            throw CLIFailure("\"\(name)\" is the name of a module Flarelet already uses: choose another name (e.g. my_\(name.lowercased()))")
        }
    }

    /// `my-worker` → `my_worker`, `1st` → `w1st`.
    static func suggestion(for name: String) -> String {
        var text = String(
            name.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) ? Character(scalar) : "_"
            }
        )
        if text.isEmpty || text.first?.isNumber == true { text = "w" + text }
        return text
    }

    /// `hello` → `Hello`, `my_worker` → `MyWorker`.
    static func typeName(_ name: String) -> String {
        let parts = name.split(separator: "_")
        let joined = parts.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return joined.isEmpty ? "Main" : joined
    }

    /// `name` in wrangler's form: lower case, `-` for `_`.
    var workerName: String { self.name.lowercased().replacingOccurrences(of: "_", with: "-") }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    // MARK: Writing

    /// Every file, by its path in the package.
    var files: [(path: String, text: String)] {
        let template = InitTemplate(package: self)
        return [
            ("Package.swift", template.packageSwift),
            ("wrangler.toml", template.wranglerToml),
            ("schema.sql", template.schemaSQL),
            ("Sources/\(self.workerType)/\(self.workerType).swift", template.worker),
            ("Sources/\(self.name)/main.swift", template.main),
            ("Tests/\(self.workerType)Tests/\(self.workerType)Tests.swift", template.tests),
            ("fixtures/01-hit-counts-in-d1-and-kv.json", template.fixtureHit),
            ("fixtures/02-unknown-path-is-404.json", template.fixtureNotFound),
            ("README.md", template.readme),
            (".gitignore", template.gitignore),
        ]
    }

    /// Writes every file under ``root``; on failure nothing is left behind.
    func write() throws(CLIFailure) {
        do {
            for (path, text) in self.files {
                let url = URL(fileURLWithPath: self.root).appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url, options: .withoutOverwriting)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: self.root)
            throw CLIFailure("cannot write \(self.root): \(error.localizedDescription)")
        }
    }
}
