/// A JSON object with JavaScript's property order.
///
/// JavaScript orders an object's own string keys as: integer-like keys (canonical decimal `0` … `4294967294`,
/// no sign, no leading zeros) first in ascending numeric order, then every other key in insertion order.
/// Assigning an existing key replaces its value and keeps its position. `JSON.parse` builds objects by
/// assignment, so a duplicate key keeps the first key's position and the last value.
public struct JSONObject: Sendable, Hashable {
    /// Keys in JavaScript property order.
    public private(set) var keys: [String] = []
    private var storage: [String: JSONValue] = [:]

    public init() {}

    /// Builds an object by assigning each pair in order (JavaScript semantics).
    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { self.keys.count }
    public var isEmpty: Bool { self.keys.isEmpty }

    /// Reads or assigns a property; assigning `nil` deletes it.
    public subscript(key: String) -> JSONValue? {
        get { self.storage[key] }
        set {
            if let newValue {
                if self.storage.updateValue(newValue, forKey: key) == nil {
                    self.insertKey(key)
                }
            } else if self.storage.removeValue(forKey: key) != nil {
                self.keys.removeAll { $0 == key }
            }
        }
    }

    /// Key/value pairs in property order.
    public var entries: [(key: String, value: JSONValue)] {
        self.keys.map { ($0, self.storage[$0]!) }
    }

    /// Whether `key` is an array index in JavaScript's sense (canonical decimal `0` … `4294967294`).
    public static func arrayIndex(_ key: String) -> UInt32? {
        let utf8 = key.utf8
        guard let first = utf8.first, utf8.count <= 10 else { return nil }
        if first == UInt8(ascii: "0") { return utf8.count == 1 ? 0 : nil }
        var value: UInt64 = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        guard value <= 4_294_967_294 else { return nil }
        return UInt32(value)
    }

    private mutating func insertKey(_ key: String) {
        guard let index = Self.arrayIndex(key) else {
            self.keys.append(key)
            return
        }
        // Integer-like keys are an ascending prefix of `keys`: binary-search the insertion point.
        var low = 0
        var high = self.keys.count
        while low < high {
            let middle = (low + high) / 2
            if let other = Self.arrayIndex(self.keys[middle]), other < index {
                low = middle + 1
            } else {
                high = middle
            }
        }
        self.keys.insert(key, at: low)
    }

    /// Builds an object from parsed members in source order, with the same result as assigning them one by one,
    /// in O(n log n) even for adversarial key orders (the parser's path).
    init(parsedMembers members: [(String, JSONValue)]) {
        var storage: [String: JSONValue] = [:]
        storage.reserveCapacity(members.count)
        var indexKeys: [(index: UInt32, key: String)] = []
        var otherKeys: [String] = []
        otherKeys.reserveCapacity(members.count)
        var indexKeysSorted = true
        for (key, value) in members {
            // A duplicate key keeps its first position and takes the last value.
            guard storage.updateValue(value, forKey: key) == nil else { continue }
            if let index = Self.arrayIndex(key) {
                if let last = indexKeys.last, last.index > index { indexKeysSorted = false }
                indexKeys.append((index, key))
            } else {
                otherKeys.append(key)
            }
        }
        if indexKeys.isEmpty {
            self.keys = otherKeys
        } else {
            if !indexKeysSorted { indexKeys.sort { $0.index < $1.index } }
            self.keys = indexKeys.map(\.key) + otherKeys
        }
        self.storage = storage
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.keys == rhs.keys && lhs.storage == rhs.storage
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.keys)
        for key in self.keys { hasher.combine(self.storage[key]) }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}
