import Flarelet
import Foundation

/// The `api_tokens` row that authenticated a request.
struct APIToken: Sendable {
    var id: String
    /// Canonical (lowercase hyphenated).
    var orgID: String
    /// Canonical (lowercase hyphenated).
    var appID: String
}

extension TelemetryKitWorker {
    /// Steps 1–9 of the authentication middleware (spec section 5): the token row and the body text, or the answer.
    func authenticate(
        _ request: WorkerRequest,
        store: any TelemetryStore,
        env: Env
    ) async -> Result<(token: APIToken, body: String), AuthFailure> {
        guard let signature = Self.header(request, "X-Signature") else {
            return .failure(AuthFailure(status: 401, message: "Missing X-Signature header"))
        }
        guard let timestampText = Self.header(request, "X-Timestamp") else {
            return .failure(AuthFailure(status: 401, message: "Missing X-Timestamp header"))
        }
        guard let body = String(validating: request.body, as: UTF8.self) else {
            return .failure(AuthFailure(status: 400, message: "Invalid UTF-8 in body"))
        }
        guard let authorization = Self.header(request, "Authorization"), authorization.hasPrefix("Bearer ") else {
            return .failure(AuthFailure(status: 401, message: "Missing or invalid Authorization header"))
        }
        let tokenText = String(authorization.dropFirst("Bearer ".count))

        let found: (token: APIToken, secret: String)?
        do {
            found = try await store.activeToken(tokenText)
        } catch {
            env.logger.error("token lookup failed: \(error)")
            return .failure(AuthFailure(status: 500, message: "Database error"))
        }
        guard let (token, secret) = found else {
            return .failure(AuthFailure(status: 401, message: "Invalid token"))
        }

        guard Self.verifySignature(signature, timestamp: timestampText, body: request.body, secret: secret) else {
            return .failure(AuthFailure(status: 401, message: "Invalid HMAC signature"))
        }
        guard let timestamp = Self.parseInt64(timestampText) else {
            return .failure(AuthFailure(status: 400, message: "Invalid timestamp format"))
        }
        let now = Self.unixSeconds(env.clock.now())
        let (difference, overflow) = now.subtractingReportingOverflow(timestamp)
        guard !overflow, difference.magnitude <= UInt64(Self.timestampWindowSeconds) else {
            return .failure(AuthFailure(status: 403, message: "Timestamp outside acceptable window"))
        }

        do {
            try await store.touch(tokenID: token.id, microseconds: Timestamp.microseconds(env.clock.now()))
        } catch {
            env.logger.warning("failed to update last_used_at: \(error)")
        }
        return .success((token, body))
    }

    /// Lowercase hex HMAC-SHA256 of `<timestamp>:<raw body>` keyed with the secret's UTF-8 bytes, compared in
    /// constant time with the `X-Signature` value (lengths first).
    static func verifySignature(_ signature: String, timestamp: String, body: [UInt8], secret: String) -> Bool {
        let expected = Self.signature(timestamp: timestamp, body: body, secret: secret)
        let presented = Array(signature.utf8)
        let wanted = Array(expected.utf8)
        guard presented.count == wanted.count else { return false }
        return Crypto.constantTimeEqual(presented, wanted)
    }

    /// The signature a client must send: lowercase hex HMAC-SHA256(secret, `<timestamp>:<body>`).
    public static func signature(timestamp: String, body: [UInt8], secret: String) -> String {
        let message = Array(timestamp.utf8) + [UInt8(ascii: ":")] + body
        return Hex.encode(Crypto.hmacSHA256(key: Array(secret.utf8), message: message))
    }

    /// Rust's `i64::from_str`: optional `+` or `-`, then one or more ASCII digits, within range.
    static func parseInt64(_ text: String) -> Int64? {
        var digits = Substring(text)
        var negative = false
        if let first = digits.first, first == "+" || first == "-" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        var value: Int64 = 0
        for byte in digits.utf8 {
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        return value
    }

    /// Rust's `u64::from_str`: optional `+`, then one or more ASCII digits, within range.
    static func parseUInt64(_ text: String) -> UInt64? {
        var digits = Substring(text)
        if digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(digits)
    }

    /// Whole Unix seconds (floored), like chrono's `Utc::now().timestamp()`.
    static func unixSeconds(_ date: Date) -> Int64 {
        Int64((Double(Timestamp.microseconds(date)) / 1_000_000).rounded(.down))
    }
}

/// An authentication failure: status and the message of the standard error body.
struct AuthFailure: Error, Sendable {
    var status: Int
    var message: String

    var response: WorkerResponse { TelemetryKitWorker.error(self.status, self.message) }
}
