import Flarelet
import FlareletTesting
import Foundation
import Testing
import VoiceModeWorker

struct RoutingTests {
    @Test(arguments: ["/telemetry", "/", "/anything/else?x=1", "/telemetry/"])
    func optionsOnAnyPathIsThePreflight(path: String) async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.harness.fetch("OPTIONS", path, headers: ["Origin": "https://example.com"])
            #expect(response.status == 204)
            #expect(response.body.isEmpty)
            #expect(response.headers == Headers(corsFields))
            #expect(response.headers["Content-Type"] == nil)
        }
    }

    @Test(arguments: [
        ("GET", "/telemetry"),
        ("PUT", "/telemetry"),
        ("DELETE", "/telemetry"),
        ("HEAD", "/telemetry"),
        ("PATCH", "/telemetry"),
        ("POST", "/telemetry/"),
        ("POST", "/telemetry?x=1"),
        ("POST", "/"),
        ("POST", "/telemetryx"),
        ("POST", "/TELEMETRY"),
    ])
    func everythingElseIsNotFound(method: String, path: String) async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.harness.fetch(
                method,
                path,
                headers: ["Content-Type": "application/json", "CF-Connecting-IP": "1.2.3.4"],
                body: payload(eventID: "routing").stringify()
            )
            #expect(response.status == 404)
            #expect(response.text == "Not Found")
            #expect(response.headers == notFoundHeaders)
            #expect(try await fixture.eventCount() == 0)
            #expect(try await fixture.kv.list().keys.isEmpty)
        }
    }

    @Test(arguments: ["/foo/telemetry", "/a/b/telemetry", "/x?next=/telemetry"])
    func anyURLEndingInTelemetryIsHandled(path: String) async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.post(payload(eventID: "suffix-1"), path: path)
            #expect(response.status == 200)
            #expect(response.text == acceptedBody("suffix-1"))
            #expect(try await fixture.eventCount(where: "event_id = ?", "suffix-1") == 1)
        }
    }

    @Test func suffixIsTestedOnTheFullURLIncludingHost() async throws {
        try await withVoiceMode { fixture async throws in
            let body = payload(eventID: "host-1").stringify()
            let handled = await fixture.harness.fetch(
                WorkerRequest(method: "POST", url: "https://voicemode-telemetry.example.workers.dev/telemetry", body: body)
            )
            #expect(handled.status == 200)
            let notFound = await fixture.harness.fetch(
                WorkerRequest(method: "POST", url: "http://127.0.0.1:8787/telemetry?source=cli", body: body)
            )
            #expect(notFound.status == 404)
        }
    }

    @Test func lowerCaseMethodsAreNormalised() async throws {
        try await withVoiceMode { fixture async throws in
            let options = await fixture.harness.fetch(WorkerRequest(method: "options", url: "http://localhost/x"))
            #expect(options.status == 204)
            let post = await fixture.harness.fetch(
                WorkerRequest(method: "post", url: "http://localhost/telemetry", body: payload(eventID: "lower").stringify())
            )
            #expect(post.status == 200)
        }
    }

    @Test func requestContentTypeIsNeverChecked() async throws {
        try await withVoiceMode { fixture async throws in
            let response = await fixture.harness.fetch(
                "POST",
                "/telemetry",
                headers: ["Content-Type": "text/plain", "CF-Connecting-IP": "1.2.3.4"],
                body: payload(eventID: "text-plain").stringify()
            )
            #expect(response.status == 200)
            #expect(response.text == acceptedBody("text-plain"))
        }
    }

    @Test func everyAnswerCarriesTheCORSHeaders() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            let ok = await fixture.post(payload(eventID: "cors-1", telemetryID: tid))
            #expect(ok.headers == jsonHeaders)
            let duplicate = await fixture.post(payload(eventID: "cors-1", telemetryID: tid))
            #expect(duplicate.headers == jsonHeaders)
            let invalid = await fixture.post(.object(["invalid": "data"]))
            #expect(invalid.headers == jsonHeaders)
            let broken = await fixture.post(body: "not json")
            #expect(broken.headers == jsonHeaders)
            try await fixture.kv.put("rate:id:\(tid)", "10", options: KVPutOptions(expirationTtl: 3600))
            let limited = await fixture.post(payload(eventID: "cors-2", telemetryID: tid))
            #expect(limited.headers == rateLimitHeaders)
        }
    }

    @Test func registryNameAndScheduledHandler() throws {
        var registry = WorkerRegistry()
        VoiceModeWorker.register(in: &registry)
        #expect(registry.entries.map(\.main) == ["voicemode"])
        let worker = try registry.worker(forMain: "voicemode")
        #expect(worker is VoiceModeWorker)
        #expect(worker.hasScheduledHandler)
    }

    @Test func wranglerTomlNamesTheWorkerAndBindings() throws {
        let text = try String(contentsOfFile: try TestFiles.path("wrangler.toml"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { String($0) }
        for expected in [
            #"name = "voicemode-telemetry""#, #"main = "voicemode""#, #"compatibility_date = "2024-12-01""#,
            "[[kv_namespaces]]", #"binding = "KV""#, "[[d1_databases]]", #"binding = "DB""#,
            #"database_name = "voicemode-telemetry""#, "[triggers]", #"crons = ["0 2 * * *"]"#, "[vars]",
        ] {
            #expect(lines.contains(expected), "wrangler.toml lacks the line \(expected)")
        }
    }
}
