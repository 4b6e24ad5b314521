import FlareletCore
import FlareletJSON
import FlareletPostgres
import FlareletTesting
import Foundation
import Testing

/// The pooled client against a real PostgreSQL: values both ways, PostgreSQL's own errors, transactions.
struct PostgresPoolTests {
    @Test func valuesRoundTripWithTheServerInferringUntypedText() async throws {
        try await Postgres.withPool { pool, _, _ in
            let result = try await pool.query(
                """
                SELECT $1::boolean AS flag, $2::bigint AS big, $3::double precision AS real, $4 AS plain, \
                $5::uuid AS id, $6::timestamptz AS at, $7::bytea AS raw, NULL::text AS nothing, 1.50::numeric(10,2) AS money, \
                '{"b":1,"a":[true,null]}'::jsonb AS doc, DATE '2024-02-29' AS day, 7::smallint AS small, 8::integer AS int
                """,
                [
                    .bool(true), .integer(-9_007_199_254_740_993), .double(0.1), .text("héllo"),
                    .text("0B3F5A8E-2C1D-4E6F-9A7B-1C2D3E4F5A6B"), .timestamp(microseconds: 1_735_689_600_123_456), .bytes([0, 255, 7]),
                ]
            )
            #expect(result.columns == ["flag", "big", "real", "plain", "id", "at", "raw", "nothing", "money", "doc", "day", "small", "int"])
            let row = try #require(result.first)
            #expect(row["flag"] == .bool(true))
            #expect(row["big"] == .integer(-9_007_199_254_740_993))
            #expect(row["real"] == .double(0.1))
            #expect(row["plain"] == .text("héllo"))
            #expect(row["id"] == .text("0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b"))
            #expect(row["at"] == .timestamp(microseconds: 1_735_689_600_123_456))
            #expect(row["raw"] == .bytes([0, 255, 7]))
            #expect(row["nothing"] == .null)
            #expect(row["money"] == .text("1.50"))
            #expect(row["doc"] == .text(#"{"a": [true, null], "b": 1}"#))
            #expect(row["day"] == .text("2024-02-29"))
            #expect(row["small"] == .integer(7))
            #expect(row["int"] == .integer(8))
            #expect(row["at"]?.json == .string("2025-01-01T00:00:00.123456Z"))
        }
    }

    @Test(arguments: [
        ("0", "0"), ("-12.345", "-12.345"), ("10000", "10000"), ("0.0001", "0.0001"), ("123456789.000012", "123456789.000012"),
        ("-0.5", "-0.5"), ("'NaN'", "NaN"), ("1e-10", "0.0000000001"), ("99999999999999999999", "99999999999999999999"),
    ])
    func numericReadsAsPostgreSQLPrintsIt(literal: String, text: String) async throws {
        try await Postgres.withPool { pool, _, _ in
            let row = try await pool.query("SELECT \(literal)::numeric AS n, (\(literal)::numeric)::text AS t").first
            #expect(row?["n"] == .text(text))
            #expect(row?["t"] == .text(text))
        }
    }

    @Test func serverErrorsCarryPostgreSQLsMessageCodeAndConstraint() async throws {
        try await Postgres.withPool { pool, _, _ in
            _ = try await pool.query("CREATE TABLE items (id uuid UNIQUE NOT NULL, name varchar(5))")
            _ = try await pool.query("INSERT INTO items VALUES ($1, $2)", [.text("0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b"), .text("ok")])
            let duplicate = await #expect(throws: PostgresDriverError.self) {
                try await pool.query("INSERT INTO items VALUES ($1, $2)", [.text("0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b"), .text("ok")])
            }
            #expect(duplicate?.kind == .server)
            #expect(duplicate?.message == #"duplicate key value violates unique constraint "items_id_key""#)
            #expect(duplicate?.sqlState == "23505")
            #expect(duplicate?.constraint == "items_id_key")
            #expect(duplicate?.detail == "Key (id)=(0b3f5a8e-2c1d-4e6f-9a7b-1c2d3e4f5a6b) already exists.")

            let tooLong = await #expect(throws: PostgresDriverError.self) {
                try await pool.query("INSERT INTO items VALUES (gen_random_uuid(), $1)", [.text("123456")])
            }
            #expect(tooLong?.message == "value too long for type character varying(5)")
            #expect(tooLong?.sqlState == "22001")

            let nul = await #expect(throws: PostgresDriverError.self) {
                try await pool.query("INSERT INTO items VALUES (gen_random_uuid(), $1)", [.text("a\u{0}b")])
            }
            #expect(nul?.message == #"invalid byte sequence for encoding "UTF8": 0x00"#)
            #expect(nul?.sqlState == "22021")

            let badUUID = await #expect(throws: PostgresDriverError.self) {
                try await pool.query("SELECT * FROM items WHERE id = $1", [.text("nope")])
            }
            #expect(badUUID?.message == #"invalid input syntax for type uuid: "nope""#)

            let syntax = await #expect(throws: PostgresDriverError.self) { try await pool.query("SELEC 1") }
            #expect(syntax?.message == #"syntax error at or near "SELEC""#)
            #expect(syntax?.sqlState == "42601")
            #expect(syntax?.description == #"syntax error at or near "SELEC" (SQLSTATE 42601)"#)

            // The pool is still usable after every failure.
            #expect(try await pool.query("SELECT count(*) AS n FROM items").first?["n"] == .integer(1))
        }
    }

    @Test func unreadableColumnTypesAskForACast() async throws {
        try await Postgres.withPool { pool, _, _ in
            let error = await #expect(throws: PostgresDriverError.self) { try await pool.query("SELECT point(1, 2) AS p") }
            #expect(error?.kind == .decoding)
            #expect(error?.message == #"column "p" has type point, which Flarelet does not read; cast it in SQL (for example p::text)"#)
            let cast = try await pool.query("SELECT point(1, 2)::text AS p").first
            #expect(cast?["p"] == .text("(1,2)"))
        }
    }

    @Test func transactionsCommitOrRollBack() async throws {
        try await Postgres.withPool { pool, _, _ in
            _ = try await pool.query("CREATE TABLE t (n integer)")
            let value = try await pool.withTransaction { transaction in
                _ = try await transaction.query("INSERT INTO t VALUES (1)")
                return try await transaction.query("SELECT count(*) AS n FROM t").first?["n"]
            }
            #expect(value == .integer(1))
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await pool.withTransaction { transaction in
                    _ = try await transaction.query("INSERT INTO t VALUES (2)")
                    throw Abort()
                }
            }
            let failing = await #expect(throws: PostgresDriverError.self) {
                try await pool.withTransaction { transaction in
                    _ = try await transaction.query("INSERT INTO t VALUES (3)")
                    _ = try await transaction.query("INSERT INTO t VALUES ('x')")
                }
            }
            #expect(failing?.message == #"invalid input syntax for type integer: "x""#)
            #expect(try await pool.query("SELECT array_agg(n ORDER BY n)::text AS ns FROM t").first?["ns"] == .text("{1}"))
        }
    }

    @Test func concurrentQueriesShareThePool() async throws {
        try await Postgres.withPool { pool, _, _ in
            _ = try await pool.query("CREATE TABLE c (n integer)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<50 {
                    group.addTask { _ = try await pool.query("INSERT INTO c VALUES ($1)", [.integer(Int64(n))]) }
                }
                try await group.waitForAll()
            }
            #expect(try await pool.query("SELECT count(*) AS n, sum(n) AS s FROM c").first?["s"] == .integer(1225))
        }
    }
}
