public import FlareletJSON

extension JavaScript {
    /// What `object[key]` reads on a plain object (created by `{}` or `JSON.parse`), whose prototype is
    /// `Object.prototype`.
    public enum Property: Sendable, Hashable {
        /// An own property.
        case own(JSONValue)
        /// A method inherited from `Object.prototype` (`toString`, `constructor`, `hasOwnProperty`, …).
        case method(ObjectPrototypeMethod)
        /// `__proto__`: the `Object.prototype` object itself (its accessor, when there is no own `__proto__`).
        case prototype
        /// `undefined`.
        case undefined

        /// The value as JavaScript's `ToPrimitive` sees it: a method prints its source text
        /// (`function toString() { [native code] }`), `Object.prototype` prints `[object Object]`.
        public var primitive: JSONValue? {
            switch self {
            case .own(let value): value
            case .method(let method): .string(JSString(method.sourceText))
            case .prototype: .string("[object Object]")
            case .undefined: nil
            }
        }

        /// Truthiness: functions and objects are truthy.
        public var isTruthy: Bool {
            switch self {
            case .own(let value): value.isTruthy
            case .method, .prototype: true
            case .undefined: false
            }
        }
    }

    /// The methods of `Object.prototype`, as V8 defines them.
    public enum ObjectPrototypeMethod: String, Sendable, Hashable, CaseIterable {
        case constructor
        case defineGetter = "__defineGetter__"
        case defineSetter = "__defineSetter__"
        case hasOwnProperty
        case lookupGetter = "__lookupGetter__"
        case lookupSetter = "__lookupSetter__"
        case isPrototypeOf
        case propertyIsEnumerable
        case toString
        case valueOf
        case toLocaleString

        /// `String(method)`: V8's source text of a native function (`constructor` is `Object`).
        public var sourceText: String {
            let name = self == .constructor ? "Object" : self.rawValue
            return "function \(name)() { [native code] }"
        }
    }

    /// `object[key]` with the prototype chain of a plain object.
    public static func property(of object: JSONObject, _ key: JSString) -> Property {
        if let value = object[key] { return .own(value) }
        guard key.isWellFormed else { return .undefined }
        let name = key.string
        if name == "__proto__" { return .prototype }
        if let method = ObjectPrototypeMethod(rawValue: name) { return .method(method) }
        return .undefined
    }

    /// `object[key] = value` on a plain object: assigning `__proto__` without an own `__proto__` property goes to
    /// the `Object.prototype.__proto__` setter, which ignores a primitive value (no property is created).
    public static func assign(_ value: JSONValue, to key: JSString, in object: inout JSONObject) {
        if key == "__proto__", object[key] == nil {
            // Setting the prototype to an object would change it; workers only ever assign primitives here.
            return
        }
        object[key] = value
    }

    /// `counter[key] = (counter[key] || 0) + 1`, the usual JavaScript tally, with every JavaScript rule: an
    /// inherited method is truthy and concatenates its source text (`toString` → `"function toString() { [native
    /// code] }1"`), `__proto__` reads `Object.prototype` and its assignment is ignored, an own string concatenates.
    /// - Throws: what `+` throws for an object that cannot be converted.
    public static func increment(_ key: JSString, in counter: inout JSONObject) throws(JavaScriptError) {
        let current = self.property(of: counter, key)
        let base: JSONValue? = current.isTruthy ? current.primitive : .number(0)
        self.assign(try self.add(base, .number(1)), to: key, in: &counter)
    }
}
