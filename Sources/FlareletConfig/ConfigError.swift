/// An error found while locating, reading or interpreting a `wrangler.toml` configuration, or its `.dev.vars`,
/// `.env` and `--var` inputs.
///
/// ``description`` renders it the way compilers do: `wrangler.toml:3:22: <message>`. Location parts that are not
/// known are left out (`wrangler.toml: <message>`, or just the message).
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is, for callers that react differently (for example the CLI's exit paths).
    public enum Kind: Sendable, Hashable {
        /// No `wrangler.toml` was found while searching upward.
        case noConfigurationFile
        /// A file could not be read.
        case unreadableFile
        /// The TOML text is not valid TOML.
        case syntax
        /// A key has a value of the wrong type or an invalid value.
        case invalidValue
        /// A required key is missing.
        case missingKey
        /// `--env X` names an environment the configuration does not define.
        case environmentNotFound
        /// No `[[d1_databases]]` entry matches the given name or binding.
        case d1DatabaseNotFound
        /// A command-line argument (such as `--var`) is malformed.
        case invalidArgument
    }

    /// The kind of problem.
    public var kind: Kind
    /// The file the problem is in, as the caller named it (for example `wrangler.toml` or an absolute path).
    public var file: String?
    /// The 1-based line of the problem in ``file``.
    public var line: Int?
    /// The 1-based column of the problem in ``line``.
    public var column: Int?
    /// The TOML key path of the offending key, e.g. `env.staging.d1_databases[0].binding`.
    public var keyPath: String?
    /// The human-readable message, without the location prefix.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - kind: What kind of problem this is.
    ///   - file: The file, as the caller named it.
    ///   - line: The 1-based line.
    ///   - column: The 1-based column.
    ///   - keyPath: The TOML key path.
    ///   - message: The message without location.
    public init(
        _ kind: Kind,
        file: String? = nil,
        line: Int? = nil,
        column: Int? = nil,
        keyPath: String? = nil,
        message: String
    ) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// `file:line:column: message`, leaving out the parts that are unknown.
    public var description: String {
        guard let file = self.file else { return self.message }
        var prefix = file
        if let line = self.line {
            prefix += ":\(line)"
            if let column = self.column {
                prefix += ":\(column)"
            }
        }
        return "\(prefix): \(self.message)"
    }
}
