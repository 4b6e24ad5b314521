import Flarelet
import Logging

extension RuntWorker {
    /// Verifies `signature` (hex, decoded like upstream's `hexToBytes`) over the UTF-8 bytes of `message` with the
    /// Ed25519 public key `publicKeyHex`. Anything that would throw in WebCrypto (a non-string signature, a
    /// decoded length other than 64 bytes, a key that is not 32 bytes) is logged with the prefix
    /// `Signature verification failed:` and counts as a failed verification.
    static func verifySignature(message: String, signature: JSONValue, publicKeyHex: String, logger: Logger) -> Bool {
        do {
            return try self.checkSignature(message: message, signature: signature, publicKeyHex: publicKeyHex)
        } catch {
            logger.error("Signature verification failed: \(error)")
            return false
        }
    }

    /// The verification without the catch: `false` for a well-formed signature that does not verify, an error
    /// where WebCrypto's `importKey` or `verify` throws.
    static func checkSignature(message: String, signature: JSONValue, publicKeyHex: String) throws(RuntSignatureError) -> Bool {
        guard case .string(let signatureHex) = signature else {
            throw RuntSignatureError("signature is a JSON \(signature.typeofName), not a hex string")
        }
        let publicKey = Self.hexToBytes(publicKeyHex)
        guard publicKey.count == 32 else {
            throw RuntSignatureError("DataError: Ed25519 raw keys must be exactly 32 bytes (got \(publicKey.count))")
        }
        let signatureBytes = Self.hexToBytes(signatureHex)
        guard signatureBytes.count == 64 else {
            throw RuntSignatureError("OperationError: Invalid Ed25519 signature length \(signatureBytes.count)")
        }
        return Crypto.ed25519Verify(publicKey: publicKey, signature: signatureBytes, message: Array(message.utf8))
    }

    /// Upstream's lenient `hexToBytes`: `new Uint8Array(hex.length / 2)` (length in UTF-16 units, truncated),
    /// each byte `parseInt(hex.slice(i, i + 2), 16)` stored into the byte array.
    ///
    /// So either case decodes; a pair that does not start with a hex digit (after optional whitespace, sign and
    /// `0x`) is `NaN` and stores 0; `1z` parses as 1; `-1` is −1 and wraps to 255; with an odd length the last
    /// character falls outside the array and is ignored.
    public static func hexToBytes(_ hex: String) -> [UInt8] {
        let units = Array(hex.utf16)
        let count = units.count / 2
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            bytes[index] = JavaScript.uint8(parseIntHex: units[(2 * index)..<(2 * index + 2)])
        }
        return bytes
    }
}

/// Why a signature could not even be checked (WebCrypto would throw). Logged, then answered with 401.
struct RuntSignatureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
