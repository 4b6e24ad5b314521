import FlareletJSON
import Foundation
import Testing

@testable import FlareletConfig

/// A temporary directory holding the given files; removed when the body returns.
func withDirectory<T>(
    _ files: [String: String],
    _ body: (String) throws -> T
) throws -> T {
    let root = FileManager.default.temporaryDirectory
        .appendingPathComponent("flarelet-config-\(UUID().uuidString)")
        .standardizedFileURL.path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    for (name, contents) in files {
        let path = root + "/" + name
        let parent = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    }
    return try body(root)
}

/// Loads `wrangler.toml` from a temporary directory holding `files`.
func load(
    _ toml: String,
    files: [String: String] = [:],
    env: String? = nil,
    cliVars: [String] = [],
    persistTo: String? = nil,
    processEnvironment: [String: String] = [:]
) throws -> (config: ResolvedConfig, directory: String) {
    var all = files
    all["wrangler.toml"] = toml
    return try withDirectory(all) { directory in
        let config = try WranglerConfig.load(
            path: directory + "/wrangler.toml",
            env: env,
            cliVars: cliVars,
            persistTo: persistTo,
            workingDirectory: directory,
            processEnvironment: processEnvironment
        )
        return (config, directory)
    }
}

/// The error thrown by parsing `toml` as `wrangler.toml`.
func parseError(_ toml: String) -> ConfigError? {
    do {
        _ = try RawConfig.parse(text: toml, file: "wrangler.toml", directory: "/project")
        return nil
    } catch {
        return error
    }
}

/// The error thrown by loading `toml` with `env`/`cliVars`.
func loadError(_ toml: String, env: String? = nil, cliVars: [String] = []) -> ConfigError? {
    do {
        _ = try load(toml, env: env, cliVars: cliVars)
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// One entry of `ResolvedConfig.vars`, comparable.
struct NamedValue: Equatable, CustomStringConvertible {
    var name: String
    var value: JSONValue

    init(_ name: String, _ value: JSONValue) {
        self.name = name
        self.value = value
    }

    var description: String { "\(self.name)=\(self.value)" }
}

/// `vars` as comparable values.
func named(_ vars: [(name: String, value: JSONValue)]) -> [NamedValue] {
    vars.map { NamedValue($0.name, $0.value) }
}
