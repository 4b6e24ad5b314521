/// A JSON value with JavaScript semantics.
///
/// Objects keep JavaScript's property order (see ``JSONObject``); strings are JavaScript strings (``JSString``:
/// compared by UTF-16 code units, lone surrogates kept); numbers parsed from text are IEEE-754 doubles, exactly as
/// `JSON.parse` produces them (`1e400` is `Infinity`). ``JSONValue/integer(_:)`` exists for values that come from
/// outside JavaScript (for example SQLite INTEGER columns) and must be printed exactly.
///
/// Equality, hashing, serialisation and deinitialisation are iterative, so values nested 100,000 levels deep (the
/// parser's limit) are safe everywhere.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// A JavaScript number (double).
    case number(Double)
    /// An exact 64-bit integer; printed with all its digits. Never produced by the parser.
    case integer(Int64)
    case string(JSString)
    case array(JSONArray)
    case object(JSONObject)

    /// A string value from Swift text.
    @inlinable
    public static func string(_ text: String) -> JSONValue { .string(JSString(text)) }

    /// An array value from a Swift array.
    @inlinable
    public static func array(_ elements: [JSONValue]) -> JSONValue { .array(JSONArray(elements)) }
}

extension JSONValue {
    /// JavaScript truthiness: `null`, `false`, `0`, `-0`, `NaN` and `""` are falsy; everything else is truthy.
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .number(let d): !(d == 0 || d.isNaN)
        case .integer(let i): i != 0
        case .string(let s): !s.isEmpty
        case .array, .object: true
        }
    }

    /// The string as Swift text (lone surrogates as U+FFFD), when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s.string }
        return nil
    }

    /// The JavaScript string, when this is a string.
    public var jsStringValue: JSString? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number as a double, when this is a number.
    public var doubleValue: Double? {
        switch self {
        case .number(let d): d
        case .integer(let i): Double(i)
        default: nil
        }
    }

    /// The elements, when this is an array.
    public var arrayValue: JSONArray? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The object, when this is an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// True for `.number` and `.integer`.
    public var isNumber: Bool {
        switch self {
        case .number, .integer: true
        default: false
        }
    }

    /// Own-property access: the member of an object, or `nil` (JavaScript `undefined`). Prototype members
    /// (`toString`, `constructor`, …) are not looked up here; see the `JavaScript` layer for that.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// Own-property access by JavaScript string.
    public subscript(key: JSString) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// JavaScript `typeof`: `"object"` for null, arrays and objects.
    public var typeofName: String {
        switch self {
        case .null, .array, .object: "object"
        case .bool: "boolean"
        case .number, .integer: "number"
        case .string: "string"
        }
    }
}

// MARK: Equality and hashing (iterative)

extension JSONValue: Hashable {
    /// Structural equality: same case, same scalars (doubles with `==`, strings by code units), arrays element by
    /// element, objects with the same keys in the same order and equal values.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        var pending: [(JSONValue, JSONValue)] = []
        var left = lhs
        var right = rhs
        while true {
            switch (left, right) {
            case (.null, .null): break
            case (.bool(let a), .bool(let b)): if a != b { return false }
            case (.number(let a), .number(let b)): if a != b { return false }
            case (.integer(let a), .integer(let b)): if a != b { return false }
            case (.string(let a), .string(let b)): if a != b { return false }
            case (.array(let a), .array(let b)):
                if a.storage !== b.storage {
                    guard a.count == b.count else { return false }
                    for (x, y) in zip(a, b).reversed() { pending.append((x, y)) }
                }
            case (.object(let a), .object(let b)):
                if a.storage !== b.storage {
                    guard a.storage.keys == b.storage.keys else { return false }
                    for (x, y) in zip(a.storage.values, b.storage.values).reversed() { pending.append((x, y)) }
                }
            default:
                return false
            }
            guard let next = pending.popLast() else { return true }
            (left, right) = next
        }
    }

    public func hash(into hasher: inout Hasher) {
        var pending: [JSONValue] = []
        var value = self
        while true {
            switch value {
            case .null: hasher.combine(0 as UInt8)
            case .bool(let b):
                hasher.combine(1 as UInt8)
                hasher.combine(b)
            case .number(let d):
                hasher.combine(2 as UInt8)
                hasher.combine(d)
            case .integer(let i):
                hasher.combine(3 as UInt8)
                hasher.combine(i)
            case .string(let s):
                hasher.combine(4 as UInt8)
                hasher.combine(s)
            case .array(let a):
                hasher.combine(5 as UInt8)
                hasher.combine(a.count)
                pending.append(contentsOf: a.reversed())
            case .object(let o):
                hasher.combine(6 as UInt8)
                hasher.combine(o.count)
                for key in o.keys { hasher.combine(key) }
                pending.append(contentsOf: o.values.reversed())
            }
            guard let next = pending.popLast() else { return }
            value = next
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// Integer literals become JavaScript numbers (doubles), as they would in JavaScript source.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(JSString(value)) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(JSONArray(elements)) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact `JSON.stringify` text.
    public var description: String { self.stringify() }
}
