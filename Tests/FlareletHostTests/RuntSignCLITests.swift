import FlareletJSON
import Foundation
import Testing

struct RuntSignCLITests {
    /// The seed's example event signed with the spec's deterministic test key gives the spec's signature.
    @Test func signsTheSpecTestVector() throws {
        let events =
            #"[ {"event_type": "auto_launch", "data": {"runtime": "python", "success": true, "prewarmed": true, "duration_ms": 150.0}, "timestamp": "2024-02-16T12:00:00Z"} ]"#
        let result = try runFlarelet(["runt", "sign", "--seed", String(repeating: "07", count: 32), "--events", "-"], stdin: events)
        #expect(result.status == 0, "\(result.stderr)")
        let body = try JSONValue.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(body.objectValue?.keys == ["public_key", "signature", "events"])
        #expect(body["public_key"] == .string("ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"))
        #expect(
            body["signature"]
                == .string(
                    "ac43377bfb9dc18872ff8f338fb3c0d72a2b7916cd87d07e1278e740333533319a757e92a235598028faf4ad0ed22ecb00d456447e788b0845a39594a5b91409"
                )
        )
    }

    @Test func badSeedIsOneLineError() throws {
        let result = try runFlarelet(["runt", "sign", "--seed", "abcd", "--events", "-"], stdin: "[]")
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("✘ [ERROR] "))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
