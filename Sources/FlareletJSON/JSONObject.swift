/// A JSON object with JavaScript's property order and JavaScript's key comparison.
///
/// JavaScript orders an object's own string keys as: integer-like keys (canonical decimal `0` … `4294967294`,
/// no sign, no leading zeros) first in ascending numeric order, then every other key in insertion order.
/// Assigning an existing key replaces its value and keeps its position. `JSON.parse` builds objects by
/// assignment, so a duplicate key keeps the first key's position and the last value.
///
/// Keys are ``JSString``s compared by UTF-16 code units: `"é"` and `"e\u{301}"` are two keys, as in JavaScript.
/// Small objects are searched linearly; larger ones keep a hash index. Copies share storage until mutated.
public struct JSONObject: Sendable {
    @usableFromInline
    var storage: JSONObjectStorage

    /// Objects with more members than this keep a hash index.
    @usableFromInline
    static let indexThreshold = 12

    public init() {
        self.storage = JSONObjectStorage.empty
    }

    /// Builds an object by assigning each pair in order (JavaScript semantics).
    public init(_ pairs: [(String, JSONValue)]) {
        self.init()
        for (key, value) in pairs { self[JSString(key)] = value }
    }

    /// Builds an object by assigning each pair in order (JavaScript semantics).
    public init(_ pairs: [(JSString, JSONValue)]) {
        self.init()
        for (key, value) in pairs { self[key] = value }
    }

    /// Number of own properties.
    @inlinable public var count: Int { self.storage.keys.count }
    @inlinable public var isEmpty: Bool { self.storage.keys.isEmpty }

    /// Keys in JavaScript property order.
    @inlinable public var keys: [JSString] { self.storage.keys }

    /// Values in property order.
    @inlinable public var values: [JSONValue] { self.storage.values }

    /// Key/value pairs in property order.
    public var entries: [(key: JSString, value: JSONValue)] {
        Array(zip(self.storage.keys, self.storage.values).lazy.map { (key: $0.0, value: $0.1) })
    }

    // MARK: Access

    /// The position of `key` in property order, or `nil`.
    @inlinable
    public func position(of key: JSString) -> Int? {
        if let index = self.storage.index { return index[key] }
        return self.storage.keys.firstIndex(of: key)
    }

    /// Reads or assigns a property; assigning `nil` deletes it.
    public subscript(key: JSString) -> JSONValue? {
        get {
            self.position(of: key).map { self.storage.values[$0] }
        }
        set {
            if let newValue {
                self.assign(newValue, to: key)
            } else if let position = self.position(of: key) {
                self.makeUnique()
                self.storage.keys.remove(at: position)
                self.storage.values.remove(at: position)
                self.storage.rebuildIndex()
            }
        }
    }

    /// Reads or assigns a property named by Swift text; assigning `nil` deletes it.
    public subscript(key: String) -> JSONValue? {
        get { self[JSString(key)] }
        set { self[JSString(key)] = newValue }
    }

    private mutating func assign(_ value: JSONValue, to key: JSString) {
        self.makeUnique()
        if let position = self.position(of: key) {
            self.storage.values[position] = value
            return
        }
        guard let index = Self.arrayIndex(key) else {
            self.storage.keys.append(key)
            self.storage.values.append(value)
            if self.storage.index != nil {
                self.storage.index![key] = self.storage.keys.count - 1
            } else if self.storage.keys.count > Self.indexThreshold {
                self.storage.rebuildIndex()
            }
            return
        }
        // Integer-like keys are an ascending prefix of `keys`: binary-search the insertion point.
        var low = 0
        var high = self.storage.keys.count
        while low < high {
            let middle = (low + high) / 2
            if let other = Self.arrayIndex(self.storage.keys[middle]), other < index {
                low = middle + 1
            } else {
                high = middle
            }
        }
        self.storage.keys.insert(key, at: low)
        self.storage.values.insert(value, at: low)
        self.storage.rebuildIndex()
    }

    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&self.storage) {
            self.storage = JSONObjectStorage(keys: self.storage.keys, values: self.storage.values, index: self.storage.index)
        }
    }

    // MARK: Array indices

    /// Whether `key` is an array index in JavaScript's sense (canonical decimal `0` … `4294967294`).
    public static func arrayIndex(_ key: String) -> UInt32? {
        let utf8 = key.utf8
        guard let first = utf8.first, first &- UInt8(ascii: "0") < 10, utf8.count <= 10 else { return nil }
        if first == UInt8(ascii: "0") { return utf8.count == 1 ? 0 : nil }
        var value: UInt64 = 0
        for byte in utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + UInt64(digit)
        }
        guard value <= 4_294_967_294 else { return nil }
        return UInt32(value)
    }

    /// Whether `key` is an array index in JavaScript's sense (canonical decimal `0` … `4294967294`).
    public static func arrayIndex(_ key: JSString) -> UInt32? {
        guard case .text(let text) = key.storage else { return nil }
        return self.arrayIndex(text)
    }

    // MARK: Parsing

    /// Builds an object from parsed members in source order, with the same result as assigning them one by one,
    /// in O(n log n) even for adversarial key orders (the parser's path).
    init(parsedKeys keys: [JSString], values: [JSONValue]) {
        var uniqueKeys: [JSString]
        var uniqueValues: [JSONValue]
        var index: [JSString: Int]?
        if keys.count <= Self.indexThreshold {
            uniqueKeys = []
            uniqueValues = []
            uniqueKeys.reserveCapacity(keys.count)
            uniqueValues.reserveCapacity(keys.count)
            for (key, value) in zip(keys, values) {
                // A duplicate key keeps its first position and takes the last value.
                if let position = uniqueKeys.firstIndex(of: key) {
                    uniqueValues[position] = value
                } else {
                    uniqueKeys.append(key)
                    uniqueValues.append(value)
                }
            }
        } else {
            var positions: [JSString: Int] = [:]
            positions.reserveCapacity(keys.count)
            uniqueKeys = []
            uniqueValues = []
            uniqueKeys.reserveCapacity(keys.count)
            uniqueValues.reserveCapacity(keys.count)
            for (key, value) in zip(keys, values) {
                if let position = positions[key] {
                    uniqueValues[position] = value
                } else {
                    positions[key] = uniqueKeys.count
                    uniqueKeys.append(key)
                    uniqueValues.append(value)
                }
            }
            index = positions
        }
        // Integer-like keys move to the front in ascending order (stable for the others).
        var integerKeys: [(index: UInt32, position: Int)] = []
        for (position, key) in uniqueKeys.enumerated() {
            if let value = Self.arrayIndex(key) { integerKeys.append((value, position)) }
        }
        if !integerKeys.isEmpty {
            integerKeys.sort { $0.index < $1.index }
            var orderedKeys: [JSString] = []
            var orderedValues: [JSONValue] = []
            orderedKeys.reserveCapacity(uniqueKeys.count)
            orderedValues.reserveCapacity(uniqueKeys.count)
            var isInteger = [Bool](repeating: false, count: uniqueKeys.count)
            for entry in integerKeys {
                isInteger[entry.position] = true
                orderedKeys.append(uniqueKeys[entry.position])
                orderedValues.append(uniqueValues[entry.position])
            }
            for position in uniqueKeys.indices where !isInteger[position] {
                orderedKeys.append(uniqueKeys[position])
                orderedValues.append(uniqueValues[position])
            }
            uniqueKeys = orderedKeys
            uniqueValues = orderedValues
            if index != nil {
                index = Dictionary(uniqueKeysWithValues: uniqueKeys.enumerated().map { ($1, $0) })
            }
        }
        self.storage = JSONObjectStorage(keys: uniqueKeys, values: uniqueValues, index: index)
    }
}

/// The reference holding a ``JSONObject``'s members; its deinitialiser releases nested values iteratively.
@usableFromInline
final class JSONObjectStorage: @unchecked Sendable {
    // Mutated only through `JSONObject` after a uniqueness check (copy on write).
    @usableFromInline var keys: [JSString]
    @usableFromInline var values: [JSONValue]
    /// Key → position, kept for objects larger than ``JSONObject/indexThreshold``.
    @usableFromInline var index: [JSString: Int]?

    @usableFromInline
    static let empty = JSONObjectStorage(keys: [], values: [], index: nil)

    @usableFromInline
    init(keys: [JSString], values: [JSONValue], index: [JSString: Int]?) {
        self.keys = keys
        self.values = values
        self.index = index
    }

    func rebuildIndex() {
        if self.keys.count > JSONObject.indexThreshold {
            self.index = Dictionary(uniqueKeysWithValues: self.keys.enumerated().map { ($1, $0) })
        } else {
            self.index = nil
        }
    }

    deinit {
        JSONTeardown.release(&self.values)
    }
}

extension JSONObject: Hashable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.storage === rhs.storage || JSONValue.object(lhs) == JSONValue.object(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        JSONValue.object(self).hash(into: &hasher)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}

extension JSONObject: CustomStringConvertible {
    /// The compact `JSON.stringify` text.
    public var description: String { JSONValue.object(self).stringify() }
}
