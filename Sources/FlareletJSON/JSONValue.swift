/// A JSON value with JavaScript semantics.
///
/// Objects keep JavaScript's property order (see ``JSONObject``); numbers parsed from text are IEEE-754
/// doubles, exactly as `JSON.parse` produces them. ``JSONValue/integer(_:)`` exists for values that come
/// from outside JavaScript (for example SQLite INTEGER columns) and must be printed exactly.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A JavaScript number (double).
    case number(Double)
    /// An exact 64-bit integer; printed with all its digits. Never produced by the parser.
    case integer(Int64)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
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

    /// The string, when this is a string.
    public var stringValue: String? {
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
    public var arrayValue: [JSONValue]? {
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

    /// Property access as in JavaScript: the member of an object, or `nil` (JavaScript `undefined`).
    public subscript(key: String) -> JSONValue? {
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

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// Integer literals become JavaScript numbers (doubles), as they would in JavaScript source.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}
