import CSodium

/// libsodium-backed primitives: SHA-256, HMAC-SHA256, Ed25519.
public enum Crypto {
    private static let initialized: Bool = sodium_init() >= 0

    private static func ensureInitialized() {
        precondition(self.initialized, "libsodium failed to initialise")
    }

    /// SHA-256 digest (32 bytes).
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        self.ensureInitialized()
        var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        _ = crypto_hash_sha256(&out, data, UInt64(data.count))
        return out
    }

    /// SHA-256 of the UTF-8 bytes of `text`, lower-case hex.
    public static func sha256Hex(_ text: String) -> String {
        Hex.encode(self.sha256(Array(text.utf8)))
    }

    /// HMAC-SHA256 with a key of any length (32 bytes out).
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        self.ensureInitialized()
        var state = crypto_auth_hmacsha256_state()
        _ = crypto_auth_hmacsha256_init(&state, key, key.count)
        _ = crypto_auth_hmacsha256_update(&state, message, UInt64(message.count))
        var out = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
        _ = crypto_auth_hmacsha256_final(&state, &out)
        return out
    }

    /// Constant-time comparison of two byte strings of equal length.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return sodium_memcmp(a, b, a.count) == 0
    }

    /// Verifies an Ed25519 signature. Wrong key or signature lengths verify as `false`.
    public static func ed25519Verify(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
        self.ensureInitialized()
        guard publicKey.count == Int(crypto_sign_PUBLICKEYBYTES), signature.count == Int(crypto_sign_BYTES) else {
            return false
        }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }

    /// An Ed25519 key pair from a 32-byte seed (deterministic).
    public static func ed25519KeyPair(seed: [UInt8]) -> (publicKey: [UInt8], secretKey: [UInt8])? {
        self.ensureInitialized()
        guard seed.count == Int(crypto_sign_SEEDBYTES) else { return nil }
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        guard crypto_sign_seed_keypair(&publicKey, &secretKey, seed) == 0 else { return nil }
        return (publicKey, secretKey)
    }

    /// Signs `message` with a 64-byte secret key from ``ed25519KeyPair(seed:)``.
    public static func ed25519Sign(secretKey: [UInt8], message: [UInt8]) -> [UInt8] {
        self.ensureInitialized()
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        _ = crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        return signature
    }
}

/// Hexadecimal encoding.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(self.digits[Int(byte >> 4)])
            out.append(self.digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict decoding (either case, even length); `nil` otherwise.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let hi = nibble(utf8[index]), let lo = nibble(utf8[index + 1]) else { return nil }
            out.append(hi << 4 | lo)
            index += 2
        }
        return out
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
