import FlareletJSON
import Foundation

/// Locating, loading and resolving `wrangler.toml` (spec sections 5 and 7.13).
public enum WranglerConfig {
    /// The file Flarelet reads.
    public static let fileName = "wrangler.toml"

    /// Searches `directory` and then each parent for `wrangler.toml`.
    ///
    /// - Parameters:
    ///   - directory: Where to start; relative paths resolve against the current working directory.
    ///   - toDefine: The end of the error sentence, e.g. `"your D1 database"` for the `d1` commands.
    /// - Returns: The absolute path of the file found.
    /// - Throws: ``ConfigError`` `No configuration file found. Create a wrangler.toml file to define <toDefine>.`
    public static func find(startingAt directory: String, toDefine: String = "your Worker") throws(ConfigError) -> String {
        var current = Paths.absolute(directory, relativeTo: FileManager.default.currentDirectoryPath)
        while true {
            let candidate = Paths.join(current, self.fileName)
            if self.isRegularFile(candidate) {
                return candidate
            }
            if current == "/" { break }
            current = Paths.directory(of: current)
        }
        throw ConfigError(
            .noConfigurationFile,
            message: "No configuration file found. Create a \(self.fileName) file to define \(toDefine)."
        )
    }

    /// Reads, validates and resolves a configuration file.
    ///
    /// - Parameters:
    ///   - path: The configuration file; relative paths resolve against `workingDirectory`. Messages name the file
    ///     exactly as given here.
    ///   - env: The `--env` value (`nil` or empty for the top level).
    ///   - cliVars: `--var` arguments, each `KEY:VALUE` (split at the first `:`).
    ///   - persistTo: `--persist-to`, resolved against `workingDirectory`.
    ///   - workingDirectory: The directory relative paths resolve against (default: the process's).
    ///   - processEnvironment: The environment `${VAR}` expansion in `.env` files falls back to, and where
    ///     `CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV` is read (default: the process's). It never becomes bindings.
    /// - Throws: ``ConfigError`` for unreadable files, invalid TOML or values, an unknown environment and bad `--var`s.
    public static func load(
        path: String,
        env: String?,
        cliVars: [String] = [],
        persistTo: String? = nil,
        workingDirectory: String? = nil,
        processEnvironment: [String: String]? = nil
    ) throws(ConfigError) -> ResolvedConfig {
        let workingDirectory = workingDirectory ?? FileManager.default.currentDirectoryPath
        let parsedCLIVars = try self.parseCLIVars(cliVars)
        let absolutePath = Paths.absolute(path, relativeTo: workingDirectory)
        let text = try self.readTOMLText(absolutePath, displayName: path)
        let raw = try RawConfig.parse(text: text, file: path, directory: Paths.directory(of: absolutePath))
        return try self.resolve(
            raw,
            configPath: absolutePath,
            env: env,
            cliVars: parsedCLIVars,
            persistTo: persistTo,
            workingDirectory: workingDirectory,
            processEnvironment: processEnvironment ?? ProcessInfo.processInfo.environment
        )
    }

    /// Splits `--var` arguments at their first `:`.
    ///
    /// - Throws: ``ConfigError`` naming `--var` when an argument has no `:` or an empty key.
    public static func parseCLIVars(_ arguments: [String]) throws(ConfigError) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        for argument in arguments {
            guard let colon = argument.firstIndex(of: ":"), colon != argument.startIndex else {
                throw ConfigError(
                    .invalidArgument,
                    message: "Invalid --var \(KeyPathText.quoted(argument)): expected KEY:VALUE (split at the first \":\")"
                )
            }
            result.append((name: String(argument[..<colon]), value: String(argument[argument.index(after: colon)...])))
        }
        return result
    }

    /// Selects the environment of a parsed configuration and applies spec 5.3–5.5 and 7 (state location).
    ///
    /// - Parameters:
    ///   - raw: The parsed configuration; `.dev.vars` and `.env` files are looked up in `raw.directory`.
    ///   - configPath: The absolute path of the configuration file.
    ///   - env: The `--env` value (`nil` or empty for the top level).
    ///   - cliVars: Parsed `--var` values (see ``parseCLIVars(_:)``).
    ///   - persistTo: `--persist-to`, resolved against `workingDirectory`.
    ///   - workingDirectory: The absolute directory relative paths resolve against.
    ///   - processEnvironment: Used only for `${VAR}` expansion in `.env` files and the
    ///     `CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV` switch.
    public static func resolve(
        _ raw: RawConfig,
        configPath: String,
        env: String?,
        cliVars: [(name: String, value: String)] = [],
        persistTo: String? = nil,
        workingDirectory: String,
        processEnvironment: [String: String] = [:]
    ) throws(ConfigError) -> ResolvedConfig {
        let envName = (env?.isEmpty ?? true) ? nil : env
        var warnings = raw.warnings
        if Paths.lastComponent(configPath) == self.fileName {
            for preferred in ["wrangler.json", "wrangler.jsonc"] where self.isRegularFile(Paths.join(raw.directory, preferred)) {
                warnings.append(
                    "Found \(preferred) next to \(self.fileName): wrangler would use \(preferred) instead, "
                        + "but Flarelet reads \(self.fileName)."
                )
                break
            }
        }

        // 5.3: select the scope and apply inheritance.
        let top = raw.topLevel
        var scope = top
        var name = top.name
        if let envName {
            if let selected = raw.environment(named: envName) {
                warnings += selected.warnings
                scope = selected
                name = selected.name ?? top.name.map { "\($0)-\(envName)" }
                scope.main = selected.has("main") ? selected.main : top.main
                scope.mainPosition = selected.has("main") ? selected.mainPosition : top.mainPosition
                if !selected.has("name") { scope.namePosition = top.namePosition }
                scope.compatibilityDate = selected.has("compatibility_date") ? selected.compatibilityDate : top.compatibilityDate
                scope.compatibilityFlags = selected.has("compatibility_flags") ? selected.compatibilityFlags : top.compatibilityFlags
                scope.crons = selected.has("triggers") ? selected.crons : top.crons
                scope.assets = selected.has("assets") ? selected.assets : top.assets
                for field in ConfigKeys.notInheritable where top.has(field) && !selected.has(field) {
                    warnings.append(
                        "\"\(field)\" exists at the top level, but not on \"env.\(envName)\".\n"
                            + "This is not what you probably want, since \"\(field)\" is not inherited by environments.\n"
                            + "Please add \"\(field)\" to \"env.\(envName)\"."
                    )
                }
            } else {
                let message = self.noEnvironmentMessage(envName, available: raw.environments.compactMap(\.envName))
                guard raw.environments.isEmpty else {
                    throw ConfigError(.environmentNotFound, message: message)
                }
                warnings.append(message)
            }
        }
        if let conflict = scope.bindingConflict {
            throw conflict
        }
        guard let name else {
            throw ConfigError(
                .missingKey,
                file: raw.file,
                keyPath: "name",
                message: "missing required field \"name\": add name = \"<worker name>\" at the top level"
            )
        }

        // 5.5: .dev.vars, else .env files; then --var.
        let devVars = try self.loadDevVars(directory: raw.directory, envName: envName, processEnvironment: processEnvironment)
        warnings += devVars.warnings
        var secrets = devVars.values
        var vars = scope.vars ?? []
        if let required = scope.requiredSecrets {
            let varNames = Set(vars.map(\.name))
            secrets = secrets.filter { required.contains($0.name) || varNames.contains($0.name) }
            let provided = Set(secrets.map(\.name)).union(cliVars.map(\.name))
            let missing = required.filter { !provided.contains($0) }
            if !missing.isEmpty {
                warnings.append("Missing required secrets: " + missing.joined(separator: ", "))
            }
        }
        for secret in secrets {
            self.set(secret.name, .string(secret.value), in: &vars)
        }
        for cliVar in cliVars {
            self.set(cliVar.name, .string(cliVar.value), in: &vars)
        }
        let cliNames = Set(cliVars.map(\.name))
        var secretNames: [String] = []
        for secret in secrets where !cliNames.contains(secret.name) && !secretNames.contains(secret.name) {
            secretNames.append(secret.name)
        }

        let persistRoot =
            persistTo.map { Paths.absolute($0, relativeTo: workingDirectory) }
            ?? Paths.join(Paths.join(raw.directory, ".flarelet"), "state")

        var resolved = ResolvedConfig(
            configPath: configPath,
            directory: raw.directory,
            name: name,
            main: scope.main,
            mainPosition: scope.main == nil ? scope.namePosition : scope.mainPosition,
            compatibilityDate: scope.compatibilityDate,
            compatibilityFlags: scope.compatibilityFlags ?? [],
            envName: envName,
            vars: vars,
            secretNames: secretNames,
            devVarsFiles: devVars.files,
            d1Databases: scope.d1Databases ?? [],
            kvNamespaces: scope.kvNamespaces ?? [],
            hyperdrives: scope.hyperdrives ?? [],
            hyperdriveEnvironment: try self.hyperdriveEnvironment(
                directory: raw.directory,
                envName: envName,
                processEnvironment: processEnvironment
            ),
            crons: scope.crons ?? [],
            dev: raw.dev,
            warnings: warnings,
            persistRoot: persistRoot
        )
        resolved.assets = scope.assets
        resolved.hasSite = top.has("site")
        return resolved
    }

    // MARK: - Helpers

    static func noEnvironmentMessage(_ envName: String, available: [String]) -> String {
        var lines = [
            "No environment found in configuration with name \"\(envName)\".",
            "Before using `--env=\(envName)` there should be an equivalent environment section in the configuration.",
        ]
        if !available.isEmpty {
            let names = available.map(KeyPathText.quoted).joined(separator: ",")
            lines.append("The available configured environment names are: [\(names)]")
        }
        lines += [
            "",
            "Consider adding an environment configuration section to the \(self.fileName) file:",
            "```",
            "[env.\(envName)]",
            "```",
        ]
        return lines.joined(separator: "\n")
    }

    private static func set(_ name: String, _ value: JSONValue, in vars: inout [(name: String, value: JSONValue)]) {
        if let index = vars.firstIndex(where: { $0.name == name }) {
            vars[index].value = value
        } else {
            vars.append((name: name, value: value))
        }
    }

    private struct DevVars {
        var values: [(name: String, value: String)] = []
        var files: [String] = []
        var warnings: [String] = []
    }

    private static func loadDevVars(
        directory: String,
        envName: String?,
        processEnvironment: [String: String]
    ) throws(ConfigError) -> DevVars {
        var result = DevVars()
        let devVarsCandidates = (envName.map { [".dev.vars.\($0)"] } ?? []) + [".dev.vars"]
        for candidate in devVarsCandidates {
            let path = Paths.join(directory, candidate)
            guard self.isRegularFile(path) else { continue }
            let parsed = DotEnv.parse(try self.readText(path, displayName: path), file: candidate)
            result.files.append(path)
            result.warnings += parsed.warnings
            for entry in parsed.entries {
                self.set(entry.key, entry.value, in: &result.values)
            }
            return result
        }
        guard processEnvironment["CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV"] != "false" else { return result }
        var dotEnvCandidates = [".env", ".env.local"]
        if let envName {
            dotEnvCandidates += [".env.\(envName)", ".env.\(envName).local"]
        }
        for candidate in dotEnvCandidates {
            let path = Paths.join(directory, candidate)
            guard self.isRegularFile(path) else { continue }
            let parsed = DotEnv.parse(try self.readText(path, displayName: path), file: candidate)
            result.files.append(path)
            result.warnings += parsed.warnings
            for entry in parsed.entries {
                var value = entry.value
                if entry.quote != "'" {
                    let known = result.values
                    value = DotEnv.expand(value) { name in
                        known.last(where: { $0.name == name })?.value ?? processEnvironment[name]
                    }
                }
                self.set(entry.key, value, in: &result.values)
            }
        }
        return result
    }

    /// The Hyperdrive override variables wrangler would see: `.env`, `.env.local` and, with `--env X`, `.env.X` and
    /// `.env.X.local` (later files win), then the real process environment over them.
    private static func hyperdriveEnvironment(
        directory: String,
        envName: String?,
        processEnvironment: [String: String]
    ) throws(ConfigError) -> [String: String] {
        let prefixes = ["CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_", "WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_"]
        func relevant(_ name: String) -> Bool { prefixes.contains { name.hasPrefix($0) } }
        var result: [String: String] = [:]
        var candidates = [".env", ".env.local"]
        if let envName { candidates += [".env.\(envName)", ".env.\(envName).local"] }
        for candidate in candidates {
            let path = Paths.join(directory, candidate)
            guard self.isRegularFile(path) else { continue }
            for entry in DotEnv.parse(try self.readText(path, displayName: path), file: candidate).entries where relevant(entry.key) {
                result[entry.key] = entry.value
            }
        }
        for (name, value) in processEnvironment where relevant(name) {
            result[name] = value
        }
        return result
    }

    private static func set(_ name: String, _ value: String, in values: inout [(name: String, value: String)]) {
        if let index = values.firstIndex(where: { $0.name == name }) {
            values[index].value = value
        } else {
            values.append((name: name, value: value))
        }
    }

    static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Reads a TOML file, which must be valid UTF-8 (TOML 1.0): an invalid byte is a syntax error at its line
    /// and column (counted in characters).
    static func readTOMLText(_ path: String, displayName: String) throws(ConfigError) -> String {
        guard self.isRegularFile(path) else {
            throw ConfigError(.unreadableFile, message: "Could not read \(displayName): no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(.unreadableFile, message: "Could not read \(displayName): permission denied or I/O error")
        }
        let bytes = [UInt8](data)
        if let offset = UTF8Check.firstInvalidOffset(in: bytes) {
            let lineStart = bytes[..<offset].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            let line = bytes[..<offset].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).unicodeScalars.count + 1
            let byte = String(bytes[offset], radix: 16, uppercase: true)
            throw ConfigError(
                .syntax,
                file: displayName,
                line: line,
                column: column,
                message: "invalid TOML: invalid UTF-8 byte 0x\(byte.count == 1 ? "0" + byte : byte) (a TOML document must be valid UTF-8)"
            )
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func readText(_ path: String, displayName: String) throws(ConfigError) -> String {
        guard self.isRegularFile(path) else {
            throw ConfigError(.unreadableFile, message: "Could not read \(displayName): no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(.unreadableFile, message: "Could not read \(displayName): permission denied or I/O error")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
enum UTF8Check {
    /// The offset of the first byte that does not start a valid UTF-8 sequence, or `nil` if all are valid.
    static func firstInvalidOffset(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch lead {
            case 0x00...0x7F:
                index += 1
                continue
            case 0xC2...0xDF: (length, minimum, scalar) = (2, 0x80, UInt32(lead & 0x1F))
            case 0xE0...0xEF: (length, minimum, scalar) = (3, 0x800, UInt32(lead & 0x0F))
            case 0xF0...0xF4: (length, minimum, scalar) = (4, 0x10000, UInt32(lead & 0x07))
            default: return index
            }
            guard index + length <= bytes.count else { return index }
            for continuation in bytes[(index + 1)..<(index + length)] {
                guard continuation & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(continuation & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return index }
            index += length
        }
        return nil
    }
}
