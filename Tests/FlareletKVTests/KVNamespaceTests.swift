import FlareletCore
import FlareletKV
import FlareletTesting
import Foundation
import Testing

/// Behaviour of platform.md 3.1–3.3 shared by `LMDBKVNamespace` and `MemoryKVNamespace`.
struct KVNamespaceTests {
    // MARK: get, put, delete

    @Test(arguments: Backend.allCases)
    func putAndGetText(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            try await kv.put("greeting", "héllo wörld")
            #expect(try await kv.get("greeting") == "héllo wörld")
            #expect(try await kv.getBytes("greeting") == Array("héllo wörld".utf8))
        }
    }

    @Test(arguments: Backend.allCases)
    func putAndGetBytes(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            let value: [UInt8] = [0, 255, 128, 0, 1, 0xC3]
            try await kv.put("binary", bytes: value, options: KVPutOptions())
            #expect(try await kv.getBytes("binary") == value)
            try await kv.put("empty", bytes: [], options: KVPutOptions())
            #expect(try await kv.getBytes("empty") == [])
            #expect(try await kv.get("empty") == "")
        }
    }

    @Test(arguments: Backend.allCases)
    func missingKeyReadsAsNil(backend: Backend) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            #expect(try await kv.get("nope") == nil)
            #expect(try await kv.getBytes("nope") == nil)
            #expect(try await kv.getWithMetadata("nope") == nil)
            #expect(try await kv.getWithMetadata("nope", cacheTtl: 30) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func getWithMetadataWithoutMetadata(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            try await kv.put("plain", "value")
            let entry = try #require(try await kv.getWithMetadata("plain"))
            #expect(entry == KVEntry(value: Array("value".utf8), metadata: nil, expiration: nil))
        }
    }

    @Test(arguments: Backend.allCases)
    func deleteRemovesAndMissingKeyIsFine(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            try await kv.delete("never-written")
            try await kv.put("a", "1")
            try await kv.put("b", "2")
            try await kv.delete("a")
            #expect(try await kv.get("a") == nil)
            #expect(try await kv.get("b") == "2")
            try await kv.delete("a")
            #expect(names(try await kv.list()) == bytes(["b"]))
        }
    }

    @Test(arguments: Backend.allCases)
    func overwriteReplacesValueAndExpiration(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            try await kv.put("k", "first", options: KVPutOptions(expirationTtl: 300))
            #expect(try await kv.getWithMetadata("k")?.expiration == start + 300)
            try await kv.put("k", "second")
            let entry = try #require(try await kv.getWithMetadata("k"))
            #expect(entry.text == "second")
            #expect(entry.expiration == nil)
            #expect(try await kv.list().keys == [KVKey(name: "k")])
        }
    }

    @Test(arguments: Backend.allCases)
    func cacheTtlIsValidatedThenIgnored(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            try await kv.put("k", "v")
            #expect(try await kv.getWithMetadata("k", cacheTtl: 30)?.text == "v")
            #expect(try await kv.getWithMetadata("k", cacheTtl: 86_400)?.text == "v")
        }
    }

    // MARK: Expiration

    @Test(arguments: Backend.allCases)
    func expirationTtlExpiresAtExactlyNowPlusTtl(backend: Backend) async throws {
        try await withNamespace(backend) { kv, clock in
            try await kv.put("session", "s", options: KVPutOptions(expirationTtl: 60))
            #expect(try await kv.getWithMetadata("session")?.expiration == start + 60)
            clock.advance(by: 59.999)
            #expect(try await kv.get("session") == "s")
            clock.advance(by: 0.001)
            #expect(try await kv.get("session") == nil)
            #expect(try await kv.getWithMetadata("session") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func absoluteExpiration(backend: Backend) async throws {
        try await withNamespace(backend) { kv, clock in
            try await kv.put("k", "v", options: KVPutOptions(expiration: start + 100))
            #expect(try await kv.getWithMetadata("k")?.expiration == start + 100)
            clock.advance(by: 99)
            #expect(try await kv.get("k") == "v")
            clock.advance(by: 1)
            #expect(try await kv.get("k") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func ttlWinsOverExpiration(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            try await kv.put("both", "v", options: KVPutOptions(expiration: start + 1000, expirationTtl: 120))
            #expect(try await kv.getWithMetadata("both")?.expiration == start + 120)
            // The absolute value is ignored entirely, even when it would be rejected on its own.
            try await kv.put("past", "v", options: KVPutOptions(expiration: start - 5, expirationTtl: 60))
            #expect(try await kv.getWithMetadata("past")?.expiration == start + 60)
        }
    }

    @Test(arguments: Backend.allCases)
    func nowIsWholeSecondsRoundedDown(backend: Backend) async throws {
        try await withNamespace(backend) { kv, clock in
            clock.advance(by: 0.9)
            // now = start, so start + 60 is exactly the earliest allowed expiration.
            try await kv.put("k", "v", options: KVPutOptions(expiration: start + 60))
            try await kv.put("t", "v", options: KVPutOptions(expirationTtl: 60))
            #expect(try await kv.getWithMetadata("t")?.expiration == start + 60)
        }
    }

    @Test(arguments: Backend.allCases)
    func expiredEntryIsDeletedByGet(backend: Backend) async throws {
        try await withNamespace(backend) { kv, clock in
            try await kv.put("read", "v", options: KVPutOptions(expirationTtl: 60))
            try await kv.put("unread", "v", options: KVPutOptions(expirationTtl: 60))
            clock.advance(by: 60)
            #expect(try await kv.get("read") == nil)
            #expect(try await kv.list().keys.isEmpty)
            // Back in time: the entry `get` saw expired is gone for good; the other one was only hidden.
            clock.set(Date(timeIntervalSince1970: TimeInterval(start)))
            #expect(try await kv.get("read") == nil)
            #expect(try await kv.get("unread") == "v")
        }
    }

    @Test(arguments: Backend.allCases)
    func purgeExpiredDeletesExactlyTheExpiredEntries(backend: Backend) async throws {
        try await withNamespace(backend) { kv, clock in
            for index in 0..<3 { try await kv.put("short-\(index)", "v", options: KVPutOptions(expirationTtl: 60)) }
            for index in 0..<2 { try await kv.put("long-\(index)", "v", options: KVPutOptions(expirationTtl: 120)) }
            try await kv.put("forever", "v")
            #expect(try await purgeExpired(kv) == 0)
            clock.advance(by: 60)
            #expect(try await purgeExpired(kv) == 3)
            #expect(try await purgeExpired(kv) == 0)
            clock.set(Date(timeIntervalSince1970: TimeInterval(start)))
            #expect(names(try await kv.list()) == bytes(["forever", "long-0", "long-1"]))
            clock.advance(by: 120)
            #expect(try await purgeExpired(kv) == 2)
            clock.set(Date(timeIntervalSince1970: TimeInterval(start)))
            #expect(names(try await kv.list()) == bytes(["forever"]))
        }
    }

    // MARK: Validation (platform.md 3.2)

    @Test(arguments: Backend.allCases, InvalidCall.allCases)
    func validationErrors(backend: Backend, call: InvalidCall) async throws {
        try await withNamespace(backend) { (kv: any KVNamespace, _: TestClock) async throws in
            await expectKVError(call.expected) { () throws(KVError) in try await call.run(on: kv) }
            // Nothing was stored by the failed call.
            #expect(try await kv.list().keys.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func keyChecksAreTypeErrorsAndLengthIsABackendError(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            do throws(KVError) {
                _ = try await kv.get("")
                Issue.record("expected an error")
            } catch {
                #expect(error == KVError(.typeError, "Key name cannot be empty."))
            }
            do throws(KVError) {
                _ = try await kv.get(String(repeating: "k", count: 513))
                Issue.record("expected an error")
            } catch {
                #expect(error.kind == .backend(method: "GET", status: 414))
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func limitsThemselvesAreAccepted(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            let value = [UInt8](repeating: 7, count: KVValidation.maxValueBytes)
            try await kv.put("big", bytes: value, options: KVPutOptions())
            #expect(try await kv.getBytes("big") == value)
            #expect(try await kv.list(KVListOptions(limit: 1000)).keys.count == 1)
            #expect(try await kv.getWithMetadata("big", cacheTtl: 30)?.value.count == value.count)
        }
    }

    // MARK: Long keys

    @Test(arguments: Backend.allCases)
    func keysOf512BytesWork(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            let ascii = String(repeating: "a", count: 512)
            let accented = String(repeating: "é", count: 256)
            #expect(accented.utf8.count == 512)
            try await kv.put(ascii, "ascii")
            try await kv.put(accented, "accented")
            #expect(try await kv.get(ascii) == "ascii")
            #expect(try await kv.get(accented) == "accented")
            #expect(names(try await kv.list()) == bytes([ascii, accented]))
            try await kv.delete(ascii)
            #expect(try await kv.get(ascii) == nil)
            #expect(try await kv.get(accented) == "accented")
        }
    }

    /// Keys of 511 and 512 bytes that share their first 511 bytes (one LMDB key in the LMDB layout).
    @Test(arguments: Backend.allCases)
    func keysSharingTheirFirst511Bytes(backend: Backend) async throws {
        try await withNamespace(backend) { kv, clock in
            let base = String(repeating: "x", count: 511)
            let keys = [base + "b", base, base + "a", base + "A", base + "\u{7F}"]
            for key in keys { try await kv.put(key, "value of \(key.suffix(1))") }
            let sorted = [base, base + "A", base + "a", base + "b", base + "\u{7F}"]
            #expect(names(try await kv.list()) == bytes(sorted))
            for key in keys { #expect(try await kv.get(key) == "value of \(key.suffix(1))") }

            // Paging one key at a time through the shared prefix.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await kv.list(KVListOptions(prefix: base, limit: 1, cursor: cursor))
                seen += page.keys.map(\.name)
                cursor = page.cursor
            } while cursor != nil
            #expect(bytes(seen) == bytes(sorted))

            try await kv.delete(base + "a")
            try await kv.put(base, "new", options: KVPutOptions(expirationTtl: 60))
            try await kv.put(base + "A", "A2")
            #expect(names(try await kv.list()) == bytes([base, base + "A", base + "b", base + "\u{7F}"]))
            #expect(try await kv.get(base + "A") == "A2")
            #expect(try await kv.get(base + "b") == "value of b")
            clock.advance(by: 60)
            #expect(names(try await kv.list()) == bytes([base + "A", base + "b", base + "\u{7F}"]))
            #expect(try await kv.get(base) == nil)
            #expect(try await purgeExpired(kv) == 0)
            #expect(try await kv.get(base + "\u{7F}") == "value of \u{7F}")
        }
    }

    // MARK: list

    @Test(arguments: Backend.allCases)
    func listOrdersByUTF8Bytes(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            // "e\u{301}" and "é" are one `String` to Swift but two keys to KV; UTF-16 order would put
            // "\u{10000}" before "\u{FF61}".
            let keys = ["a", "b", "B", "é", "z", "aa", "\u{10000}", "e\u{301}", "f", "\u{FF61}"]
            for key in keys { try await kv.put(key, key) }
            let expected = ["B", "a", "aa", "b", "e\u{301}", "f", "z", "é", "\u{FF61}", "\u{10000}"]
            #expect(names(try await kv.list()) == bytes(expected))
            #expect(try await kv.getBytes("e\u{301}") == Array("e\u{301}".utf8))
            #expect(try await kv.getBytes("é") == Array("é".utf8))
        }
    }

    @Test(arguments: Backend.allCases)
    func listByPrefix(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            for key in ["user:2", "users", "admin", "user:10", "user:1", "user;", "use"] { try await kv.put(key, "v") }
            let users = try await kv.list(KVListOptions(prefix: "user:"))
            #expect(names(users) == bytes(["user:1", "user:10", "user:2"]))
            #expect(users.listComplete)
            #expect(users.cursor == nil)
            #expect(names(try await kv.list(KVListOptions(prefix: "user"))) == bytes(["user:1", "user:10", "user:2", "user;", "users"]))
            #expect(names(try await kv.list(KVListOptions(prefix: ""))).count == 7)
            let none = try await kv.list(KVListOptions(prefix: "zzz"))
            #expect(none == KVListResult(keys: [], listComplete: true))
        }
    }

    @Test(arguments: Backend.allCases)
    func listCompleteOnlyWhenNoLiveKeyRemains(backend: Backend) async throws {
        try await withNamespace(backend) { kv, clock in
            for key in ["a", "b", "c"] { try await kv.put(key, "v") }
            let exact = try await kv.list(KVListOptions(limit: 3))
            #expect(names(exact) == bytes(["a", "b", "c"]))
            #expect(exact.listComplete)
            #expect(exact.cursor == nil)

            let first = try await kv.list(KVListOptions(limit: 2))
            #expect(names(first) == bytes(["a", "b"]))
            #expect(!first.listComplete)
            #expect(first.cursor == KVValidation.encodeCursor("b"))
            #expect(first.cursor == "Yg==")
            let second = try await kv.list(KVListOptions(limit: 2, cursor: first.cursor))
            #expect(second == KVListResult(keys: [KVKey(name: "c")], listComplete: true))

            // Only expired keys after the page: the listing is complete.
            try await kv.put("d", "v", options: KVPutOptions(expirationTtl: 60))
            clock.advance(by: 60)
            let third = try await kv.list(KVListOptions(limit: 3))
            #expect(names(third) == bytes(["a", "b", "c"]))
            #expect(third.listComplete)
        }
    }

    @Test(arguments: Backend.allCases)
    func limitOfZeroOrLessMeansDefault(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            for index in 0..<3 { try await kv.put("k\(index)", "v") }
            #expect(try await kv.list(KVListOptions(limit: 0)).keys.count == 3)
            #expect(try await kv.list(KVListOptions(limit: -5)).keys.count == 3)
            #expect(try await kv.list(KVListOptions(limit: 1)).keys.count == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func pagingThrough2500Keys(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            var all = (0..<2500).map { String(format: "key-%05d", $0) }
            // Insert out of order.
            all.shuffle()
            for key in all { try await kv.put(key, key) }
            all.sort()

            var pages: [KVListResult] = []
            var cursor: String?
            repeat {
                let page = try await kv.list(KVListOptions(cursor: cursor))
                pages.append(page)
                cursor = page.cursor
            } while cursor != nil && pages.count < 10
            #expect(pages.map(\.keys.count) == [1000, 1000, 500])
            #expect(pages.map(\.listComplete) == [false, false, true])
            #expect(pages.map { $0.cursor == nil } == [false, false, true])
            #expect(pages.flatMap(\.keys).map(\.name) == all)

            // Small pages with a prefix: "key-010" has 100 keys.
            var seen: [String] = []
            cursor = nil
            var count = 0
            repeat {
                let page = try await kv.list(KVListOptions(prefix: "key-010", limit: 7, cursor: cursor))
                seen += page.keys.map(\.name)
                cursor = page.cursor
                count += 1
            } while cursor != nil && count < 100
            #expect(seen == all.filter { $0.hasPrefix("key-010") })
            #expect(count == 15)
        }
    }

    @Test(arguments: Backend.allCases)
    func keysAddedBetweenPagesAppear(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            for key in ["a", "c", "e"] { try await kv.put(key, "v") }
            let first = try await kv.list(KVListOptions(limit: 2))
            #expect(names(first) == bytes(["a", "c"]))
            try await kv.put("b", "v")
            try await kv.put("d", "v")
            try await kv.delete("c")
            let second = try await kv.list(KVListOptions(limit: 2, cursor: first.cursor))
            #expect(names(second) == bytes(["d", "e"]))
            #expect(second.listComplete)
        }
    }

    @Test(arguments: Backend.allCases)
    func cursorOutsideThePrefixRange(backend: Backend) async throws {
        try await withNamespace(backend) { kv, _ in
            for key in ["a1", "b1", "b2", "c1"] { try await kv.put(key, "v") }
            let before = try await kv.list(KVListOptions(prefix: "b", cursor: KVValidation.encodeCursor("a9")))
            #expect(names(before) == bytes(["b1", "b2"]))
            let after = try await kv.list(KVListOptions(prefix: "b", cursor: KVValidation.encodeCursor("b9")))
            #expect(after == KVListResult(keys: [], listComplete: true))
            let empty = try await kv.list(KVListOptions(cursor: ""))
            #expect(names(empty) == bytes(["a1", "b1", "b2", "c1"]))
        }
    }

    @Test(arguments: Backend.allCases)
    func listSkipsExpiredKeysAndReportsExpiration(backend: Backend) async throws {
        try await withNamespace(backend) { kv, clock in
            try await kv.put("a-short", "v", options: KVPutOptions(expirationTtl: 60))
            try await kv.put("b-long", "v", options: KVPutOptions(expiration: start + 600))
            try await kv.put("c-plain", "v")
            #expect(
                try await kv.list().keys == [
                    KVKey(name: "a-short", expiration: start + 60),
                    KVKey(name: "b-long", expiration: start + 600),
                    KVKey(name: "c-plain"),
                ]
            )
            clock.advance(by: 60)
            let result = try await kv.list()
            #expect(result.keys == [KVKey(name: "b-long", expiration: start + 600), KVKey(name: "c-plain")])
            #expect(result.listComplete)
        }
    }

    @Test(arguments: Backend.allCases)
    func pagingSkipsExpiredKeys(backend: Backend) async throws {
        try await withNamespace(backend) { kv, clock in
            for index in 0..<10 {
                let options = index.isMultiple(of: 2) ? KVPutOptions(expirationTtl: 60) : KVPutOptions()
                try await kv.put("k\(index)", "v", options: options)
            }
            clock.advance(by: 60)
            let first = try await kv.list(KVListOptions(limit: 2))
            #expect(names(first) == bytes(["k1", "k3"]))
            let second = try await kv.list(KVListOptions(limit: 2, cursor: first.cursor))
            #expect(names(second) == bytes(["k5", "k7"]))
            #expect(!second.listComplete)
            let third = try await kv.list(KVListOptions(limit: 2, cursor: second.cursor))
            #expect(names(third) == bytes(["k9"]))
            #expect(third.listComplete)
        }
    }
}

/// Calls that must fail with an exact message (platform.md 3.2), made at ``start``.
enum InvalidCall: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case getEmptyKey, putEmptyKey, deleteEmptyKey, getDot, putDot, deleteDotDot
    case get513, put513, delete513, getWithMetadata513
    case ttl30, ttl59, ttl0, ttlNegative
    case expirationPast, expirationNow, expiration59SecondsAhead
    case valueTooLong, cacheTtl10, cacheTtl29, listLimit1001, listPrefix513, listBadCursor

    var testDescription: String { self.rawValue }

    /// 513 UTF-8 bytes in 512 characters.
    private static let long = String(repeating: "k", count: 511) + "é"

    var expected: String {
        switch self {
        case .getEmptyKey, .putEmptyKey, .deleteEmptyKey: "Key name cannot be empty."
        case .getDot, .putDot: "\".\" is not allowed as a key name."
        case .deleteDotDot: "\"..\" is not allowed as a key name."
        case .get513, .getWithMetadata513: "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
        case .put513: "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
        case .delete513: "KV DELETE failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
        case .ttl30: "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
        case .ttl59: "KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60."
        case .ttl0: "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0."
        case .ttlNegative: "KV PUT failed: 400 Invalid expiration_ttl of -60. Please specify integer greater than 0."
        case .expirationPast:
            "KV PUT failed: 400 Invalid expiration of 1767225599. "
                + "Please specify integer greater than the current number of seconds since the UNIX epoch."
        case .expirationNow:
            "KV PUT failed: 400 Invalid expiration of 1767225600. "
                + "Please specify integer greater than the current number of seconds since the UNIX epoch."
        case .expiration59SecondsAhead:
            "KV PUT failed: 400 Invalid expiration of 1767225659. Expiration times must be at least 60 seconds in the future."
        case .valueTooLong: "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
        case .cacheTtl10: "KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."
        case .cacheTtl29: "KV GET failed: 400 Invalid cache_ttl of 29. Cache TTL must be at least 30."
        case .listLimit1001: "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000."
        case .listPrefix513: "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
        case .listBadCursor: "KV GET failed: 400 Invalid cursor."
        }
    }

    func run(on kv: any KVNamespace) async throws(KVError) {
        switch self {
        case .getEmptyKey: _ = try await kv.get("")
        case .putEmptyKey: try await kv.put("", "v")
        case .deleteEmptyKey: try await kv.delete("")
        case .getDot: _ = try await kv.getWithMetadata(".")
        case .putDot: try await kv.put(".", "v")
        case .deleteDotDot: try await kv.delete("..")
        case .get513: _ = try await kv.get(Self.long)
        case .getWithMetadata513: _ = try await kv.getWithMetadata(Self.long, cacheTtl: 10)
        case .put513: try await kv.put(Self.long, "v", options: KVPutOptions(expirationTtl: 30))
        case .delete513: try await kv.delete(Self.long)
        case .ttl30: try await kv.put("k", "v", options: KVPutOptions(expirationTtl: 30))
        case .ttl59: try await kv.put("k", "v", options: KVPutOptions(expirationTtl: 59))
        case .ttl0: try await kv.put("k", "v", options: KVPutOptions(expirationTtl: 0))
        case .ttlNegative: try await kv.put("k", "v", options: KVPutOptions(expirationTtl: -60))
        case .expirationPast: try await kv.put("k", "v", options: KVPutOptions(expiration: start - 1))
        case .expirationNow: try await kv.put("k", "v", options: KVPutOptions(expiration: start))
        case .expiration59SecondsAhead: try await kv.put("k", "v", options: KVPutOptions(expiration: start + 59))
        case .valueTooLong:
            try await kv.put("k", bytes: [UInt8](repeating: 0, count: KVValidation.maxValueBytes + 1), options: KVPutOptions())
        case .cacheTtl10: _ = try await kv.getWithMetadata("k", cacheTtl: 10)
        case .cacheTtl29: _ = try await kv.getWithMetadata("k", cacheTtl: 29)
        case .listLimit1001: _ = try await kv.list(KVListOptions(limit: 1001))
        case .listPrefix513: _ = try await kv.list(KVListOptions(prefix: Self.long))
        case .listBadCursor: _ = try await kv.list(KVListOptions(cursor: "not a cursor!"))
        }
    }
}
