import FlareletJSON
internal import TOMLKit

/// A parsed TOML value, copied out of TOMLKit's (non-`Sendable`, C-backed) tree. Tables keep document order.
indirect enum TOMLNode: Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    /// A date, time or date-time, in its TOML text form.
    case dateTime(kind: DateTimeKind, text: String)
    case array([TOMLNode])
    case table([(key: String, value: TOMLNode)])

    /// Reads `value` (found at `path`), ordering table keys by where the locator saw them.
    init(_ value: any TOMLValueConvertible, path: String, locator: SourceLocator) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .double: self = .float(value.double ?? 0)
        case .bool: self = .bool(value.bool ?? false)
        case .date: self = .dateTime(kind: .date, text: value.date?.debugDescription ?? "")
        case .time: self = .dateTime(kind: .time, text: value.time?.debugDescription ?? "")
        case .dateTime: self = .dateTime(kind: .dateTime, text: value.dateTime?.debugDescription ?? "")
        case .array:
            var elements: [TOMLNode] = []
            if let array = value.array {
                for (offset, element) in array.enumerated() {
                    elements.append(TOMLNode(element, path: KeyPathText.index(path, offset), locator: locator))
                }
            }
            self = .array(elements)
        case .table:
            guard let table = value.table else {
                self = .table([])
                return
            }
            self = .table(Self.orderedPairs(of: table, path: path, locator: locator))
        }
    }

    /// The root table of a document.
    static func document(_ table: TOMLTable, locator: SourceLocator) -> [(key: String, value: TOMLNode)] {
        self.orderedPairs(of: table, path: "", locator: locator)
    }

    private static func orderedPairs(
        of table: TOMLTable,
        path: String,
        locator: SourceLocator
    ) -> [(key: String, value: TOMLNode)] {
        var pairs: [(order: Int, key: String, value: TOMLNode)] = []
        for (offset, (key, value)) in table.enumerated() {
            let childPath = KeyPathText.child(path, key)
            let order = locator.order(of: childPath) ?? (Int.max / 2 + offset)
            pairs.append((order, key, TOMLNode(value, path: childPath, locator: locator)))
        }
        pairs.sort { $0.order < $1.order }
        return pairs.map { (key: $0.key, value: $0.value) }
    }

    /// "a string", "an integer", … for messages.
    var typeDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .bool: "a boolean"
        case .dateTime(let kind, _):
            switch kind {
            case .date: "an unquoted TOML date"
            case .time: "an unquoted TOML time"
            case .dateTime: "an unquoted TOML date-time"
            }
        case .array: "an array"
        case .table: "a table"
        }
    }

    /// A short rendering of scalars for messages (`5`, `"text"`, `true`); `nil` for arrays and tables.
    var shortText: String? {
        switch self {
        case .string(let text):
            let clipped = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return KeyPathText.quoted(clipped)
        case .integer(let value): return String(value)
        case .float(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .dateTime(_, let text): return text
        case .array, .table: return nil
        }
    }

    /// The JSON value wrangler would bind for this TOML value (integers become JavaScript numbers).
    var json: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .integer(let value): .number(Double(value))
        case .float(let value): .number(value)
        case .bool(let value): .bool(value)
        case .dateTime(_, let text): .string(text)
        case .array(let elements): .array(elements.map(\.json))
        case .table(let pairs): .object(JSONObject(pairs.map { ($0.key, $0.value.json) }))
        }
    }
}

/// The three TOML date/time flavours.
enum DateTimeKind: Sendable {
    case date
    case time
    case dateTime
}
