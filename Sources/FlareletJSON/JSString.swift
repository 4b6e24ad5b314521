/// A JavaScript string: a sequence of UTF-16 code units that may hold unpaired ("lone") surrogates.
///
/// Equality, hashing and ordering are by code units, as JavaScript compares strings: `"é"` (U+00E9) and `"é"`
/// (`e` + U+0301) are two different strings, although Swift's `String ==` calls them equal (canonical
/// equivalence). A string without lone surrogates is stored as a Swift `String` (the common, fast case); one with
/// lone surrogates keeps its code units, so `JSON.parse("\"\\ud800\"")` round-trips through `JSON.stringify` as
/// `"\ud800"`.
///
/// ``string`` is the text as Swift sees it, with every lone surrogate replaced by U+FFFD: what
/// `String.prototype.toWellFormed()` returns and what `TextEncoder`, D1 text bindings and KV keys receive.
public struct JSString: Sendable {
    @usableFromInline
    enum Storage: Sendable {
        /// Well-formed text.
        case text(String)
        /// Code units containing at least one lone surrogate.
        case units([UInt16])
    }

    @usableFromInline
    var storage: Storage

    /// A string from Swift text (always well-formed).
    @inlinable
    public init(_ text: String) {
        self.storage = .text(text)
    }

    /// A string from UTF-16 code units, lone surrogates kept.
    public init(codeUnits: some Collection<UInt16>) {
        if Self.hasLoneSurrogate(codeUnits) {
            self.storage = .units(Array(codeUnits))
        } else {
            self.storage = .text(String(decoding: codeUnits, as: UTF16.self))
        }
    }

    /// Whether `units` holds a surrogate that is not part of a high-low pair.
    static func hasLoneSurrogate(_ units: some Collection<UInt16>) -> Bool {
        var expectingLow = false
        for unit in units {
            switch unit {
            case 0xD800...0xDBFF:
                if expectingLow { return true }
                expectingLow = true
            case 0xDC00...0xDFFF:
                if !expectingLow { return true }
                expectingLow = false
            default:
                if expectingLow { return true }
            }
        }
        return expectingLow
    }

    // MARK: Views

    /// The text with each lone surrogate replaced by U+FFFD (`toWellFormed()`; what UTF-8 encoding produces).
    public var string: String {
        switch self.storage {
        case .text(let text): text
        case .units(let units): String(decoding: units, as: UTF16.self)
        }
    }

    /// The UTF-16 code units (JavaScript's view of the string).
    public var codeUnits: [UInt16] {
        switch self.storage {
        case .text(let text): Array(text.utf16)
        case .units(let units): units
        }
    }

    /// JavaScript's `length`: the number of UTF-16 code units.
    public var length: Int {
        switch self.storage {
        case .text(let text): text.utf16.count
        case .units(let units): units.count
        }
    }

    public var isEmpty: Bool {
        switch self.storage {
        case .text(let text): text.isEmpty
        case .units: false
        }
    }

    /// `isWellFormed()`: no lone surrogates.
    public var isWellFormed: Bool {
        if case .text = self.storage { return true }
        return false
    }

    /// The UTF-8 bytes `TextEncoder` produces (lone surrogates as U+FFFD).
    public var utf8: [UInt8] { Array(self.string.utf8) }

    /// `slice(start, end)` with non-negative, clamped code-unit offsets: may split a surrogate pair.
    public func slice(_ start: Int, _ end: Int) -> JSString {
        let units = self.codeUnits
        let lower = Swift.min(Swift.max(0, start), units.count)
        let upper = Swift.min(Swift.max(lower, end), units.count)
        return JSString(codeUnits: units[lower..<upper])
    }

    /// String concatenation (`a + b`); a high surrogate at the end of `lhs` pairs with a low one starting `rhs`.
    public static func + (lhs: JSString, rhs: JSString) -> JSString {
        if case .text(let left) = lhs.storage, case .text(let right) = rhs.storage {
            return JSString(left + right)
        }
        return JSString(codeUnits: lhs.codeUnits + rhs.codeUnits)
    }

    /// Whether the string starts with `prefix` (code units).
    public func hasPrefix(_ prefix: JSString) -> Bool {
        if case .text(let text) = self.storage, case .text(let other) = prefix.storage {
            return text.utf8.starts(with: other.utf8)
        }
        return self.codeUnits.starts(with: prefix.codeUnits)
    }

    // MARK: Comparison helpers

    /// Byte equality of two Swift strings (code-unit equality, unlike `==`'s canonical equivalence).
    @inlinable
    static func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8
        let right = rhs.utf8
        guard left.count == right.count else { return false }
        let fast = left.withContiguousStorageIfAvailable { leftBytes in
            right.withContiguousStorageIfAvailable { rightBytes in
                leftBytes.elementsEqual(rightBytes)
            }
        }
        if let fast, let result = fast { return result }
        return left.elementsEqual(right)
    }
}

extension JSString: Hashable {
    @inlinable
    public static func == (lhs: JSString, rhs: JSString) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.text(let left), .text(let right)): Self.sameBytes(left, right)
        case (.units(let left), .units(let right)): left == right
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self.storage {
        case .text(let text):
            let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
                hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            }
            if hashed == nil {
                for byte in text.utf8 { hasher.combine(byte) }
            }
            // 0xFF never occurs in UTF-8: it ends the string unambiguously.
            hasher.combine(UInt8(0xFF))
        case .units(let units):
            units.withUnsafeBytes { hasher.combine(bytes: $0) }
            hasher.combine(UInt8(0xFE))
        }
    }
}

extension JSString: Comparable {
    /// JavaScript's `<` on strings: lexicographic by UTF-16 code units.
    public static func < (lhs: JSString, rhs: JSString) -> Bool {
        if case .text(let left) = lhs.storage, case .text(let right) = rhs.storage {
            return left.utf16.lexicographicallyPrecedes(right.utf16)
        }
        return lhs.codeUnits.lexicographicallyPrecedes(rhs.codeUnits)
    }
}

extension JSString: ExpressibleByStringLiteral, CustomStringConvertible, CustomDebugStringConvertible {
    @inlinable
    public init(stringLiteral value: String) {
        self.storage = .text(value)
    }

    /// ``string``: lone surrogates shown as U+FFFD.
    public var description: String { self.string }

    /// The string as `JSON.stringify` writes it (quoted; lone surrogates as `\udXXX`).
    public var debugDescription: String {
        var bytes: [UInt8] = []
        JSONWriter.appendQuoted(self, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    /// The text of a JavaScript string, lone surrogates replaced by U+FFFD (see ``JSString/string``).
    public init(_ string: JSString) {
        self = string.string
    }
}
