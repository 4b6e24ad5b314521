/// A Hyperdrive binding's local database, parsed from its connection string (platform-next.md 10.1 and 10.2).
public struct HyperdriveOrigin: Sendable, Hashable {
    /// `postgres` or `postgresql`, as written (lowercased).
    public var scheme: String
    /// Percent-decoded.
    public var user: String
    /// Percent-decoded.
    public var password: String
    /// The host as written (IPv6 addresses without their brackets).
    public var host: String
    /// The port, 5432 when the string names none.
    public var port: Int
    /// The path without its first `/`, percent-decoded.
    public var database: String
    /// The query parameters in order, percent-decoded.
    public var parameters: [QueryParameter]

    public struct QueryParameter: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    public init(
        scheme: String,
        user: String,
        password: String,
        host: String,
        port: Int,
        database: String,
        parameters: [QueryParameter] = []
    ) {
        self.scheme = scheme
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.parameters = parameters
    }

    /// The last value of query parameter `name`.
    public func parameter(_ name: String) -> String? {
        self.parameters.last { $0.name == name }?.value
    }

    /// libpq's `sslmode` (`disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`), `disable` when absent.
    public var sslMode: String {
        self.parameter("sslmode") ?? "disable"
    }

    /// The connection string a worker sees for a forwarder at `host:port`:
    /// `<scheme>://<user>:<password>@<host>:<port>/<database>?sslmode=disable`, with user, password and database
    /// percent-encoded (**Flarelet:** workerd writes them decoded, which no client can parse back).
    public func localConnectionString(host: String, port: Int) -> String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "\(self.scheme)://\(Self.encode(self.user)):\(Self.encode(self.password))@\(hostText):\(port)/"
            + "\(Self.encode(self.database))?sslmode=disable"
    }

    /// Parses and validates a connection string with Miniflare's checks and messages.
    /// - Throws: ``HyperdriveOriginError`` with the message for the first problem: the protocol, then the host,
    ///   the database, the user and the password.
    public static func parse(_ text: String) throws(HyperdriveOriginError) -> HyperdriveOrigin {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex,
            text[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }),
            text.first?.isLetter == true
        else {
            throw HyperdriveOriginError(.invalidURL)
        }
        let scheme = text[..<colon].lowercased()
        guard ["postgres", "postgresql", "mysql"].contains(scheme) else { throw HyperdriveOriginError(.protocol) }
        guard scheme != "mysql" else { throw HyperdriveOriginError(.mysql) }
        var rest = text[text.index(after: colon)...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var query = Substring("")
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        guard rest.hasPrefix("//") else { throw HyperdriveOriginError(.host) }
        rest = rest.dropFirst(2)
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        var userInfo = Substring("")
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
        }
        var host = hostPort
        var port = 5432
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw HyperdriveOriginError(.invalidURL) }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw HyperdriveOriginError(.invalidURL) }
                port = try Self.port(after.dropFirst())
            }
        } else if let portColon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<portColon]
            port = try Self.port(hostPort[hostPort.index(after: portColon)...])
        }
        guard let decodedHost = Self.decode(host), !decodedHost.isEmpty else { throw HyperdriveOriginError(.host) }
        let databaseText = path.isEmpty ? Substring("") : path.dropFirst()
        guard let database = Self.decode(databaseText), !database.isEmpty else { throw HyperdriveOriginError(.database) }
        var userText = userInfo
        var passwordText = Substring("")
        if let separator = userInfo.firstIndex(of: ":") {
            userText = userInfo[..<separator]
            passwordText = userInfo[userInfo.index(after: separator)...]
        }
        guard let user = Self.decode(userText), !user.isEmpty else { throw HyperdriveOriginError(.user) }
        guard let password = Self.decode(passwordText), !password.isEmpty else { throw HyperdriveOriginError(.password) }
        var parameters: [QueryParameter] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0], plusIsSpace: true) ?? String(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1], plusIsSpace: true) ?? String(parts[1]) : ""
            parameters.append(QueryParameter(name: name, value: value))
        }
        let origin = HyperdriveOrigin(
            scheme: scheme,
            user: user,
            password: password,
            host: decodedHost,
            port: port,
            database: database,
            parameters: parameters
        )
        guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(origin.sslMode) else {
            throw HyperdriveOriginError(.sslMode(origin.sslMode))
        }
        return origin
    }

    private static func port(_ text: Substring) throws(HyperdriveOriginError) -> Int {
        if text.isEmpty { return 5432 }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int(text), value <= 65535 else {
            throw HyperdriveOriginError(.invalidURL)
        }
        return value
    }

    /// Percent-decoding (`%XX`); `nil` when the bytes are not UTF-8.
    static func decode(_ text: Substring, plusIsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while index < source.count {
            if source[index] == UInt8(ascii: "%"), index + 2 < source.count, let high = hex(source[index + 1]),
                let low = hex(source[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(plusIsSpace && source[index] == UInt8(ascii: "+") ? UInt8(ascii: " ") : source[index])
                index += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Percent-encodes everything but the unreserved characters `A-Z a-z 0-9 - . _ ~`.
    static func encode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let unreserved =
                (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if unreserved {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                result += "%"
                result.unicodeScalars.append(digits[Int(byte >> 4)])
                result.unicodeScalars.append(digits[Int(byte & 0x0F)])
            }
        }
        return result
    }
}

/// Why a Hyperdrive connection string was refused; ``description`` is the message (Miniflare's where it has one).
public struct HyperdriveOriginError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        case invalidURL
        case `protocol`
        case mysql
        case host
        case database
        case user
        case password
        case sslMode(String)
    }

    public var problem: Problem

    public init(_ problem: Problem) {
        self.problem = problem
    }

    public var description: String {
        switch self.problem {
        case .invalidURL:
            "Invalid URL: expected postgres://user:password@host:port/database"
        case .protocol:
            "Only PostgreSQL-compatible or MySQL-compatible databases are currently supported."
        case .mysql:
            "Flarelet's Hyperdrive binding supports PostgreSQL only; a mysql: connection string cannot be used locally."
        case .host:
            "You must provide a hostname or IP address in your connection string - e.g. "
                + "'user:password@database-hostname.example.com:5432/databasename"
        case .database:
            "You must provide a database name as the path component - e.g. /postgres"
        case .user:
            "You must provide a username - e.g. 'user:password@database.example.com:port/databasename'"
        case .password:
            "You must provide a password - e.g. 'user:password@database.example.com:port/databasename' "
        case .sslMode(let mode):
            "Unsupported sslmode \"\(mode)\": use disable, allow, prefer, require, verify-ca or verify-full"
        }
    }
}

/// A Hyperdrive binding with its connection string resolved: the variables of platform-next.md 10.1 first, then
/// `localConnectionString`.
public struct ResolvedHyperdrive: Sendable, Hashable {
    /// Where the connection string came from.
    public enum Source: Sendable, Hashable {
        /// A process (or `.env` file) variable, by name.
        case variable(String)
        /// `localConnectionString` in the configuration file.
        case config
    }

    public var config: HyperdriveConfig
    public var origin: HyperdriveOrigin
    public var source: Source
    /// Lines to show at start-up (which variable is used; the deprecation notice of the old prefix).
    public var notices: [String]
}

extension ResolvedConfig {
    /// The override variables of a binding, newest spelling first.
    public static func hyperdriveVariables(binding: String) -> [String] {
        ["CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_\(binding)", "WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_\(binding)"]
    }

    /// Resolves and validates the local connection string of `binding` (platform-next.md 10.1): a non-empty
    /// `CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<B>`, else a non-empty `WRANGLER_…` one, else
    /// `localConnectionString`. Variables come from the process environment and the `.env` files beside the
    /// configuration (real variables win).
    /// - Throws: ``ConfigError`` located at the binding (nothing given) or at `localConnectionString` (invalid), or
    ///   naming the variable that holds an invalid string.
    public func resolveHyperdrive(_ binding: HyperdriveConfig) throws(ConfigError) -> ResolvedHyperdrive {
        let names = Self.hyperdriveVariables(binding: binding.binding)
        var notices: [String] = []
        var text: String?
        var source = ResolvedHyperdrive.Source.config
        if let value = self.hyperdriveEnvironment[names[0]], !value.isEmpty {
            text = value
            source = .variable(names[0])
        } else if let value = self.hyperdriveEnvironment[names[1]], !value.isEmpty {
            text = value
            source = .variable(names[1])
            notices.append(
                "Using \"WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING_NAME>\" environment variable. This is deprecated. "
                    + "Please use \"CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING_NAME>\" instead."
            )
        } else if let value = binding.localConnectionString {
            text = value
        } else if names.contains(where: { self.hyperdriveEnvironment[$0] != nil }) {
            text = ""
            source = .variable(names.first { self.hyperdriveEnvironment[$0] != nil } ?? names[0])
        }
        if case .variable(let name) = source, text?.isEmpty == false {
            notices.append(
                "Found a non-empty \(name) variable for binding. Hyperdrive will connect to this database during local development."
            )
        }
        guard let text else {
            throw ConfigError(
                .missingKey,
                file: binding.file,
                line: binding.line,
                column: binding.column,
                keyPath: "hyperdrive",
                message: "When developing locally, you should use a local Postgres connection string to emulate Hyperdrive "
                    + "functionality. Please setup Postgres locally and set the value of the '\(names[0])' variable or "
                    + "\"\(binding.binding)\"'s \"localConnectionString\" to the Postgres connection string."
            )
        }
        do {
            let origin = try HyperdriveOrigin.parse(text)
            return ResolvedHyperdrive(config: binding, origin: origin, source: source, notices: notices)
        } catch {
            switch source {
            case .variable(let name):
                throw ConfigError(.invalidValue, message: "\(name) (Hyperdrive binding \"\(binding.binding)\"): \(error)")
            case .config:
                throw ConfigError(
                    .invalidValue,
                    file: binding.file,
                    line: binding.connectionStringLine ?? binding.line,
                    column: binding.connectionStringColumn ?? binding.column,
                    keyPath: "localConnectionString",
                    message: "\"\(binding.binding)\"'s \"localConnectionString\": \(error)"
                )
            }
        }
    }
}
