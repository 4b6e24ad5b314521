import FlareletCrypto
import Testing

struct CryptoTests {
    @Test(arguments: [
        ("unknown", "b23a6a8439c0dde5"),
        ("1.2.3.4", "6694f83c9f476da3"),
        ("127.0.0.1", "12ca17b49af22894"),
        ("::1", "eff8e7ca506627fe"),
    ])
    func voiceModeIPHashVectors(input: String, prefix: String) {
        #expect(String(Crypto.sha256Hex(input).prefix(16)) == prefix)
    }

    @Test func sha256OfEmptyString() {
        #expect(Crypto.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hmacRFC4231Case2() {
        let mac = Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func runtTestVector() throws {
        let pair = try #require(Crypto.ed25519KeyPair(seed: [UInt8](repeating: 7, count: 32)))
        #expect(Hex.encode(pair.publicKey) == "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c")
        let message = Array(
            #"[{"event_type":"auto_launch","data":{"runtime":"python","success":true,"prewarmed":true,"duration_ms":150},"timestamp":"2024-02-16T12:00:00Z"}]"#
                .utf8
        )
        #expect(message.count == 143)
        let signature = Crypto.ed25519Sign(secretKey: pair.secretKey, message: message)
        #expect(
            Hex.encode(signature)
                == "ac43377bfb9dc18872ff8f338fb3c0d72a2b7916cd87d07e1278e740333533319a757e92a235598028faf4ad0ed22ecb00d456447e788b0845a39594a5b91409"
        )
        #expect(Crypto.ed25519Verify(publicKey: pair.publicKey, signature: signature, message: message))
        #expect(!Crypto.ed25519Verify(publicKey: pair.publicKey, signature: signature, message: message + [0x20]))
        #expect(!Crypto.ed25519Verify(publicKey: pair.publicKey, signature: Array(signature.prefix(10)), message: message))
    }

    @Test func hexRoundTripAndRejects() {
        #expect(Hex.decode("00ffA0") == [0, 255, 160])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.encode([1, 2, 254]) == "0102fe")
    }
}
