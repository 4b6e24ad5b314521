import FlareletCore
import FlareletPostgres
import FlareletTesting
import Foundation
import Testing

/// The binding's local listener: a client that connects to `host:port` reaches the database.
struct HyperdriveForwarderTests {
    @Test func aClientConnectingToTheForwarderReachesTheDatabase() async throws {
        let server = try await Postgres.server()
        let database = try server.createDatabase()
        let forwarder = try HyperdriveForwarder(upstream: Postgres.configuration(server, database: database))
        defer { forwarder.close() }
        #expect(forwarder.host == "127.0.0.1")
        #expect(forwarder.port != server.port && forwarder.port > 0)
        var viaForwarder = Postgres.configuration(server, database: database, port: forwarder.port)
        viaForwarder.host = forwarder.host
        try await PostgresPool.withRunning(viaForwarder, logger: Postgres.logger) { pool in
            let row = try await pool.query(
                "SELECT current_database() AS db, inet_server_port() AS port, $1::text AS echo",
                [.text(String(repeating: "x", count: 200_000))]
            ).first
            #expect(row?["db"] == .text(database))
            #expect(row?["port"] == .integer(Int64(server.port)))
            #expect(row?["echo"] == .text(String(repeating: "x", count: 200_000)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<20 {
                    group.addTask {
                        let value = try await pool.query("SELECT $1::int AS n", [.integer(Int64(n))]).first?["n"]
                        #expect(value == .integer(Int64(n)))
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func closingTheForwarderEndsItsConnections() async throws {
        let server = try await Postgres.server()
        let database = try server.createDatabase()
        let forwarder = try HyperdriveForwarder(upstream: Postgres.configuration(server, database: database))
        var viaForwarder = Postgres.configuration(server, database: database, port: forwarder.port)
        viaForwarder.host = forwarder.host
        try await PostgresPool.withRunning(viaForwarder, logger: Postgres.logger) { pool in
            #expect(try await pool.query("SELECT 1 AS one").first?["one"] == .integer(1))
            forwarder.close()
            try await Task.sleep(for: .milliseconds(200))
            let error = await #expect(throws: PostgresDriverError.self) { try await pool.query("SELECT 1") }
            #expect(error?.kind == .connection)
        }
    }
}

/// Sends PostgreSQL's SSLRequest to `port` over a plain socket and returns the one-byte answer (`N` or `S`).
func sslRequestAnswer(port: Int) throws -> UInt8? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]
    guard send(fd, request, request.count, 0) == request.count else { return nil }
    var answer: UInt8 = 0
    guard recv(fd, &answer, 1, 0) == 1 else { return nil }
    return answer
}

struct HyperdriveForwarderRawTests {
    @Test func theForwarderRelaysRawBytes() async throws {
        let server = try await Postgres.server()
        #expect(try sslRequestAnswer(port: server.port) == UInt8(ascii: "N"))
        let forwarder = try HyperdriveForwarder(upstream: Postgres.configuration(server, database: "postgres"))
        defer { forwarder.close() }
        #expect(try sslRequestAnswer(port: forwarder.port) == UInt8(ascii: "N"))
    }
}
