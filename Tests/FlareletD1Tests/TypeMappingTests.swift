import FlareletCore
import FlareletD1
import FlareletJSON
import Foundation
import Testing

/// 1.3: binding Swift/JavaScript values and reading SQLite storage classes.
struct TypeMappingTests {
    @Test(arguments: [
        (D1Value.integer(42), "integer", D1Value.integer(42)),
        (.integer(Int64.max), "integer", .integer(Int64.max)),
        (.integer(Int64.min), "integer", .integer(Int64.min)),
        (.real(1.5), "real", .real(1.5)),
        (.real(42), "real", .real(42)),
        (.text("héllo 🌍"), "text", .text("héllo 🌍")),
        (.text(""), "text", .text("")),
        (.text("a\u{0}b"), "text", .text("a\u{0}b")),
        (.blob([1, 2, 3]), "blob", .blob([1, 2, 3])),
        (.blob([]), "blob", .blob([])),
        (.null, "null", .null),
        (true, "integer", .integer(1)),
        (false, "integer", .integer(0)),
    ])
    func bindAndReadBackThroughAnUntypedColumn(value: D1Value, storageClass: String, readBack: D1Value) async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (v)")
            try await database.run("INSERT INTO t VALUES (?)", value)
            let row = try #require(try await database.prepare("SELECT v, typeof(v) AS type FROM t").first())
            #expect(row["v"] == readBack)
            #expect(row["type"] == .text(storageClass))
        }
    }

    @Test func columnAffinityDecidesTheStoredClass() async throws {
        try await withDatabase { database in
            try await database.run("CREATE TABLE t (i INTEGER, r REAL, s TEXT)")
            try await database.run("INSERT INTO t VALUES (?, ?, ?)", .real(42), .integer(7), .real(42))
            let row = try #require(try await database.prepare("SELECT i, r, s FROM t").first())
            #expect(row.values == [.integer(42), .real(7), .text("42.0")])
        }
    }

    @Test func rowObjectRendersBlobsAsArraysOfNumbers() async throws {
        try await withDatabase { database in
            let row = try #require(
                try await database.prepare("SELECT x'010203' AS b, 5 AS i, 2.5 AS r, 'x' AS s, NULL AS n").first()
            )
            #expect(row.object["b"] == .array([.number(1), .number(2), .number(3)]))
            #expect(row.object["i"] == .integer(5))
            #expect(row.object["r"] == .number(2.5))
            #expect(row.object["s"] == .string("x"))
            #expect(row.object["n"] == .null)
        }
    }

    @Test func javaScriptValuesBindWithTheShimsRules() async throws {
        try await withDatabase { database in
            let statement = try database.prepare(
                "SELECT typeof(?1) AS t1, ?1 AS v1, typeof(?2) AS t2, ?2 AS v2, typeof(?3) AS t3, "
                    + "?3 AS v3, typeof(?4) AS t4, ?4 AS v4, typeof(?5) AS t5"
            )
            .bind(javaScript: [.number(42), .string("s"), .bool(true), .array([.number(1), .number(255)]), .null])
            let row = try #require(try await statement.first())
            #expect(row["t1"] == .text("real"))
            #expect(row["v1"] == .real(42))
            #expect(row["t2"] == .text("text"))
            #expect(row["t3"] == .text("integer"))
            #expect(row["v3"] == .integer(1))
            #expect(row["t4"] == .text("blob"))
            #expect(row["v4"] == .blob([1, 255]))
            #expect(row["t5"] == .text("null"))
        }
    }

    @Test(arguments: [
        (JSONValue?.none, "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'"),
        (.object(["a": 1]), "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"),
        (.array(["a", "b"]), "D1_TYPE_ERROR: Type 'object' not supported for value 'a,b'"),
        (.array([.bool(true)]), "D1_TYPE_ERROR: Type 'object' not supported for value 'true'"),
        (.array([1, 300]), "D1_TYPE_ERROR: Type 'object' not supported for value '1,300'"),
        (.array([1, .null]), "D1_TYPE_ERROR: Type 'object' not supported for value '1,'"),
        (.array([-1]), "D1_TYPE_ERROR: Type 'object' not supported for value '-1'"),
    ])
    func unsupportedJavaScriptValues(value: JSONValue?, message: String) async throws {
        try await withDatabase { database in
            do throws(D1Error) {
                _ = try database.prepare("SELECT ?").bind(javaScript: [value])
                Issue.record("expected a type error")
            } catch {
                #expect(error.description == message)
                #expect(error.kind == .type)
            }
        }
    }

    /// workerd accepts an array as a BLOB when every element is a number with `0 ≤ b < 256` (fractions included)
    /// and Miniflare stores `Uint8Array.from(array)`: the vectors are Node's answers
    /// (`scripts/generate-js-vectors.js`).
    @Test func arrayBindingFollowsWorkerd() async throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../FlareletJavaScriptTests/Vectors/d1-array-binding.json")
        let cases = try #require(try JSONValue.parse(Array(try Data(contentsOf: url))).arrayValue)
        #expect(cases.count >= 10)
        try await withDatabase { database in
            for item in cases {
                let text = try #require(item["value"]?.stringValue)
                let value = try JSONValue.parse(text)
                if let blob = item["blob"]?.arrayValue {
                    let expected = blob.map { UInt8($0.doubleValue ?? -1) }
                    let row = try await database.prepare("SELECT ? AS b").bind(javaScript: [value]).first()
                    #expect(row?["b"] == .blob(expected), "bind(\(text))")
                } else {
                    #expect(throws: D1Error.self, "bind(\(text))") { try database.prepare("SELECT ?").bind(javaScript: [value]) }
                    do throws(D1Error) {
                        _ = try database.prepare("SELECT ?").bind(javaScript: [value])
                    } catch {
                        #expect(error.description == item["error"]?.stringValue)
                    }
                }
            }
        }
    }
}
