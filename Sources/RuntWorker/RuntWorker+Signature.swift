import Flarelet
import Logging

extension RuntWorker {
    /// Verifies `signature` (decoded like upstream's `hexToBytes`) over `message` (the UTF-8 bytes of
    /// `JSON.stringify(events)`) with the Ed25519 public key `publicKeyHex`. Anything that throws in upstream's
    /// `try` block (a signature `hexToBytes` cannot decode, a decoded length other than 64 bytes, a key that is not
    /// 32 bytes) is logged with the prefix `Signature verification failed:` and counts as a failed verification.
    static func verifySignature(message: [UInt8], signature: JSONValue, publicKeyHex: JSString, logger: Logger) -> Bool {
        do {
            return try self.checkSignature(message: message, signature: signature, publicKeyHex: publicKeyHex)
        } catch {
            logger.error("Signature verification failed: \(error)")
            return false
        }
    }

    /// The verification without the catch: `false` for a well-formed signature that does not verify, an error
    /// where upstream's `hexToBytes`, `importKey` or `verify` throws.
    static func checkSignature(message: [UInt8], signature: JSONValue, publicKeyHex: JSString) throws(RuntSignatureError) -> Bool {
        let publicKey: [UInt8]
        let signatureBytes: [UInt8]
        do {
            publicKey = try Self.hexToBytes(.string(publicKeyHex))
            signatureBytes = try Self.hexToBytes(signature)
        } catch {
            throw RuntSignatureError("\(error)")
        }
        guard publicKey.count == 32 else {
            throw RuntSignatureError("DataError: Ed25519 raw keys must be exactly 32 bytes (got \(publicKey.count))")
        }
        guard signatureBytes.count == 64 else {
            throw RuntSignatureError("OperationError: Invalid Ed25519 signature length \(signatureBytes.count)")
        }
        return Crypto.ed25519Verify(publicKey: publicKey, signature: signatureBytes, message: message)
    }

    /// Upstream's lenient `hexToBytes(hex)` for any JSON value, with JavaScript's conversions:
    ///
    /// ```js
    /// const bytes = new Uint8Array(hex.length / 2);
    /// for (let i = 0; i < hex.length; i += 2) bytes[i / 2] = parseInt(hex.slice(i, i + 2), 16);
    /// ```
    ///
    /// For a string, `length` counts UTF-16 units and `slice` may split a surrogate pair; for an array (a signature
    /// sent as a JSON array), `slice` takes two elements and `parseInt` reads `String()` of them (`["ab","cd"]` →
    /// `"ab,cd"` → 171). `parseInt` skips white space, takes a sign and `0x`, and stops at the first non-hex
    /// character; `NaN` stores 0 and other values wrap modulo 256; with an odd length the last character is ignored.
    /// Values without `length` decode to no bytes; an object with a positive `length` has no `slice` (TypeError).
    /// - Throws: what JavaScript throws (`TypeError`, `RangeError`).
    public static func hexToBytes(_ hex: JSONValue) throws(JavaScriptError) -> [UInt8] {
        let lengthValue = Self.length(of: hex)
        let length = try JavaScript.toNumber(lengthValue)
        // `new Uint8Array(length / 2)`: ToIndex.
        let half = (length / 2).isNaN ? 0 : (length / 2).rounded(.towardZero)
        guard half >= 0, half <= 9_007_199_254_740_991 else { throw JavaScriptError(.rangeError, "Invalid typed array length: \(length / 2)") }
        let elements: Int
        switch hex {
        case .string(let text): elements = text.length
        case .array(let array): elements = array.count
        default:
            // No `slice`: the loop throws as soon as it runs.
            if 0 < length { throw JavaScriptError(.typeError, "hex.slice is not a function") }
            return []
        }
        var bytes = [UInt8](repeating: 0, count: Int(half))
        let units = hex.jsStringValue?.codeUnits
        var index = 0
        while index < elements {
            let piece: JSONValue
            if let units {
                piece = .string(JSString(codeUnits: units[index..<min(index + 2, units.count)]))
            } else if case .array(let array) = hex {
                piece = .array(JSONArray(Array(array[index..<min(index + 2, array.count)])))
            } else {
                piece = .null
            }
            let value = try JavaScript.parseInt(piece, radix: .number(16))
            if index / 2 < bytes.count { bytes[index / 2] = Self.toUint8(value) }
            index += 2
        }
        return bytes
    }

    /// `ToUint8`: `NaN` and infinities are 0, other numbers are truncated and wrapped modulo 256.
    static func toUint8(_ value: Double) -> UInt8 {
        guard value.isFinite else { return 0 }
        let wrapped = value.rounded(.towardZero).truncatingRemainder(dividingBy: 256)
        return UInt8(wrapped < 0 ? wrapped + 256 : wrapped)
    }
}

/// Why a signature could not even be checked (WebCrypto or `hexToBytes` would throw). Logged, then answered 401.
struct RuntSignatureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
