public import FlareletJSON

/// `[assets]` of the selected scope (platform-next.md 8.1): static files served before (or instead of) the worker.
public struct AssetsConfig: Sendable, Hashable {
    /// `html_handling`: how `.html` files map to URLs (8.4).
    public enum HTMLHandling: String, Sendable, Hashable, CaseIterable {
        case autoTrailingSlash = "auto-trailing-slash"
        case forceTrailingSlash = "force-trailing-slash"
        case dropTrailingSlash = "drop-trailing-slash"
        case none
    }

    /// `not_found_handling`: what answers when no file matches (8.5).
    public enum NotFoundHandling: String, Sendable, Hashable, CaseIterable {
        case singlePageApplication = "single-page-application"
        case notFoundPage = "404-page"
        case none
    }

    /// `run_worker_first`: a boolean, or route patterns (`/api/*`, `!/api/docs/*`).
    public enum RunWorkerFirst: Sendable, Hashable {
        case always(Bool)
        case patterns([String])
    }

    /// `directory` exactly as written (`nil` when the key is missing, which fails at start).
    public var directory: String?
    /// `directory` resolved against the configuration file's folder.
    public var directoryPath: String?
    /// `binding`: the name under which the worker gets the assets fetcher (`env.ASSETS`).
    public var binding: String?
    public var htmlHandling: HTMLHandling
    public var notFoundHandling: NotFoundHandling
    public var runWorkerFirst: RunWorkerFirst
    /// Where `[assets]` (or its `directory` key, when present) is written: `file:line:column` for start-up errors.
    public var location: String

    /// Creates an assets configuration.
    public init(
        directory: String?,
        directoryPath: String?,
        binding: String? = nil,
        htmlHandling: HTMLHandling = .autoTrailingSlash,
        notFoundHandling: NotFoundHandling = .none,
        runWorkerFirst: RunWorkerFirst = .always(false),
        location: String = "wrangler.toml"
    ) {
        self.directory = directory
        self.directoryPath = directoryPath
        self.binding = binding
        self.htmlHandling = htmlHandling
        self.notFoundHandling = notFoundHandling
        self.runWorkerFirst = runWorkerFirst
        self.location = location
    }

    /// Whether `run_worker_first` is `true` or a list of patterns (both need a worker script).
    public var runsWorkerFirst: Bool {
        switch self.runWorkerFirst {
        case .always(let value): value
        case .patterns: true
        }
    }

    /// wrangler's route-pattern checks for the array form of `run_worker_first` (platform-next.md 8.2).
    /// - Returns: the error text, or `nil` when the rules are valid.
    public static func routeRuleProblems(_ rules: [String]) -> String? {
        if rules.isEmpty { return "No `run_worker_first` rules were provided; must provide at least 1 rule." }
        if rules.count > 100 {
            return "Too many `run_worker_first` rules were provided; \(rules.count) rules provided exceeds max of 100."
        }
        var prefixProblems: [String] = []
        var positive: [String] = []
        var negative: [String] = []
        for rule in rules {
            if rule.hasPrefix("!/") {
                negative.append(rule)
            } else if rule.hasPrefix("/") {
                positive.append(rule)
            } else if rule.hasPrefix("!") {
                prefixProblems.append("'\(rule)': negative rules must start with '!/'")
            } else {
                prefixProblems.append("'\(rule)': rules must start with '/' or '!/'")
            }
        }
        if rules.allSatisfy({ $0.hasPrefix("!") }) {
            return "Only negative `run_worker_first` rules were provided; must provide at least 1 non-negative rule"
        }
        func problems(_ group: [String]) -> [String] {
            var lines: [String] = []
            var seen: Set<String> = []
            for rule in group {
                if rule.count > 100 {
                    lines.append("'\(rule)': all rules must be less than 100 characters in length")
                }
                if seen.contains(rule) {
                    lines.append("'\(rule)': rule is a duplicate; rules must be unique")
                }
                seen.insert(rule)
                if rule.hasSuffix("*") {
                    let prefix = rule.dropLast()
                    for other in group where other != rule && other.hasPrefix(prefix) {
                        lines.append("'\(other)': rule '\(rule)' makes it redundant")
                    }
                }
            }
            return lines
        }
        let lines = prefixProblems + problems(positive) + problems(negative)
        guard !lines.isEmpty else { return nil }
        return (["Invalid routes in `run_worker_first`:"] + lines).joined(separator: "\n")
    }
}

// MARK: - Parsing

extension ConfigReader {
    /// Parses `[assets]` with wrangler's messages (platform-next.md 8.2), located at the offending key.
    func assets(_ node: TOMLNode, at path: String, directory: String, warnings: inout [String]) throws(ConfigError) -> AssetsConfig {
        guard case .table(let pairs) = node else {
            throw self.error(at: path, "\"assets\" should be an object, but got value \"assets\" of type \(node.json.typeofName)")
        }
        var config = AssetsConfig(directory: nil, directoryPath: nil)
        var unexpected: [String] = []
        let tableLocation = self.locator.entry(for: path)?.key
        var location = self.file + (tableLocation.map { ":\($0.line):\($0.column)" } ?? "")
        func stringValue(_ value: TOMLNode, _ key: String) throws(ConfigError) -> String {
            guard case .string(let text) = value else {
                throw self.error(
                    at: KeyPathText.child(path, key),
                    "Expected \"assets.\(key)\" to be of type string but got \(value.json.stringify())."
                )
            }
            return text
        }
        for (key, value) in pairs {
            let keyPath = KeyPathText.child(path, key)
            switch key {
            case "directory":
                let text = try stringValue(value, key)
                config.directory = text
                config.directoryPath = text.isEmpty ? nil : Paths.absolute(text, relativeTo: directory)
                if let position = self.locator.entry(for: keyPath)?.value {
                    location = "\(self.file):\(position.line):\(position.column)"
                }
            case "binding":
                config.binding = try stringValue(value, key)
            case "html_handling":
                let text = try stringValue(value, key)
                guard let mode = AssetsConfig.HTMLHandling(rawValue: text) else {
                    let choices = JSONValue.array(AssetsConfig.HTMLHandling.allCases.map { .string($0.rawValue) }).stringify()
                    throw self.error(
                        at: keyPath,
                        "Expected \"assets.html_handling\" field to be one of \(choices) but got \(value.json.stringify())."
                    )
                }
                config.htmlHandling = mode
            case "not_found_handling":
                let text = try stringValue(value, key)
                guard let mode = AssetsConfig.NotFoundHandling(rawValue: text) else {
                    let choices = JSONValue.array(AssetsConfig.NotFoundHandling.allCases.map { .string($0.rawValue) }).stringify()
                    throw self.error(
                        at: keyPath,
                        "Expected \"assets.not_found_handling\" field to be one of \(choices) but got \(value.json.stringify())."
                    )
                }
                config.notFoundHandling = mode
            case "run_worker_first":
                switch value {
                case .bool(let flag):
                    config.runWorkerFirst = .always(flag)
                case .array(let elements):
                    var rules: [String] = []
                    for (offset, element) in elements.enumerated() {
                        guard case .string(let rule) = element else {
                            throw self.error(
                                at: KeyPathText.index(keyPath, offset),
                                "Expected \"assets.run_worker_first.[\(offset)]\" to be of type string but got \(element.json.stringify())."
                            )
                        }
                        rules.append(rule)
                    }
                    if let problem = AssetsConfig.routeRuleProblems(rules) {
                        throw self.error(at: keyPath, problem)
                    }
                    config.runWorkerFirst = .patterns(rules)
                default:
                    throw self.error(
                        at: keyPath,
                        "The field \"assets.run_worker_first\" should be an array of strings or a boolean, but got \(value.json.stringify())."
                    )
                }
            case "experimental_serve_directly":
                guard case .bool(let flag) = value else {
                    throw self.error(
                        at: keyPath,
                        "Expected \"assets.experimental_serve_directly\" to be of type boolean but got \(value.json.stringify())."
                    )
                }
                if !pairs.contains(where: { $0.key == "run_worker_first" }) {
                    config.runWorkerFirst = .always(!flag)
                }
            default:
                unexpected.append(key)
            }
        }
        if !unexpected.isEmpty {
            warnings.append("Unexpected fields found in assets field: " + unexpected.map { "\"\($0)\"" }.joined(separator: ","))
        }
        config.location = location
        return config
    }
}
