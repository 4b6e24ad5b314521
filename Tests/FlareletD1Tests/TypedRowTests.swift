import FlareletCore
import FlareletD1
import Foundation
import Testing

/// Rows decoded into `Decodable` types and read with typed accessors, on real SQLite results.
struct TypedRowTests {
    struct Hit: Decodable, Equatable {
        var path: String
        var hits: Int
        var ratio: Double
        var seen: Bool
        var note: String?
        var data: [UInt8]
    }

    struct Event: Decodable, Equatable {
        enum Kind: String, Decodable { case open, close }
        var eventID: String
        var createdAt: Int64
        var kind: Kind
        var lastVisitor: String?
    }

    static func withHits<T>(_ body: (SQLiteD1Database) async throws -> T) async throws -> T {
        try await withDatabase { database async throws in
            _ = try await database.exec(
                "CREATE TABLE hits (path TEXT, hits INTEGER, ratio REAL, seen INTEGER, note TEXT, data BLOB)"
            )
            _ = try await database.prepare("INSERT INTO hits VALUES ('/a', 3, 0.5, 1, NULL, x'0102'), ('/b', 1, 2, 0, 'x', x'')")
                .run()
            return try await body(database)
        }
    }

    @Test func allAndFirstDecodeRowsIntoStructs() async throws {
        try await Self.withHits { database async throws in
            let rows = try await database.prepare("SELECT * FROM hits ORDER BY path").all(as: Hit.self)
            #expect(
                rows == [
                    Hit(path: "/a", hits: 3, ratio: 0.5, seen: true, note: nil, data: [1, 2]),
                    Hit(path: "/b", hits: 1, ratio: 2, seen: false, note: "x", data: []),
                ]
            )
            let first = try await database.prepare("SELECT * FROM hits WHERE path = ?").bind("/b").first(as: Hit.self)
            #expect(first?.note == "x")
            #expect(try await database.prepare("SELECT * FROM hits WHERE path = 'none'").first(as: Hit.self) == nil)
        }
    }

    @Test func aOneColumnRowDecodesIntoOneValue() async throws {
        try await Self.withHits { database async throws in
            #expect(try await database.prepare("SELECT COUNT(*) AS n FROM hits").first(as: Int.self) == 2)
            #expect(try await database.prepare("SELECT path FROM hits ORDER BY path").all(as: String.self) == ["/a", "/b"])
            #expect(try await database.prepare("SELECT note FROM hits ORDER BY path").all(as: String?.self) == [nil, "x"])
        }
    }

    @Test func snakeCaseColumnsMapToCamelCaseProperties() async throws {
        try await withDatabase { database async throws in
            let sql = "SELECT 'e1' AS event_id, 1767225600000 AS created_at, 'open' AS kind, NULL AS last_visitor"
            let event = try await database.prepare(sql).first(as: Event.self, keyDecoding: .convertFromSnakeCase)
            #expect(event == Event(eventID: "e1", createdAt: 1_767_225_600_000, kind: .open, lastVisitor: nil))
            // Without the strategy the columns are not found, and the error says which one and what there is.
            let error = await #expect(throws: D1DecodingError.self) { try await database.prepare(sql).first(as: Event.self) }
            #expect(
                error?.description
                    == #"column "eventID": expected Event.eventID (String), found no such column (columns: event_id, created_at, kind, last_visitor)"#
            )
        }
    }

    @Test(arguments: [
        (
            "SELECT 7 AS path, 3 AS hits, 0.5 AS ratio, 1 AS seen, NULL AS note, x'' AS data",
            #"column "path": expected Hit.path (String), found INTEGER 7"#
        ),
        (
            "SELECT '/a' AS path, 'three' AS hits, 0.5 AS ratio, 1 AS seen, NULL AS note, x'' AS data",
            #"column "hits": expected Hit.hits (Int), found TEXT "three""#
        ),
        (
            "SELECT '/a' AS path, 3.5 AS hits, 0.5 AS ratio, 1 AS seen, NULL AS note, x'' AS data",
            #"column "hits": expected Hit.hits (Int), found REAL 3.5"#
        ),
        (
            "SELECT '/a' AS path, NULL AS hits, 0.5 AS ratio, 1 AS seen, NULL AS note, x'' AS data",
            #"column "hits": expected Hit.hits (Int), found NULL"#
        ),
        (
            "SELECT '/a' AS path, 3 AS hits, 0.5 AS ratio, 2 AS seen, NULL AS note, x'' AS data",
            #"column "seen": expected Hit.seen (Bool), found INTEGER 2"#
        ),
        (
            "SELECT '/a' AS path, 3 AS hits, 0.5 AS ratio, 1 AS seen, 5 AS note, x'' AS data",
            #"column "note": expected Hit.note (String), found INTEGER 5"#
        ),
        (
            "SELECT '/a' AS path, 3 AS hits, 0.5 AS ratio, 1 AS seen, NULL AS note, 'ab' AS data",
            #"column "data": expected Hit.data (Array<UInt8>), found TEXT "ab""#
        ),
        (
            "SELECT '/a' AS path, 3 AS hits, 0.5 AS ratio, 1 AS seen",
            #"column "data": expected Hit.data (Array<UInt8>), found no such column (columns: path, hits, ratio, seen)"#
        ),
    ])
    func mismatchesNameTheColumnThePropertyAndWhatWasThere(sql: String, message: String) async throws {
        try await withDatabase { database async throws in
            let error = await #expect(throws: D1DecodingError.self) { try await database.prepare(sql).first(as: Hit.self) }
            #expect(error?.description == message)
        }
    }

    @Test func typedAccessorsReadOneColumn() async throws {
        try await Self.withHits { database async throws in
            let row = try #require(try await database.prepare("SELECT * FROM hits ORDER BY path").first())
            #expect(try row.string("path") == "/a")
            #expect(try row.int("hits") == 3)
            #expect(try row.int64("hits") == 3)
            #expect(try row.double("hits") == 3)
            #expect(try row.double("ratio") == 0.5)
            #expect(try row.bool("seen"))
            #expect(try row.bytes("data") == [1, 2])
            #expect(try row.isNull("note"))
            #expect(try row.value("note", as: String?.self) == nil)
            #expect(throws: D1DecodingError(column: "hits", expected: "String", found: "INTEGER 3")) { try row.string("hits") }
            #expect(throws: D1DecodingError(column: "ratio", expected: "Int", found: "REAL 0.5")) { try row.int("ratio") }
            #expect(
                throws: D1DecodingError(column: "nope", expected: "Int", found: "no such column (columns: path, hits, ratio, seen, note, data)")
            ) { try row.int("nope") }
        }
    }

    @Test func integralRealsReadAsIntegersAndDatesAreRefused() async throws {
        try await withDatabase { database async throws in
            let row = try #require(try await database.prepare("SELECT 2.0 AS n, 1e300 AS big, 'x' AS t").first())
            #expect(try row.int("n") == 2)
            #expect(throws: D1DecodingError(column: "big", expected: "Int", found: "REAL 1e+300")) { try row.int("big") }
            struct Stamped: Decodable { var t: Date }
            let error = await #expect(throws: D1DecodingError.self) { try await database.prepare("SELECT 'x' AS t").first(as: Stamped.self) }
            #expect(error?.description.contains("D1 has no date type") == true)
        }
    }
}
