import FlareletJSON
import Foundation

/// The JSON vectors written by `scripts/generate-js-vectors.js` (Node's own answers), read from `Vectors/`.
enum Vectors {
    static func load(_ name: String) throws -> JSONArray {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(name).json")
        let data = try Data(contentsOf: url)
        guard case .array(let cases) = try JSONValue.parse(Array(data)) else { throw VectorError("\(name).json is not an array") }
        return cases
    }
}

struct VectorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A number as the generator prints it (`String(x)`, with `-0` kept apart).
func numberText(_ value: Double) -> String {
    if value == 0 && value.sign == .minus { return "-0" }
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
    return JSONValue.number(value).stringify()
}
