import Foundation

// MARK: - Typed rows

/// A column that could not be read as the type asked for: names the column, the Swift type (and property) and what
/// the column held, e.g. `column "hits" of Event.hits: expected Int, found TEXT "many"`.
public struct D1DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The column (as named in the result set).
    public var column: String
    /// What was asked for: `Int`, or `Event.hits (Int)` when decoding a property.
    public var expected: String
    /// What the row held: `TEXT "many"`, `NULL`, or `no such column (columns: path, count)`.
    public var found: String

    public init(column: String, expected: String, found: String) {
        self.column = column
        self.expected = expected
        self.found = found
    }

    public var description: String { "column \"\(self.column)\": expected \(self.expected), found \(self.found)" }
}

/// How the property names of a `Decodable` type map to column names.
public enum D1KeyDecoding: Sendable, Hashable {
    /// A property reads the column of exactly its name (or its `CodingKeys` raw value).
    case exact
    /// `createdAt` reads `created_at`, `eventID` reads `event_id` (columns named in snake case).
    case convertFromSnakeCase
}

extension D1Value {
    /// How error messages show a value: `NULL`, `INTEGER 3`, `REAL 1.5`, `TEXT "abc"`, `BLOB (16 bytes)`.
    public var typeDescription: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): "INTEGER \(value)"
        case .real(let value): "REAL \(value)"
        case .text(let value): "TEXT \"\(value.count > 40 ? String(value.prefix(40)) + "…" : value)\""
        case .blob(let bytes): "BLOB (\(bytes.count) bytes)"
        }
    }
}

extension D1Row {
    /// The value of `column`, or a ``D1DecodingError`` listing the columns there are.
    func value(_ column: String, expected: @autoclosure () -> String) throws(D1DecodingError) -> D1Value {
        guard let value = self[column] else {
            throw D1DecodingError(
                column: column,
                expected: expected(),
                found: "no such column (columns: \(self.columns.joined(separator: ", ")))"
            )
        }
        return value
    }

    /// TEXT `column` as a string; anything else (NULL included) throws ``D1DecodingError``.
    public func string(_ column: String) throws(D1DecodingError) -> String {
        try ColumnValue(self.value(column, expected: "String"), column: column, expected: "String").string()
    }

    /// INTEGER `column` (or a REAL with an integral value) as an `Int`; anything else throws ``D1DecodingError``.
    public func int(_ column: String) throws(D1DecodingError) -> Int {
        try ColumnValue(self.value(column, expected: "Int"), column: column, expected: "Int").integer(Int.self)
    }

    /// INTEGER `column` (or a REAL with an integral value) as an `Int64`; anything else throws ``D1DecodingError``.
    public func int64(_ column: String) throws(D1DecodingError) -> Int64 {
        try ColumnValue(self.value(column, expected: "Int64"), column: column, expected: "Int64").integer(Int64.self)
    }

    /// INTEGER or REAL `column` as a `Double`; anything else throws ``D1DecodingError``.
    public func double(_ column: String) throws(D1DecodingError) -> Double {
        try ColumnValue(self.value(column, expected: "Double"), column: column, expected: "Double").double()
    }

    /// INTEGER `column` holding `0` or `1` (how D1 stores booleans) as a `Bool`; anything else throws.
    public func bool(_ column: String) throws(D1DecodingError) -> Bool {
        try ColumnValue(self.value(column, expected: "Bool"), column: column, expected: "Bool").bool()
    }

    /// BLOB `column` as bytes; anything else throws ``D1DecodingError``.
    public func bytes(_ column: String) throws(D1DecodingError) -> [UInt8] {
        try ColumnValue(self.value(column, expected: "[UInt8]"), column: column, expected: "[UInt8]").bytes()
    }

    /// Whether `column` is NULL (a missing column throws ``D1DecodingError``).
    public func isNull(_ column: String) throws(D1DecodingError) -> Bool {
        try self.value(column, expected: "a column") == .null
    }

    /// `column` as any `Decodable` value, e.g. `row.value("email", as: String?.self)` (NULL reads as `nil`).
    public func value<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        let name = String(describing: T.self)
        let value = try self.value(column, expected: name)
        return try T(from: ColumnDecoder(value: ColumnValue(value, column: column, expected: name), codingPath: []))
    }

    /// The row as a `T`: each property reads the column of its name (see ``D1KeyDecoding``). A row of one column also
    /// decodes into a single value (`Int`, `String`, …).
    ///
    /// Columns convert as they do for the typed accessors: TEXT → `String`, INTEGER → integers (and `Double`, and
    /// `Bool` for `0`/`1`), REAL → `Double` (integers when integral), BLOB → `[UInt8]`/`Data`, NULL → `nil` for
    /// optional properties; a missing column is `nil` for an optional property. Anything else throws
    /// ``D1DecodingError`` naming the column, the property and its type.
    public func decode<T: Decodable>(_ type: T.Type, keyDecoding: D1KeyDecoding = .exact) throws -> T {
        try T(from: RowDecoder(row: self, typeName: String(describing: T.self), keyDecoding: keyDecoding))
    }
}

extension D1Result {
    /// Every row as a `T` (see ``D1Row/decode(_:keyDecoding:)``).
    public func rows<T: Decodable>(as type: T.Type, keyDecoding: D1KeyDecoding = .exact) throws -> [T] {
        try self.results.map { try $0.decode(T.self, keyDecoding: keyDecoding) }
    }
}

extension D1PreparedStatement {
    /// `all()` with every row decoded as a `T`: `try await db.prepare(sql).bind(…).all(as: Event.self)`.
    public func all<T: Decodable>(as type: T.Type, keyDecoding: D1KeyDecoding = .exact) async throws -> [T] {
        try await self.all().rows(as: T.self, keyDecoding: keyDecoding)
    }

    /// `first()` decoded as a `T`, or `nil` when there are no rows.
    public func first<T: Decodable>(as type: T.Type, keyDecoding: D1KeyDecoding = .exact) async throws -> T? {
        try await self.first()?.decode(T.self, keyDecoding: keyDecoding)
    }
}

// MARK: - Conversions

/// One column's value with what the caller expects, for conversions with exact errors.
struct ColumnValue {
    let value: D1Value
    let column: String
    let expected: String

    init(_ value: D1Value, column: String, expected: String) {
        self.value = value
        self.column = column
        self.expected = expected
    }

    func mismatch() -> D1DecodingError {
        D1DecodingError(column: self.column, expected: self.expected, found: self.value.typeDescription)
    }

    func string() throws(D1DecodingError) -> String {
        guard case .text(let text) = self.value else { throw self.mismatch() }
        return text
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type) throws(D1DecodingError) -> I {
        switch self.value {
        case .integer(let value):
            if let exact = I(exactly: value) { return exact }
        case .real(let value):
            if let exact = I(exactly: value) { return exact }
        default:
            break
        }
        throw self.mismatch()
    }

    func double() throws(D1DecodingError) -> Double {
        switch self.value {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        default: throw self.mismatch()
        }
    }

    func bool() throws(D1DecodingError) -> Bool {
        switch self.value {
        case .integer(0): return false
        case .integer(1): return true
        default: throw self.mismatch()
        }
    }

    func bytes() throws(D1DecodingError) -> [UInt8] {
        guard case .blob(let bytes) = self.value else { throw self.mismatch() }
        return bytes
    }
}

/// Decodes a whole row: a keyed container over its columns (or one value for a one-column row).
private struct RowDecoder: Decoder {
    let row: D1Row
    let typeName: String
    let keyDecoding: D1KeyDecoding
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowContainer<Key>(row: self.row, typeName: self.typeName, keyDecoding: self.keyDecoding))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw D1DecodingError(
            column: self.row.columns.first ?? "",
            expected: "\(self.typeName) (a row decodes into a struct, or into one value when it has one column)",
            found: "a row of \(self.row.columns.count) columns"
        )
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        guard self.row.columns.count == 1, let column = self.row.columns.first else {
            throw D1DecodingError(
                column: self.row.columns.joined(separator: ", "),
                expected: "\(self.typeName) from a row of one column",
                found: "\(self.row.columns.count) columns"
            )
        }
        return ColumnDecoder(value: ColumnValue(self.row.values[0], column: column, expected: self.typeName), codingPath: [])
    }
}

/// The columns of a row as the properties of a `Decodable` type.
private struct RowContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: D1Row
    let typeName: String
    let keyDecoding: D1KeyDecoding
    var codingPath: [any CodingKey] { [] }

    var allKeys: [Key] {
        self.row.columns.compactMap { column in
            switch self.keyDecoding {
            case .exact: Key(stringValue: column)
            case .convertFromSnakeCase: Key(stringValue: Self.camelCase(column))
            }
        }
    }

    func column(for key: Key) -> String {
        switch self.keyDecoding {
        case .exact: key.stringValue
        case .convertFromSnakeCase: Self.snakeCase(key.stringValue)
        }
    }

    func contains(_ key: Key) -> Bool {
        self.row[self.column(for: key)] != nil
    }

    /// The column's value, with the expectation named as `Type.property (PropertyType)`.
    func value<T>(_ type: T.Type, forKey key: Key) throws -> ColumnValue {
        let column = self.column(for: key)
        let expected = "\(self.typeName).\(key.stringValue) (\(String(describing: T.self)))"
        return ColumnValue(try self.row.value(column, expected: expected), column: column, expected: expected)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try self.value(Never.self, forKey: key).value == .null
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try self.value(type, forKey: key).bool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try self.value(type, forKey: key).string() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try self.value(type, forKey: key).double() }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try self.value(type, forKey: key).double()) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try self.value(type, forKey: key).integer(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try self.value(type, forKey: key).integer(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try self.value(type, forKey: key).integer(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try self.value(type, forKey: key).integer(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try self.value(type, forKey: key).integer(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try self.value(type, forKey: key).integer(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try self.value(type, forKey: key).integer(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try self.value(type, forKey: key).integer(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try self.value(type, forKey: key).integer(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try self.value(type, forKey: key).integer(type) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let value = try self.value(type, forKey: key)
        return try ColumnDecoder.decode(T.self, from: value, codingPath: [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw try self.value(type, forKey: key).mismatch()
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ColumnDecoder(value: self.value([UInt8].self, forKey: key), codingPath: [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        RowDecoder(row: self.row, typeName: self.typeName, keyDecoding: self.keyDecoding)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ColumnDecoder(value: try self.value(Never.self, forKey: key), codingPath: [key])
    }

    /// `createdAt` → `created_at`, `eventID` → `event_id`, `userID2` → `user_id2`.
    static func snakeCase(_ name: String) -> String {
        var result = ""
        let characters = Array(name)
        for (index, character) in characters.enumerated() {
            if character.isUppercase {
                let previous = index > 0 ? characters[index - 1] : nil
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                let startsWord = previous.map { !$0.isUppercase && $0 != "_" } ?? false
                let endsAcronym = (previous?.isUppercase ?? false) && (next?.isLowercase ?? false)
                if startsWord || endsAcronym { result.append("_") }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// `created_at` → `createdAt` (for ``allKeys``).
    static func camelCase(_ column: String) -> String {
        let parts = column.split(separator: "_", omittingEmptySubsequences: true)
        guard let first = parts.first else { return column }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

/// Decodes one column's value: single values (enums with raw values, wrappers), `nil`, and BLOBs as bytes.
private struct ColumnDecoder: Decoder, SingleValueDecodingContainer {
    let value: ColumnValue
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from value: ColumnValue, codingPath: [any CodingKey]) throws -> T {
        if T.self == Data.self, let data = Data(try value.bytes()) as? T { return data }
        if T.self == [UInt8].self, let bytes = try value.bytes() as? T { return bytes }
        if T.self == Date.self {
            throw D1DecodingError(
                column: value.column,
                expected: value.expected + "; D1 has no date type: read the column as String (ISO 8601) or Int64 (epoch)",
                found: value.value.typeDescription
            )
        }
        return try T(from: ColumnDecoder(value: value, codingPath: codingPath))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw self.value.mismatch()
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        BytesContainer(bytes: try self.value.bytes(), codingPath: self.codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { self.value.value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try self.value.bool() }
    func decode(_ type: String.Type) throws -> String { try self.value.string() }
    func decode(_ type: Double.Type) throws -> Double { try self.value.double() }
    func decode(_ type: Float.Type) throws -> Float { Float(try self.value.double()) }
    func decode(_ type: Int.Type) throws -> Int { try self.value.integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try self.value.integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try self.value.integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try self.value.integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try self.value.integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try self.value.integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try self.value.integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try self.value.integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try self.value.integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try self.value.integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try Self.decode(T.self, from: self.value, codingPath: self.codingPath)
    }
}

/// The bytes of a BLOB as an unkeyed container of `UInt8` (what `[UInt8]` and `Data` decode from).
private struct BytesContainer: UnkeyedDecodingContainer {
    let bytes: [UInt8]
    var codingPath: [any CodingKey]
    var currentIndex = 0

    init(bytes: [UInt8], codingPath: [any CodingKey]) {
        self.bytes = bytes
        self.codingPath = codingPath
    }

    var count: Int? { self.bytes.count }
    var isAtEnd: Bool { self.currentIndex >= self.bytes.count }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !self.isAtEnd, let byte = self.bytes[self.currentIndex] as? T else {
            throw DecodingError.typeMismatch(
                T.self,
                DecodingError.Context(codingPath: self.codingPath, debugDescription: "a BLOB decodes only into [UInt8] or Data")
            )
        }
        self.currentIndex += 1
        return byte
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(type, DecodingError.Context(codingPath: self.codingPath, debugDescription: "a BLOB holds bytes"))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([UInt8].self, DecodingError.Context(codingPath: self.codingPath, debugDescription: "a BLOB holds bytes"))
    }

    mutating func superDecoder() throws -> any Decoder {
        throw DecodingError.typeMismatch(UInt8.self, DecodingError.Context(codingPath: self.codingPath, debugDescription: "a BLOB holds bytes"))
    }
}
