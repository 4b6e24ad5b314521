// JSON benchmark: parse and stringify throughput of FlareletJSON (`JSONValue.parse`, `stringifiedBytes()`) against
// Foundation's JSONSerialization on the same documents, measured in the same run.
//
//     swift run -c release JSONBenchmark [seconds-per-measurement]
//
// Four documents: a Drift batch of 100 events (the largest request body of the seed workers), one VoiceMode event,
// a string-heavy document (non-ASCII text and escapes) and a number-heavy array. Each line prints MB/s of input
// (parse) or output (stringify) for both sides and the ratio FlareletJSON / Foundation.

import FlareletJSON
import Foundation

let secondsPerMeasurement = CommandLine.arguments.dropFirst().first.flatMap(Double.init) ?? 1.5

// MARK: Documents

func driftBatch() -> String {
    let types = ["pattern_signature", "scan_completion", "user_action", "aggregate_stats"]
    var events: [String] = []
    for index in 0..<100 {
        let type = types[index % types.count]
        var fields = [
            "\"type\":\"\(type)\"", "\"timestamp\":\"2026-11-22T17:27:20.272Z\"",
            "\"installationId\":\"6f1c2d3e-4b5a-4c6d-8e7f-\(String(format: "%012d", index % 5))\"", "\"driftVersion\":\"0.9.3\"",
        ]
        switch type {
        case "pattern_signature":
            fields += [
                "\"signatureHash\":\"\(String(format: "%016llx", UInt64(index) &* 0x9E37_79B9_7F4A_7C15))\"", "\"category\":\"api\"",
                "\"confidence\":0.87", "\"locationCount\":\(index % 40)", "\"outlierCount\":\(index % 3)", "\"detectionMethod\":\"ast\"",
                "\"language\":\"typescript\"",
            ]
        case "scan_completion":
            fields += [
                "\"durationMs\":\(1200 + index)", "\"filesScanned\":412", "\"newPatternsDiscovered\":3", "\"isIncremental\":true",
                "\"workerCount\":4",
            ]
        case "user_action":
            fields += [
                "\"action\":\"approve\"", "\"category\":\"auth\"", "\"confidenceAtAction\":0.91", "\"hoursSinceDiscovery\":26.5",
                "\"isBulkAction\":false",
            ]
        default:
            fields += [
                "\"totalPatterns\":128", "\"patternsByStatus\":{\"discovered\":100,\"approved\":20,\"ignored\":8}",
                "\"languages\":[\"typescript\",\"python\"]", "\"codebaseSizeTier\":\"medium\"",
            ]
        }
        events.append("{" + fields.joined(separator: ",") + "}")
    }
    return "{\"events\":[" + events.joined(separator: ",") + "]}"
}

let voiceModeEvent = """
    {"event_id":"3f8a1c2e-5b7d-4e9f-a1c3-5e7f9b1d3f5a","telemetry_id":"9b2d4f6a-8c1e-4a3b-9d5f-7e1a3c5b7d9f",\
    "timestamp":"2026-11-22T17:27:20.272Z","environment":{"os":"Darwin","version":"2.17.0","installation_method":"uv",\
    "mcp_host":"claude-code","execution_source":"mcp"},"usage":{"total_sessions":12,"duration_distribution":\
    {"0-1min":3,"1-5min":6,"5-10min":2,"10min+":1},"transport_usage":{"local":10,"livekit":2},"provider_usage":\
    {"tts":{"openai":8,"kokoro":4},"stt":{"whisper":12}}}}
    """

func stringHeavy() -> String {
    var items: [String] = []
    for index in 0..<200 {
        items.append(
            "{\"id\":\(index),\"title\":\"Ünïcödé tëxt №\(index) — “quoted” \\\"escaped\\\" \\n line \\t tab\","
                + "\"emoji\":\"😀🎉 \\ud83d\\ude80\",\"path\":\"C:\\\\Users\\\\file\\u0041.txt\",\"plain\":\"\(String(repeating: "abcdefgh", count: 4))\"}"
        )
    }
    return "[" + items.joined(separator: ",") + "]"
}

func numberHeavy() -> String {
    var numbers: [String] = []
    for index in 0..<2000 {
        switch index % 4 {
        case 0: numbers.append(String(index * 7919))
        case 1: numbers.append("\(Double(index) / 7.0)")
        case 2: numbers.append("-\(index).5e-3")
        default: numbers.append("1.7976931348623157e\(index % 300)")
        }
    }
    return "[" + numbers.joined(separator: ",") + "]"
}

let documents: [(name: String, text: String)] = [
    ("drift batch (100 events)", driftBatch()),
    ("voicemode event", voiceModeEvent),
    ("string-heavy", stringHeavy()),
    ("number-heavy", numberHeavy()),
]

// MARK: Measuring

/// Runs `body` repeatedly for about `seconds` and returns the bytes processed per second (MB/s, 10^6).
func throughput(bytesPerRun: Int, seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    // Warm up, then calibrate the batch size so the clock is read rarely.
    try body()
    var runs = 0
    var batch = 1
    let clock = ContinuousClock()
    let start = clock.now
    var elapsed = 0.0
    while elapsed < seconds {
        for _ in 0..<batch { try body() }
        runs += batch
        let duration = clock.now - start
        elapsed = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        if elapsed < seconds / 20 { batch *= 2 }
    }
    return Double(bytesPerRun) * Double(runs) / elapsed / 1e6
}

func format(_ value: Double) -> String { String(format: "%8.1f", value) }

print("JSONBenchmark: \(secondsPerMeasurement) s per measurement; MB/s (10^6 bytes) of JSON text")
print("document                    operation    FlareletJSON   Foundation   ratio")
var parseRatios: [Double] = []
var stringifyRatios: [Double] = []
for document in documents {
    let bytes = Array(document.text.utf8)
    let data = Data(bytes)
    let value = try JSONValue.parse(bytes)
    let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    let output = value.stringifiedBytes()

    var sink = 0
    let ours = try throughput(bytesPerRun: bytes.count, seconds: secondsPerMeasurement) {
        let parsed = try JSONValue.parse(bytes)
        if case .null = parsed { sink += 1 }
    }
    let theirs = try throughput(bytesPerRun: bytes.count, seconds: secondsPerMeasurement) {
        let parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        if parsed is NSNull { sink += 1 }
    }
    parseRatios.append(ours / theirs)
    print(
        "\(document.name.padding(toLength: 28, withPad: " ", startingAt: 0))parse      \(format(ours))     \(format(theirs))   \(String(format: "%5.2f", ours / theirs))"
    )

    let oursOut = throughput(bytesPerRun: output.count, seconds: secondsPerMeasurement) {
        sink &+= value.stringifiedBytes().count
    }
    let theirsOut = try throughput(bytesPerRun: output.count, seconds: secondsPerMeasurement) {
        sink &+= try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]).count
    }
    stringifyRatios.append(oursOut / theirsOut)
    print(
        "\(document.name.padding(toLength: 28, withPad: " ", startingAt: 0))stringify  \(format(oursOut))     \(format(theirsOut))   \(String(format: "%5.2f", oursOut / theirsOut))"
    )
    if sink == 42 { print("") }
}

func geometricMean(_ values: [Double]) -> Double { exp(values.map { log($0) }.reduce(0, +) / Double(values.count)) }
print(String(format: "geometric mean ratio: parse %.2f, stringify %.2f", geometricMean(parseRatios), geometricMean(stringifyRatios)))
