import FlareletJSON

/// Typed access to a parsed document, producing located ``ConfigError``s.
struct ConfigReader {
    typealias Table = [(key: String, value: TOMLNode)]

    let file: String
    let locator: SourceLocator

    /// An error located at `path` (at its value by default, at its key or header with `atKey`).
    func error(_ kind: ConfigError.Kind = .invalidValue, at path: String, atKey: Bool = false, _ message: String) -> ConfigError {
        let entry = self.locator.entry(for: path)
        let position = atKey ? entry?.key : entry?.value
        return ConfigError(kind, file: self.file, line: position?.line, column: position?.column, keyPath: path, message: message)
    }

    /// Where the value at `path` is written.
    func position(of path: String) -> ConfigPosition? {
        self.locator.entry(for: path).map { ConfigPosition(line: $0.value.line, column: $0.value.column) }
    }

    /// `expected <expected> for "<path>", but got <type> (<value>)`.
    func typeError(_ node: TOMLNode, at path: String, expected: String, hint: String? = nil) -> ConfigError {
        var got = node.typeDescription
        if let text = node.shortText { got += " (\(text))" }
        var message = "expected \(expected) for \"\(path)\", but got \(got)"
        if let hint { message += "; \(hint)" }
        return self.error(at: path, message)
    }

    func warningForUnexpected(_ key: String, in scope: String) -> String {
        "Unexpected fields found in \(scope) field: \(KeyPathText.quoted(key))"
    }

    func string(_ node: TOMLNode, at path: String) throws(ConfigError) -> String {
        guard case .string(let text) = node else { throw self.typeError(node, at: path, expected: "a string") }
        return text
    }

    func table(_ node: TOMLNode, at path: String) throws(ConfigError) -> Table {
        guard case .table(let pairs) = node else { throw self.typeError(node, at: path, expected: "a table") }
        return pairs
    }

    func stringArray(_ node: TOMLNode, at path: String) throws(ConfigError) -> [String] {
        guard case .array(let elements) = node else {
            throw self.typeError(node, at: path, expected: "an array of strings")
        }
        var strings: [String] = []
        for (offset, element) in elements.enumerated() {
            let elementPath = KeyPathText.index(path, offset)
            guard case .string(let text) = element else {
                throw self.typeError(element, at: elementPath, expected: "a string")
            }
            strings.append(text)
        }
        return strings
    }

    /// The elements of an array of tables, e.g. `[[d1_databases]]`.
    func arrayOfTables(_ node: TOMLNode, at path: String) throws(ConfigError) -> [Table] {
        guard case .array(let elements) = node else {
            throw self.typeError(node, at: path, expected: "an array of tables", hint: "write [[\(path)]] sections")
        }
        var tables: [Table] = []
        for (offset, element) in elements.enumerated() {
            tables.append(try self.table(element, at: KeyPathText.index(path, offset)))
        }
        return tables
    }
}
