import Flarelet
import FlareletTesting
import Foundation
import Testing
import VoiceModeWorker

/// The guarantees the port adds over upstream (see `VoiceModeWorker`): concurrent requests cannot overshoot a rate
/// limit, and concurrent first submissions of one `event_id` never answer 500.
struct ConcurrencyTests {
    /// Sends `count` requests at once and returns the answers.
    private func concurrently(
        _ count: Int,
        _ fixture: VoiceModeFixture,
        _ request: @escaping @Sendable (Int) -> (JSONValue, String)
    ) async -> [WorkerResponse] {
        await withTaskGroup(of: WorkerResponse.self) { group in
            for index in 0..<count {
                group.addTask {
                    let (body, ip) = request(index)
                    return await fixture.post(body, ip: ip)
                }
            }
            var responses: [WorkerResponse] = []
            for await response in group { responses.append(response) }
            return responses
        }
    }

    @Test func sixtyFourConcurrentRequestsForOneTelemetryIDAcceptExactlyTen() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            let responses = await self.concurrently(64, fixture) { index in
                (payload(eventID: "c\(index)", telemetryID: tid), "10.0.0.1")
            }
            #expect(responses.filter { $0.status == 200 }.count == 10)
            #expect(responses.filter { $0.status == 429 }.count == 54)
            #expect(responses.filter { $0.status == 429 }.allSatisfy { $0.text == idLimitBody && $0.headers == rateLimitHeaders })
            #expect(responses.filter { $0.status == 200 }.allSatisfy { bodyJSON($0)["status"] == "ok" && bodyJSON($0)["event_id"] != nil })
            #expect(try await fixture.eventCount(where: "telemetry_id = ?", .text(tid)) == 10)
            #expect(try await fixture.kvValue("rate:id:\(tid)") == "10")
            #expect(try await fixture.kvValue("rate:ip:" + VoiceModeWorker.ipHash("10.0.0.1")) == "10")
        }
    }

    @Test func concurrentRequestsFromOneIPAcceptExactlyAHundred() async throws {
        try await withVoiceMode { fixture async throws in
            let responses = await self.concurrently(130, fixture) { index in
                (payload(eventID: "ip\(index)", telemetryID: newTelemetryID()), "10.0.0.2")
            }
            #expect(responses.filter { $0.status == 200 }.count == 100)
            #expect(responses.filter { $0.status == 429 }.count == 30)
            #expect(responses.filter { $0.status == 429 }.allSatisfy { $0.text == ipLimitBody })
            #expect(try await fixture.eventCount() == 100)
            #expect(try await fixture.kvValue("rate:ip:" + VoiceModeWorker.ipHash("10.0.0.2")) == "100")
        }
    }

    @Test func sixteenConcurrentDuplicatesStoreOneRowAndAllAnswer200() async throws {
        try await withVoiceMode { fixture async throws in
            let tid = newTelemetryID()
            let responses = await self.concurrently(16, fixture) { _ in
                (payload(eventID: "dup-event", telemetryID: tid), "10.0.0.3")
            }
            #expect(responses.allSatisfy { $0.status == 200 && $0.headers == jsonHeaders })
            #expect(responses.filter { $0.text == acceptedBody("dup-event") }.count == 1)
            #expect(responses.filter { $0.text == alreadyRecordedBody }.count == 15)
            #expect(try await fixture.eventCount(where: "event_id = 'dup-event'") == 1)
            #expect(try await fixture.kvValue("rate:id:\(tid)") == "1")
        }
    }

    @Test func concurrentDuplicatesFromDifferentClientsStoreOneRow() async throws {
        try await withVoiceMode { fixture async throws in
            // Different telemetry ids and IPs: only the event_id key is shared.
            let responses = await self.concurrently(16, fixture) { index in
                (payload(eventID: "shared-event", telemetryID: newTelemetryID()), "10.1.0.\(index)")
            }
            #expect(responses.allSatisfy { $0.status == 200 })
            #expect(responses.filter { $0.text == alreadyRecordedBody }.count == 15)
            #expect(try await fixture.eventCount() == 1)
            let counters = try await fixture.kv.list(KVListOptions(prefix: "rate:id:")).keys
            #expect(counters.count == 1)
        }
    }

    @Test func manyIndependentClientsAreAllAccepted() async throws {
        try await withVoiceMode { fixture async throws in
            let responses = await self.concurrently(200, fixture) { index in
                (payload(eventID: "free\(index)", telemetryID: newTelemetryID()), "10.2.\(index / 50).\(index)")
            }
            #expect(responses.allSatisfy { $0.status == 200 })
            #expect(try await fixture.eventCount() == 200)
        }
    }
}
