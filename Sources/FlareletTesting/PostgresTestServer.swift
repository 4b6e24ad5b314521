import Foundation

/// Why a throwaway PostgreSQL server could not be started (tests then skip with this reason).
public struct PostgresUnavailable: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A throwaway PostgreSQL server for tests, started from the installed server binaries (`initdb`, `pg_ctl`) in a
/// temporary directory, listening on `127.0.0.1` at a free port, with a password-protected superuser.
///
/// PostgreSQL refuses to run as root; as root the server runs as the `postgres` system user (created by Debian's
/// `postgresql` package), else as `nobody`, through `runuser`. The binaries are found in `$FLARELET_POSTGRES_BIN`
/// when it is set (only there), else on `PATH` or in the newest `/usr/lib/postgresql/<version>/bin` (Debian's
/// layout).
///
/// A watchdog process stops the server and deletes its directory when the test process ends, however it ends;
/// ``stop()`` does so at once.
public final class PostgresTestServer: Sendable {
    public let host = "127.0.0.1"
    public let port: Int
    /// The superuser.
    public let user = "flarelet"
    public let password: String
    /// The temporary directory (data directory, log, socket).
    public let directory: String
    private let tools: Tools

    struct Tools: Sendable {
        var bin: String
        /// `runuser -u <user> --` when running as root, else empty.
        var prefix: [String]
        var owner: String?
    }

    /// Whether tests must fail instead of skipping when no server can be started: on CI (`CI=true`, where
    /// `.ci/run` installs PostgreSQL) or with `FLARELET_REQUIRE_POSTGRES=1`.
    public static var isRequired: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["CI"] == "true" || environment["FLARELET_REQUIRE_POSTGRES"] == "1"
    }

    // MARK: Shared server

    private static let sharedState = SharedServer()

    private actor SharedServer {
        var starting: Task<Result<PostgresTestServer, PostgresUnavailable>, Never>?

        func get() async -> Result<PostgresTestServer, PostgresUnavailable> {
            if let starting { return await starting.value }
            let task = Task<Result<PostgresTestServer, PostgresUnavailable>, Never> {
                do throws(PostgresUnavailable) {
                    return .success(try await PostgresTestServer.start())
                } catch {
                    return .failure(error)
                }
            }
            self.starting = task
            return await task.value
        }
    }

    /// One server shared by every test of the process (started on first use, stopped when the process ends). Give
    /// each test its own database (``createDatabase(_:)``).
    public static func shared() async throws(PostgresUnavailable) -> PostgresTestServer {
        try await self.sharedState.get().get()
    }

    // MARK: Lifecycle

    /// Initialises a cluster in a new temporary directory and starts it.
    /// - Parameter tls: Also accept TLS, with a fresh self-signed certificate for `localhost` (``certificatePath``);
    ///   needs the `openssl` command.
    public static func start(tls: Bool = false) async throws(PostgresUnavailable) -> PostgresTestServer {
        let tools = try self.findTools()
        let directory: String
        do {
            directory = try self.makeDirectory(owner: tools.owner)
        } catch {
            throw PostgresUnavailable("cannot create a temporary directory for PostgreSQL: \(error)")
        }
        let password = "pw-" + UUID().uuidString.lowercased()
        let server = PostgresTestServer(port: 0, password: password, directory: directory, tools: tools, tls: tls)
        // From here on, whatever happens to this process, the directory (and a server started in it) goes away.
        server.startWatchdog()
        do {
            let passwordFile = directory + "/pwfile"
            try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
            if let owner = tools.owner { try self.chown(passwordFile, to: owner) }
            let initdb = try server.run(
                "initdb",
                [
                    "-D", server.dataDirectory, "-U", server.user, "--pwfile=\(passwordFile)", "--auth-host=scram-sha-256",
                    "--auth-local=trust", "-E", "UTF8", "--locale=C", "-N",
                ]
            )
            guard initdb.status == 0 else { throw PostgresUnavailable("initdb failed: \(initdb.output.suffix(600))") }
            if tls {
                let made = try server.runAsOwner(
                    "openssl",
                    [
                        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout",
                        directory + "/server.key", "-out", directory + "/server.crt",
                    ]
                )
                guard made.status == 0 else { throw PostgresUnavailable("openssl could not make a certificate: \(made.output.suffix(400))") }
                _ = try server.runAsOwner("chmod", ["600", directory + "/server.key"])
            }
            let port = try self.freePort()
            let started = PostgresTestServer(port: port, password: password, directory: directory, tools: tools, tls: tls)
            try started.startServer()
            return started
        } catch let error as PostgresUnavailable {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw PostgresUnavailable("\(error)")
        }
    }

    private init(port: Int, password: String, directory: String, tools: Tools, tls: Bool) {
        self.port = port
        self.password = password
        self.directory = directory
        self.tools = tools
        self.tls = tls
    }

    /// Whether the server accepts TLS.
    public let tls: Bool

    /// The server's self-signed certificate (PEM), when it accepts TLS.
    public var certificatePath: String? { self.tls ? self.directory + "/server.crt" : nil }

    var dataDirectory: String { self.directory + "/data" }

    private func startServer() throws(PostgresUnavailable) {
        // fsync off is safe here (the machine does not crash under a test); commits stay synchronous so that an
        // immediate stop (``halt()``) loses nothing that was acknowledged.
        var options = "-p \(self.port) -h 127.0.0.1 -k \(self.directory) -c fsync=off -c full_page_writes=off -c max_connections=200"
        if self.tls {
            options += " -c ssl=on -c ssl_cert_file=\(self.directory)/server.crt -c ssl_key_file=\(self.directory)/server.key"
        }
        let result = try self.run(
            "pg_ctl",
            ["-D", self.dataDirectory, "-l", self.directory + "/server.log", "-w", "-t", "60", "-o", options, "start"]
        )
        guard result.status == 0 else {
            let log = (try? String(contentsOfFile: self.directory + "/server.log", encoding: .utf8)) ?? ""
            throw PostgresUnavailable("pg_ctl start failed: \(result.output.suffix(400)) \(log.suffix(600))")
        }
    }

    /// Stops the server (immediately; nothing needs to survive) and keeps its data directory.
    public func halt() {
        _ = try? self.run("pg_ctl", ["-D", self.dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    /// Starts a halted server again on the same port with the same data.
    public func resume() throws(PostgresUnavailable) {
        try self.startServer()
    }

    /// Stops the server and deletes its directory.
    public func stop() {
        self.halt()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// A `postgres://` connection string for `database` (user and password included).
    public func connectionString(database: String) -> String {
        "postgres://\(self.user):\(self.password)@\(self.host):\(self.port)/\(database)"
    }

    /// Creates a database (dropping one of the same name first).
    public func createDatabase(_ name: String) throws(PostgresUnavailable) {
        try self.psql(database: "postgres", "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
        try self.psql(database: "postgres", "CREATE DATABASE \"\(name)\"")
    }

    /// Creates a database with a fresh unique name and returns the name.
    public func createDatabase(prefix: String = "t") throws(PostgresUnavailable) -> String {
        let name = prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try self.createDatabase(name)
        return name
    }

    /// Runs SQL with `psql` (as the superuser) and returns its unaligned, tuples-only output.
    @discardableResult
    public func psql(database: String, _ sql: String) throws(PostgresUnavailable) -> String {
        let psql = FileManager.default.isExecutableFile(atPath: self.tools.bin + "/psql") ? self.tools.bin + "/psql" : "psql"
        let result = try Self.execute(
            [
                psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", String(self.port), "-U", self.user, "-d", database,
                "-c", sql,
            ],
            environment: ["PGPASSWORD": self.password]
        )
        guard result.status == 0 else { throw PostgresUnavailable("psql failed: \(result.output)") }
        return result.output
    }

    // MARK: Helpers

    private func run(_ tool: String, _ arguments: [String]) throws(PostgresUnavailable) -> (status: Int32, output: String) {
        try Self.execute(self.tools.prefix + [self.tools.bin + "/" + tool] + arguments, environment: [:])
    }

    /// Runs a command from `PATH` as the user the server runs as.
    private func runAsOwner(_ tool: String, _ arguments: [String]) throws(PostgresUnavailable) -> (status: Int32, output: String) {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(tool)" }
        guard let executable = path.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw PostgresUnavailable("\(tool) not found on PATH")
        }
        return try Self.execute(self.tools.prefix + [executable] + arguments, environment: [:])
    }

    /// Stops the server and removes its directory once this process has gone.
    private func startWatchdog() {
        let pid = ProcessInfo.processInfo.processIdentifier
        let stop = (self.tools.prefix + [self.tools.bin + "/pg_ctl", "-D", self.dataDirectory, "-m", "immediate", "stop"])
            .map(Self.shellQuote).joined(separator: " ")
        let script = "while kill -0 \(pid) 2>/dev/null; do sleep 1; done; \(stop) >/dev/null 2>&1; rm -rf \(Self.shellQuote(self.directory))"
        _ = try? Self.execute(["/bin/sh", "-c", "setsid sh -c \(Self.shellQuote(script)) </dev/null >/dev/null 2>&1 &"], environment: [:])
    }

    static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Runs a command to completion with `posix_spawn` and `waitpid`, its output collected in a temporary file.
    ///
    /// Not `Foundation.Process`: `pg_ctl start` leaves a server running that inherits whatever descriptors the
    /// command had, and `Process` (or a pipe) would then wait for that server to exit instead of the command.
    static func execute(_ command: [String], environment: [String: String]) throws(PostgresUnavailable) -> (status: Int32, output: String) {
        var executable = command[0]
        if !executable.contains("/") {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            guard let found = path.split(separator: ":").map({ "\($0)/\(executable)" }).first(where: FileManager.default.isExecutableFile(atPath:))
            else { throw PostgresUnavailable("\(executable) not found on PATH") }
            executable = found
        }
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        merged["LC_ALL"] = "C"
        let outputPath = NSTemporaryDirectory() + "flarelet-pg-output-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let arguments = [executable] + command.dropFirst()
        let cArguments = arguments.map { strdup($0) } + [nil]
        let cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw PostgresUnavailable("cannot run \(executable): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw PostgresUnavailable("waiting for \(executable) failed: errno \(errno)") }
        }
        let exited = (status & 0x7F) == 0
        let code = exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        return (code, String(decoding: data, as: UTF8.self))
    }

    private static func findTools() throws(PostgresUnavailable) -> Tools {
        let fileManager = FileManager.default
        var candidates: [String] = []
        let configured = ProcessInfo.processInfo.environment["FLARELET_POSTGRES_BIN"] ?? ""
        if !configured.isEmpty {
            // An explicit choice: only that directory.
            candidates.append(configured)
        } else {
            for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
                let initdb = String(directory) + "/initdb"
                if fileManager.isExecutableFile(atPath: initdb) {
                    candidates.append(URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path)
                }
            }
        }
        if configured.isEmpty {
            let debian = "/usr/lib/postgresql"
            let versions = ((try? fileManager.contentsOfDirectory(atPath: debian)) ?? []).compactMap(Int.init).sorted(by: >)
            candidates += versions.map { "\(debian)/\($0)/bin" }
        }
        guard
            let bin = candidates.first(where: {
                fileManager.isExecutableFile(atPath: $0 + "/initdb") && fileManager.isExecutableFile(atPath: $0 + "/pg_ctl")
            })
        else {
            throw PostgresUnavailable(
                configured.isEmpty
                    ? "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin; "
                        + "install them with `apt-get install postgresql` or set FLARELET_POSTGRES_BIN"
                    : "PostgreSQL server binaries (initdb, pg_ctl) not found in FLARELET_POSTGRES_BIN=\(configured)"
            )
        }
        guard geteuid() == 0 else { return Tools(bin: bin, prefix: [], owner: nil) }
        guard let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first(where: fileManager.isExecutableFile(atPath:)) else {
            throw PostgresUnavailable("running as root and runuser is missing: PostgreSQL refuses to run as root")
        }
        guard let owner = ["postgres", "nobody"].first(where: { (name: String) in getpwnam(name) != nil }) else {
            throw PostgresUnavailable("running as root and neither a postgres nor a nobody user exists to run PostgreSQL")
        }
        return Tools(bin: bin, prefix: [runuser, "-u", owner, "--"], owner: owner)
    }

    private static func makeDirectory(owner: String?) throws -> String {
        // As root the server runs as another user, who must be able to reach the directory: use /tmp itself then.
        let base = owner != nil || NSTemporaryDirectory().isEmpty ? "/tmp" : NSTemporaryDirectory()
        let path = URL(fileURLWithPath: base).appendingPathComponent("flarelet-pg-" + UUID().uuidString.prefix(8).lowercased()).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let owner { try self.chown(path, to: owner) }
        return path
    }

    private static func chown(_ path: String, to owner: String) throws {
        guard let entry = getpwnam(owner) else { throw PostgresUnavailable("no user \(owner)") }
        guard Foundation.chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw PostgresUnavailable("cannot give \(path) to \(owner): errno \(errno)")
        }
    }

    private static func freePort() throws(PostgresUnavailable) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PostgresUnavailable("cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw PostgresUnavailable("cannot bind a socket to find a free port") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw PostgresUnavailable("cannot read the free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
