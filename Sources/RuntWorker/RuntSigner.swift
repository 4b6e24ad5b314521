import Flarelet
import Foundation

/// Builds request bodies the way the Runt client signs them: Ed25519 over the UTF-8 bytes of
/// `JSON.stringify(events)` (what the server re-serialises), hex in lower case.
public enum RuntSigner {
    /// The `POST /telemetry` body `{"public_key": …, "signature": …, "events": …}` for `events`, signed with the
    /// 32-byte Ed25519 `seed`.
    /// - Throws: ``RuntSignerError`` when `seed` is not 32 bytes.
    public static func signedBody(seed: [UInt8], events: JSONValue) throws(RuntSignerError) -> JSONValue {
        let keyPair = try self.keyPair(seed: seed)
        let signature = Crypto.ed25519Sign(secretKey: keyPair.secretKey, message: Array(events.stringify().utf8))
        return .object(
            JSONObject([
                ("public_key", .string(Hex.encode(keyPair.publicKey))),
                ("signature", .string(Hex.encode(signature))),
                ("events", events),
            ])
        )
    }

    /// The lower-case hex public key (the install id) of `seed`.
    public static func publicKeyHex(seed: [UInt8]) throws(RuntSignerError) -> String {
        Hex.encode(try self.keyPair(seed: seed).publicKey)
    }

    /// The lower-case hex Ed25519 signature of the UTF-8 bytes of `message`.
    public static func signatureHex(seed: [UInt8], message: String) throws(RuntSignerError) -> String {
        Hex.encode(Crypto.ed25519Sign(secretKey: try self.keyPair(seed: seed).secretKey, message: Array(message.utf8)))
    }

    /// Reads a seed given as 64 hex characters (either case) or as the path of a file that holds either the raw
    /// 32-byte seed (the Runt client's `telemetry-key` file) or 64 hex characters (surrounding whitespace
    /// allowed). A 64-hex-character argument is always taken as hex, even if a file of that name exists.
    /// - Throws: ``RuntSignerError`` naming what was wrong.
    public static func readSeed(_ argument: String) throws(RuntSignerError) -> [UInt8] {
        if argument.utf8.count == 64, let seed = Hex.decode(argument) {
            return seed
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { throw RuntSignerError("seed file '\(argument)' is a directory") }
            guard let data = FileManager.default.contents(atPath: argument) else {
                throw RuntSignerError("seed file '\(argument)' cannot be read")
            }
            return try self.seed(fileContents: Array(data), path: argument)
        }
        if !argument.isEmpty, argument.utf8.allSatisfy({ JavaScript.hexValue($0) != nil }) {
            throw RuntSignerError("a hex seed must be 64 hex characters (32 bytes); got \(argument.utf8.count)")
        }
        throw RuntSignerError("seed '\(argument)' is neither 64 hex characters nor an existing file")
    }

    /// The seed held by a key file: exactly 32 raw bytes, or 64 hex characters with optional surrounding
    /// whitespace.
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - path: the file's name, for the error message.
    public static func seed(fileContents bytes: [UInt8], path: String) throws(RuntSignerError) -> [UInt8] {
        if bytes.count == 32 { return bytes }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let trimmed = Array(bytes.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
        if trimmed.count == 64, let seed = Hex.decode(String(decoding: trimmed, as: UTF8.self)) {
            return seed
        }
        throw RuntSignerError(
            "seed file '\(path)' holds \(bytes.count) bytes: expected a raw 32-byte Ed25519 seed or 64 hex characters"
        )
    }

    private static func keyPair(seed: [UInt8]) throws(RuntSignerError) -> (publicKey: [UInt8], secretKey: [UInt8]) {
        guard let pair = Crypto.ed25519KeyPair(seed: seed) else {
            throw RuntSignerError("an Ed25519 seed must be 32 bytes; got \(seed.count)")
        }
        return pair
    }
}

/// A seed that could not be read or used; ``description`` is the message to print.
public struct RuntSignerError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
