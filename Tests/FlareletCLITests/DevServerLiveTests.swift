import FlareletCore
import FlareletJSON
import FlareletKV
import FlareletTesting
import Foundation
import Testing

/// Tests that start the real `flarelet` binary and talk to it over a real socket.
struct DevServerLiveTests {
    @Test func counterExampleAnswersAndPersistsAcrossRestart() async throws {
        let state = try TemporaryDirectory()
        let config = repoRoot.appendingPathComponent("examples/counter/wrangler.toml").path
        var server = try LiveServer(["-c", config, "--port", "0", "--persist-to", state.path, "--no-crons"])
        #expect(server.stdout.contains("env.DB (D1 counter-db): \(state.path)/d1/counter-db.sqlite"))
        let first = try await httpRequest("GET", server.url + "/hello")
        #expect(first.status == 200)
        #expect(first.headers["content-type"] == "application/json")
        #expect(first.body == #"{"path":"/hello","hits":1,"lastVisitor":null}"#)
        let second = try await httpRequest("GET", server.url + "/hello")
        #expect(second.body == #"{"path":"/hello","hits":2,"lastVisitor":"127.0.0.1"}"#)
        #expect(server.stop() == 0)
        #expect(FileManager.default.fileExists(atPath: state.path + "/d1/counter-db.sqlite"))
        #expect(FileManager.default.fileExists(atPath: state.path + "/kv/KV"))

        server = try LiveServer(["-c", config, "--port", "0", "--persist-to", state.path, "--no-crons"])
        let third = try await httpRequest("GET", server.url + "/hello", headers: ["CF-Connecting-IP": "203.0.113.5"])
        #expect(third.body == #"{"path":"/hello","hits":3,"lastVisitor":"127.0.0.1"}"#)
        let fourth = try await httpRequest("GET", server.url + "/hello")
        #expect(fourth.body == #"{"path":"/hello","hits":4,"lastVisitor":"203.0.113.5"}"#)
        let cf = try await httpRequest("GET", server.url + "/__cf", headers: ["Accept-Encoding": "gzip, deflate"])
        let object = try JSONValue.parse(cf.body)
        #expect(object["colo"] == .string("DFW"))
        #expect(object["country"] == .string("US"))
        #expect(object["asn"] == .number(395_747))
        #expect(object["httpProtocol"] == .string("HTTP/1.1"))
        #expect(object["clientAcceptEncoding"] == .string("gzip, deflate"))
        #expect(server.stop(signal: SIGINT) == 0)
    }

    @Test func severalConfigsInOneProcess() async throws {
        let state = try TemporaryDirectory()
        try await applySchema(repoRoot.appendingPathComponent("schema.sql").path, toDatabaseAt: state.path + "/d1/voicemode-telemetry.sqlite")
        let server = try LiveServer(
            [
                "-c", repoRoot.appendingPathComponent("examples/counter/wrangler.toml").path,
                "-c", repoRoot.appendingPathComponent("wrangler.toml").path,
                "--port", "0", "--persist-to", state.path, "--no-crons",
            ],
            readyCount: 2
        )
        defer { server.stop() }
        #expect(server.urls.count == 2)
        #expect(server.urls[0] != server.urls[1])
        // Ready lines come in the order the servers bound; tell the workers apart by what they answer.
        let first = try await httpRequest("GET", server.urls[0] + "/x")
        let (counterURL, voiceModeURL) = first.status == 200 ? (server.urls[0], server.urls[1]) : (server.urls[1], server.urls[0])
        let counter = try await httpRequest("GET", counterURL + "/y")
        #expect(counter.body.hasPrefix(#"{"path":"/y","hits":1,"lastVisitor":"#))
        let voicemode = try await httpRequest("OPTIONS", voiceModeURL + "/telemetry")
        #expect(voicemode.status == 204)
        #expect(voicemode.headers["access-control-max-age"] == "86400")
        #expect(server.stdout.contains("⏰ voicemode-telemetry: cron \"0 2 * * *\" automatic runs off (--no-crons)"))
    }

    @Test func manualScheduledEndpoints() async throws {
        let state = try TemporaryDirectory()
        let config = repoRoot.appendingPathComponent("examples/counter/wrangler.toml").path
        let server = try LiveServer(["-c", config, "--port", "0", "--persist-to", state.path, "--no-crons", "--test-scheduled"])
        defer { server.stop() }
        let text = try await httpRequest("GET", server.url + "/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*&time=1767225600000")
        #expect(text.status == 200)
        #expect(text.body == "ok")
        #expect(text.headers["content-type"] == "text/plain;charset=UTF-8")
        let json = try await httpRequest("POST", server.url + "/cdn-cgi/handler/scheduled?format=json")
        #expect(json.status == 200)
        #expect(json.body == #"{"outcome":"ok","noRetry":false}"#)
        #expect(json.headers["content-type"] == "application/json")
        let unknown = try await httpRequest("GET", server.url + "/cdn-cgi/handler/x")
        #expect(unknown.status == 404)
        #expect(
            unknown.body
                == #""/cdn-cgi/handler/x" is not a valid handler. Did you mean to use "/cdn-cgi/handler/scheduled" or "/cdn-cgi/handler/email"?"#
        )
        let badOrigin = try await httpRequest("GET", server.url + "/cdn-cgi/handler/scheduled", headers: ["Origin": "http://evil.example"])
        #expect(badOrigin.status == 403)
        #expect(badOrigin.body == "Invalid Origin header")
        let testScheduled = try await httpRequest("GET", server.url + "/__scheduled?cron=*+*+*+*+*")
        #expect(testScheduled.status == 200)
        #expect(testScheduled.body == "Ran scheduled event")
        #expect(server.stderr.contains("[cron] counter \"*/5 * * * *\" at 2026-01-01T00:00:00.000Z: ok"))
        #expect(server.stderr.contains("[cron] counter \"* * * * *\""))
    }

    @Test func busyExplicitPortIsOneLineError() async throws {
        let state = try TemporaryDirectory()
        let config = repoRoot.appendingPathComponent("examples/counter/wrangler.toml").path
        let server = try LiveServer(["-c", config, "--port", "0", "--persist-to", state.path, "--no-crons"])
        defer { server.stop() }
        let port = try #require(server.url.split(separator: ":").last.map(String.init))
        let second = try runFlarelet(["dev", "-c", config, "--port", port, "--persist-to", state.path, "--no-crons"], timeout: 30)
        #expect(second.status == 1)
        let errorLines = second.stderr.split(separator: "\n").filter { $0.contains("ERROR") }
        #expect(errorLines.count == 1)
        #expect(second.stderr.contains("127.0.0.1:\(port)"))
        #expect(second.stderr.contains("address already in use"))
    }

    @Test func unknownMainListsRegisteredWorkers() throws {
        let directory = try TemporaryDirectory()
        let config = directory.url.appendingPathComponent("wrangler.toml")
        try "name = \"x\"\nmain = \"nope\"\n".write(to: config, atomically: true, encoding: .utf8)
        let result = try runFlarelet(["dev", "-c", config.path, "--port", "0"], timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("no Swift worker is registered for main = \"nope\""))
        // File, line and column of the `main` value.
        #expect(result.stderr.contains("\(config.path):2:8: no Swift worker is registered"))
        #expect(result.stderr.contains("\"counter\""))
        #expect(result.stderr.contains("\"voicemode\""))
    }

    @Test func invalidCronFailsAtStartWithFileAndLine() throws {
        let directory = try TemporaryDirectory()
        let config = directory.url.appendingPathComponent("wrangler.toml")
        try "name = \"x\"\nmain = \"counter\"\n\n[triggers]\ncrons = [\"0 0 * * 0\"]\n".write(to: config, atomically: true, encoding: .utf8)
        let result = try runFlarelet(["dev", "-c", config.path, "--port", "0"], timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("wrangler.toml:5"))
        #expect(result.stderr.contains("1 = Sunday"))
    }

    /// Crons fire on their real schedule: with `* * * * *` the handler runs within 61 s of start, with the
    /// scheduled minute as `scheduledTime`.
    @Test(.timeLimit(.minutes(2))) func everyMinuteCronFiresWithoutARequest() async throws {
        let state = try TemporaryDirectory()
        let directory = try TemporaryDirectory()
        let config = directory.url.appendingPathComponent("wrangler.toml")
        try """
        name = "minutely"
        main = "counter"

        [[d1_databases]]
        binding = "DB"
        database_name = "db"
        database_id = "x"

        [[kv_namespaces]]
        binding = "KV"
        id = "x"

        [triggers]
        crons = ["* * * * *"]
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try LiveServer(["-c", config.path, "--port", "0", "--persist-to", state.path])
        let started = Date()
        var fired = false
        while Date().timeIntervalSince(started) < 62 {
            if server.stderr.contains("[cron] minutely \"* * * * *\" at ") {
                fired = true
                break
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        #expect(server.stop() == 0)
        #expect(fired, "no cron run within 62 s; stderr: \(server.stderr)")
        let kv = try LMDBKVNamespace(directory: state.path + "/kv/KV")
        defer { kv.close() }
        let lastRun = try #require(try await kv.get("cron:last-run"))
        #expect(lastRun.hasSuffix(":00.000Z"))
        #expect(server.stdout.contains("⏰ minutely: cron \"* * * * *\" next run"))
    }
}
