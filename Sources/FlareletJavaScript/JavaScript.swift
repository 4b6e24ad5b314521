public import FlareletJSON

/// JavaScript semantics the ports of JavaScript workers need, in one place.
///
/// Everything here follows the ECMAScript specification and V8 (the engine of workerd) for the values a worker
/// gets from `JSON.parse`, a request or a D1 row: `String()`, `Number()`, `parseInt`, the `+` operator, truthiness,
/// property lookup through `Object.prototype`, `Date` parsing and `toISOString`, the WHATWG URL parser and the
/// Fetch API's text decoding. A missing value (`undefined`) is `nil` wherever a `JSONValue?` is taken.
///
/// Workers get this module through `import Flarelet`; `WorkerRequest` and `Headers` expose the Fetch-shaped parts
/// (`text()`, `json()`, `pathname`, `searchParams`, `headers.get`).
public enum JavaScript {}

/// An exception JavaScript would throw (`TypeError`, `RangeError`); ``description`` is what `String(error)` prints.
public struct JavaScriptError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error constructor's name.
    public enum Kind: String, Sendable, Hashable {
        case typeError = "TypeError"
        case rangeError = "RangeError"
    }

    public var kind: Kind
    /// The error's `message`.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `TypeError: Cannot convert object to primitive value`: `String()`, `Number()` or `+` on an object whose own
    /// `toString` property hides `Object.prototype.toString` (JSON values are never callable).
    public static let cannotConvertToPrimitive = JavaScriptError(.typeError, "Cannot convert object to primitive value")

    /// `RangeError: Maximum call stack size exceeded`.
    public static let stackOverflow = JavaScriptError(.rangeError, "Maximum call stack size exceeded")

    /// `RangeError: Invalid time value` (`toISOString()` of an invalid date).
    public static let invalidTimeValue = JavaScriptError(.rangeError, "Invalid time value")

    public var description: String { "\(self.kind.rawValue): \(self.message)" }
}
