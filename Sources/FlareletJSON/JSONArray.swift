/// The elements of a JSON array: a copy-on-write random-access collection of ``JSONValue``s.
///
/// It behaves like `[JSONValue]` (index from 0, `append`, `map`, array literals) and converts from and to it in
/// O(1) (``init(_:)``, ``elements``). Unlike a plain array, releasing a deeply nested value takes constant stack
/// space, so a value with 100,000 levels of nesting (which `JSON.parse` accepts) is safe to drop on any thread.
public struct JSONArray: Sendable {
    @usableFromInline
    var storage: JSONArrayStorage

    /// An empty array (shares one storage until mutated).
    @inlinable
    public init() {
        self.storage = JSONArrayStorage.empty
    }

    /// An array holding `elements`.
    @inlinable
    public init(_ elements: [JSONValue]) {
        self.storage = elements.isEmpty ? JSONArrayStorage.empty : JSONArrayStorage(elements)
    }

    /// The elements as a Swift array (no copy).
    @inlinable
    public var elements: [JSONValue] {
        get { self.storage.elements }
        set {
            self.makeUnique()
            self.storage.elements = newValue
        }
    }

    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&self.storage) {
            self.storage = JSONArrayStorage(self.storage.elements)
        }
    }
}

/// The reference holding a ``JSONArray``'s elements; its deinitialiser releases nested values iteratively.
@usableFromInline
final class JSONArrayStorage: @unchecked Sendable {
    // Mutated only through `JSONArray` after a uniqueness check (copy on write).
    @usableFromInline
    var elements: [JSONValue]

    @usableFromInline
    static let empty = JSONArrayStorage([])

    @usableFromInline
    init(_ elements: [JSONValue]) {
        self.elements = elements
    }

    deinit {
        JSONTeardown.release(&self.elements)
    }
}

extension JSONArray: RandomAccessCollection, MutableCollection {
    public typealias Index = Int
    public typealias Iterator = IndexingIterator<[JSONValue]>

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { self.storage.elements.count }
    @inlinable public var count: Int { self.storage.elements.count }
    @inlinable public var isEmpty: Bool { self.storage.elements.isEmpty }

    @inlinable
    public subscript(position: Int) -> JSONValue {
        get { self.storage.elements[position] }
        set {
            self.makeUnique()
            self.storage.elements[position] = newValue
        }
    }

    @inlinable
    public func makeIterator() -> IndexingIterator<[JSONValue]> {
        self.storage.elements.makeIterator()
    }
}

extension JSONArray: RangeReplaceableCollection {
    @inlinable
    public mutating func replaceSubrange(_ subrange: Range<Int>, with newElements: some Collection<JSONValue>) {
        self.makeUnique()
        self.storage.elements.replaceSubrange(subrange, with: newElements)
    }

    @inlinable
    public mutating func append(_ newElement: JSONValue) {
        self.makeUnique()
        self.storage.elements.append(newElement)
    }

    @inlinable
    public mutating func reserveCapacity(_ capacity: Int) {
        self.makeUnique()
        self.storage.elements.reserveCapacity(capacity)
    }
}

extension JSONArray: ExpressibleByArrayLiteral {
    @inlinable
    public init(arrayLiteral elements: JSONValue...) {
        self.init(elements)
    }
}

extension JSONArray: Hashable {
    public static func == (lhs: JSONArray, rhs: JSONArray) -> Bool {
        lhs.storage === rhs.storage || JSONValue.array(lhs) == JSONValue.array(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        JSONValue.array(self).hash(into: &hasher)
    }
}

extension JSONArray: CustomStringConvertible {
    /// The compact `JSON.stringify` text.
    public var description: String { JSONValue.array(self).stringify() }
}

/// Releases nested JSON values without recursion.
///
/// Dropping a container normally destroys its children recursively, one stack frame chain per nesting level. The
/// storages of ``JSONArray`` and ``JSONObject`` call ``release(_:)`` from their deinitialisers instead: it moves the
/// children of every uniquely referenced container onto a heap worklist before the container goes away, so each
/// container dies empty and the stack depth stays constant.
enum JSONTeardown {
    /// Empties `values`, releasing every nested container iteratively.
    @usableFromInline
    static func release(_ values: inout [JSONValue]) {
        // Leaves only (the usual case): plain destruction is already flat.
        guard values.contains(where: { $0.isContainer }) else { return }
        var pending: [JSONValue] = []
        swap(&pending, &values)
        while var value = pending.popLast() {
            value.moveChildren(into: &pending)
        }
    }
}

extension JSONValue {
    @usableFromInline
    var isContainer: Bool {
        switch self {
        case .array(let array): !array.isEmpty
        case .object(let object): !object.isEmpty
        default: false
        }
    }

    /// Moves the children of this container into `pending` when nothing else references its storage, and leaves
    /// `self` as `null`.
    ///
    /// The payload is taken with `guard case … = consume self`, which moves it without a temporary copy even in
    /// unoptimised builds, so the uniqueness check sees exactly the references that exist elsewhere.
    mutating func moveChildren(into pending: inout [JSONValue]) {
        if case .array = self {
            guard case .array(var array) = consume self else {
                self = .null
                return
            }
            self = .null
            if isKnownUniquelyReferenced(&array.storage) {
                var elements: [JSONValue] = []
                swap(&elements, &array.storage.elements)
                pending.append(contentsOf: elements)
            }
        } else if case .object = self {
            guard case .object(var object) = consume self else {
                self = .null
                return
            }
            self = .null
            if isKnownUniquelyReferenced(&object.storage) {
                var values: [JSONValue] = []
                swap(&values, &object.storage.values)
                pending.append(contentsOf: values)
            }
        } else {
            self = .null
        }
    }
}
