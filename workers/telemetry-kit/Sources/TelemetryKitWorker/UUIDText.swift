/// UUID text parsing as the Rust `uuid` crate (1.x) does it, and the canonical form the port stores.
///
/// Accepted forms (hex digits in either case): simple (32 hex digits), hyphenated (8-4-4-4-12, 36 characters),
/// braced hyphenated (`{…}`, 38 characters) and `urn:uuid:` followed by the hyphenated form (45 characters).
/// The canonical form is lowercase hyphenated, so text equality of canonical forms is UUID equality.
public enum UUIDText {
    /// The lowercase hyphenated form of `text`, or `nil` when it is not a UUID.
    public static func canonical(_ text: String) -> String? {
        try? self.parse(text)
    }

    /// The lowercase hyphenated form of `text`, or the `uuid` crate's reason for rejecting it.
    public static func parse(_ text: String) throws(UUIDParseError) -> String {
        let bytes = Array(text.utf8)
        let hex: [UInt8]
        switch bytes.count {
        case 32:
            hex = try self.simple(bytes[...], offset: 0)
        case 36:
            hex = try self.hyphenated(bytes[...], offset: 0)
        case 38 where bytes.first == UInt8(ascii: "{") && bytes.last == UInt8(ascii: "}"):
            hex = try self.hyphenated(bytes[1..<37], offset: 1)
        case 45 where bytes.starts(with: Array("urn:uuid:".utf8)):
            hex = try self.hyphenated(bytes[9...], offset: 9)
        default:
            throw self.describe(bytes)
        }
        var output = ""
        output.reserveCapacity(36)
        for (index, digit) in hex.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { output.append("-") }
            output.unicodeScalars.append(Unicode.Scalar(digit))
        }
        return output
    }

    private static func lowerHex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): byte
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte + 32
        default: nil
        }
    }

    private static func simple(_ bytes: ArraySlice<UInt8>, offset: Int) throws(UUIDParseError) -> [UInt8] {
        var hex: [UInt8] = []
        for (index, byte) in bytes.enumerated() {
            guard let digit = self.lowerHex(byte) else { throw self.invalidCharacter(Array(bytes), at: index, offset: offset) }
            hex.append(digit)
        }
        return hex
    }

    private static func hyphenated(_ bytes: ArraySlice<UInt8>, offset: Int) throws(UUIDParseError) -> [UInt8] {
        let body = Array(bytes)
        var hex: [UInt8] = []
        for (index, byte) in body.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { throw self.describe(body, offset: offset) }
            } else {
                guard let digit = self.lowerHex(byte) else { throw self.describe(body, offset: offset) }
                hex.append(digit)
            }
        }
        return hex
    }

    /// The `uuid` crate's error for input that failed the fast path (an approximation of its `InvalidUuid::into_err`).
    private static func describe(_ input: [UInt8], offset: Int = 0) -> UUIDParseError {
        var bytes = input[...]
        var offset = offset
        if offset == 0 {
            if bytes.starts(with: Array("urn:uuid:".utf8)) {
                bytes = bytes.dropFirst(9)
                offset = 9
            } else if bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") {
                bytes = bytes.dropFirst().dropLast()
                offset = 1
            }
        }
        let body = Array(bytes)
        var groupLengths: [Int] = [0]
        var hyphens = 0
        for (index, byte) in body.enumerated() {
            if byte == UInt8(ascii: "-") {
                hyphens += 1
                groupLengths.append(0)
            } else if self.lowerHex(byte) != nil {
                groupLengths[groupLengths.count - 1] += 1
            } else {
                return self.invalidCharacter(body, at: index, offset: offset)
            }
        }
        if hyphens == 0 {
            return UUIDParseError(reason: "invalid length: expected length 32 for simple format, found \(body.count)")
        }
        if groupLengths.count != 5 {
            return UUIDParseError(reason: "invalid group count: expected 5, found \(groupLengths.count)")
        }
        let expected = [8, 4, 4, 4, 12]
        for (group, length) in groupLengths.enumerated() where length != expected[group] {
            return UUIDParseError(reason: "invalid group length in group \(group): expected \(expected[group]), found \(length)")
        }
        return UUIDParseError(reason: "failed to parse a UUID")
    }

    private static func invalidCharacter(_ body: [UInt8], at index: Int, offset: Int) -> UUIDParseError {
        let rest = String(decoding: body[index...], as: UTF8.self)
        let character = rest.first.map(String.init) ?? "?"
        return UUIDParseError(
            reason:
                "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `\(character)` at \(index + offset + 1)"
        )
    }
}

/// Why a string is not a UUID, in the `uuid` crate's words.
public struct UUIDParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The crate's message, e.g. `invalid length: expected length 32 for simple format, found 3`.
    public var reason: String
    public var description: String { self.reason }
}
