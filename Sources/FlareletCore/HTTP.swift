public import FlareletJSON
public import FlareletJavaScript
import Foundation

/// HTTP header fields: ordered, case-insensitive names, repeated names allowed (like the Fetch `Headers` class,
/// but keeping each field separately).
public struct Headers: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The first value of `name` (case-insensitive), or `nil`. Assigning replaces every field of that name.
    public subscript(name: String) -> String? {
        get {
            self.fields.first { Self.sameName($0.name, name) }?.value
        }
        set {
            if let index = self.fields.firstIndex(where: { Self.sameName($0.name, name) }) {
                self.fields.removeAll { Self.sameName($0.name, name) }
                if let newValue { self.fields.insert((name, newValue), at: Swift.min(index, self.fields.count)) }
            } else if let newValue {
                self.fields.append((name, newValue))
            }
        }
    }

    /// Fetch's `headers.get(name)`: every value of `name` (case-insensitive) joined with `", "`, or `nil` when
    /// there is none. Values hold one character per byte received (Latin-1), as the Fetch API decodes them.
    public func get(_ name: String) -> String? {
        let values = self.values(name)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        self.fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Whether two field names are equal ignoring ASCII case (header names are ASCII tokens), without allocating.
    static func sameName(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case (let x?, let y?):
                if x == y { continue }
                let lowerX = x >= 65 && x <= 90 ? x | 0x20 : x
                let lowerY = y >= 65 && y <= 90 ? y | 0x20 : y
                if lowerX != lowerY { return false }
            default: return false
            }
        }
    }

    /// Adds a field without removing existing ones.
    public mutating func append(_ name: String, _ value: String) {
        self.fields.append((name, value))
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> some IteratorProtocol<(name: String, value: String)> {
        self.fields.makeIterator()
    }

    public static func == (lhs: Headers, rhs: Headers) -> Bool {
        lhs.fields.map { "\($0.name.lowercased()):\($0.value)" } == rhs.fields.map { "\($0.name.lowercased()):\($0.value)" }
    }
    public func hash(into hasher: inout Hasher) {
        for field in self.fields {
            hasher.combine(field.name.lowercased())
            hasher.combine(field.value)
        }
    }
}

/// The request a worker's `fetch` handler receives.
public struct WorkerRequest: Sendable {
    /// Upper-case method, e.g. `POST`.
    public var method: String
    /// The full URL string as JavaScript's `request.url` gives it, e.g. `http://127.0.0.1:8787/telemetry?x=1`.
    public var url: String {
        didSet { self.urlParts = URLParts(self.url) }
    }
    /// `url` split once, when it is set.
    private var urlParts: URLParts
    public var headers: Headers
    public var body: [UInt8]
    /// `request.cf`: set by the dev server to Miniflare's offline placeholder (``RequestCF/placeholder(clientAcceptEncoding:httpProtocol:)``);
    /// `nil` when a test builds the request itself.
    public var cf: JSONObject? {
        get {
            switch self.cfSource {
            case .none: nil
            case .object(let object): object
            case .placeholder(let clientAcceptEncoding, let httpProtocol):
                RequestCF.placeholder(clientAcceptEncoding: clientAcceptEncoding, httpProtocol: httpProtocol)
            }
        }
        set { self.cfSource = newValue.map(CFSource.object) ?? .none }
    }

    /// Where `cf` comes from: the placeholder is built only when a worker reads it.
    private enum CFSource: Sendable {
        case none
        case object(JSONObject)
        case placeholder(clientAcceptEncoding: String?, httpProtocol: String)
    }
    private var cfSource = CFSource.none

    public init(method: String, url: String, headers: Headers = [:], body: [UInt8] = []) {
        self.method = method.uppercased()
        self.url = url
        self.urlParts = URLParts(url)
        self.headers = headers
        self.body = body
    }

    /// Sets ``cf`` to Miniflare's offline placeholder, built when first read.
    public mutating func setPlaceholderCF(clientAcceptEncoding: String?, httpProtocol: String) {
        self.cfSource = .placeholder(clientAcceptEncoding: clientAcceptEncoding, httpProtocol: httpProtocol)
    }

    public init(method: String, url: String, headers: Headers = [:], body: String) {
        self.init(method: method, url: url, headers: headers, body: Array(body.utf8))
    }

    /// `await request.text()`: the body decoded as UTF-8, invalid sequences replaced by U+FFFD and one leading
    /// byte-order mark removed.
    public var text: String { JavaScript.decodeUTF8(self.body) }

    /// `await request.json()`: the body decoded like ``text`` and parsed with `JSON.parse`.
    /// - Throws: `JSONParseError` with V8's message (a 500 in a worker that does not catch it).
    public func json() throws(JSONParseError) -> JSONValue {
        try JavaScript.parseJSON(self.body)
    }

    /// `new URL(request.url)`, or `nil` when the URL does not parse (`TypeError: Invalid URL` in JavaScript).
    public var parsedURL: JavaScript.URL? { JavaScript.URL(self.url) }

    /// `new URL(request.url).pathname`: the WHATWG pathname, with `.` and `..` segments (also `%2e`) resolved, `\`
    /// read as `/` and characters percent-encoded as the URL Standard does (`/v1/x/../events` → `/v1/events`).
    /// A path made only of characters the URL parser leaves alone (no `.`, `%`, `\`, spaces or non-ASCII) is
    /// returned as split, without running the parser. A URL that does not parse gives the raw path.
    public var pathname: String {
        let raw = self.urlParts.pathname
        if URLParts.isParserInvariant(raw) { return raw }
        return self.parsedURL?.pathname ?? raw
    }

    /// The URL's query string without `?`, or `""`.
    public var query: String { self.urlParts.query }

    /// `new URL(request.url).searchParams` as name/value pairs in order (`URLSearchParams` decoding).
    public var searchParams: [(name: String, value: String)] {
        JavaScript.parseURLSearchParams(self.query)
    }
}

/// The response a worker returns.
public struct WorkerResponse: Sendable {
    public var status: Int
    public var headers: Headers
    public var body: [UInt8]

    public init(status: Int = 200, headers: Headers = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `new Response("text", …)`: a string body gets `Content-Type: text/plain;charset=UTF-8` unless one is set.
    public static func text(_ text: String, status: Int = 200, headers: Headers = [:]) -> WorkerResponse {
        var headers = headers
        if headers["Content-Type"] == nil { headers["Content-Type"] = "text/plain;charset=UTF-8" }
        return WorkerResponse(status: status, headers: headers, body: Array(text.utf8))
    }

    /// A compact `JSON.stringify` body with `Content-Type: application/json` unless one is set.
    public static func json(_ value: JSONValue, status: Int = 200, headers: Headers = [:]) -> WorkerResponse {
        var headers = headers
        if headers["Content-Type"] == nil { headers["Content-Type"] = "application/json" }
        return WorkerResponse(status: status, headers: headers, body: Array(value.stringify().utf8))
    }

    /// The body decoded as UTF-8.
    public var text: String { String(decoding: self.body, as: UTF8.self) }
}

/// Raw URL splitting (no normalisation), for URLs the WHATWG parser rejects.
public struct URLParts: Sendable, Hashable {
    public var origin: String
    public var pathname: String
    public var query: String

    public init(_ url: String) {
        let utf8 = url.utf8
        var end = utf8.firstIndex(of: UInt8(ascii: "#")) ?? utf8.endIndex
        var start = utf8.startIndex
        var origin = ""
        if let colon = utf8[start..<end].firstIndex(of: UInt8(ascii: ":")),
            utf8[colon..<end].starts(with: "://".utf8)
        {
            let afterScheme = utf8.index(colon, offsetBy: 3)
            let hostEnd = utf8[afterScheme..<end].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? end
            origin = String(url[url.startIndex..<hostEnd])
            start = hostEnd
        }
        var query = ""
        if let mark = utf8[start..<end].firstIndex(of: UInt8(ascii: "?")) {
            query = String(url[utf8.index(after: mark)..<end])
            end = mark
        }
        self.origin = origin
        self.pathname = start == end ? "/" : String(url[start..<end])
        self.query = query
    }

    /// Whether the WHATWG URL parser returns `path` unchanged: it starts with `/` and holds only ASCII letters,
    /// digits and `/ - _ ~ ! $ & ' ( ) * + , ; = : @` (no dot segments, escapes, backslashes or characters to encode).
    public static func isParserInvariant(_ path: String) -> Bool {
        var utf8 = path.utf8.makeIterator()
        guard utf8.next() == UInt8(ascii: "/") else { return false }
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"),
                UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
                UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
                continue
            default:
                return false
            }
        }
        return true
    }
}

/// The `request.cf` object a worker sees locally.
public enum RequestCF {
    /// Miniflare's fallback placeholder (platform.md 6.2): Flarelet never downloads `cf.json`, so this is what
    /// every local request carries, with `clientAcceptEncoding` from the request and the real protocol.
    public static func placeholder(clientAcceptEncoding: String?, httpProtocol: String) -> JSONObject {
        var cf = httpProtocol == "HTTP/1.1" ? Self.http11 : Self.build(httpProtocol: httpProtocol)
        cf["clientAcceptEncoding"] = clientAcceptEncoding.map(JSONValue.string) ?? .null
        return cf
    }

    /// The placeholder of an HTTP/1.1 request, built once.
    private static let http11 = Self.build(httpProtocol: "HTTP/1.1")

    private static func build(httpProtocol: String) -> JSONObject {
        var tlsClientAuth = JSONObject()
        for key in [
            "certPresented", "certVerified", "certRevoked", "certIssuerDN", "certSubjectDN", "certIssuerDNRFC2253",
            "certSubjectDNRFC2253", "certIssuerDNLegacy", "certSubjectDNLegacy", "certSerial", "certIssuerSerial",
            "certSKI", "certIssuerSKI", "certFingerprintSHA1", "certFingerprintSHA256", "certNotBefore", "certNotAfter",
        ] {
            tlsClientAuth[key] = .string(key == "certPresented" || key == "certRevoked" ? "0" : (key == "certVerified" ? "NONE" : ""))
        }
        var botManagement = JSONObject()
        botManagement["corporateProxy"] = .bool(false)
        botManagement["verifiedBot"] = .bool(false)
        botManagement["jsDetection"] = .object(["passed": .bool(false)])
        botManagement["staticResource"] = .bool(false)
        botManagement["detectionIds"] = .array([])
        botManagement["score"] = .number(99)
        botManagement["ja3Hash"] = .string("25b4882c2bcb50cd6b469ff28c596742")
        var cf = JSONObject()
        cf["asOrganization"] = .string("")
        cf["asn"] = .number(395_747)
        cf["colo"] = .string("DFW")
        cf["city"] = .string("Austin")
        cf["region"] = .string("Texas")
        cf["regionCode"] = .string("TX")
        cf["metroCode"] = .string("635")
        cf["postalCode"] = .string("78701")
        cf["country"] = .string("US")
        cf["continent"] = .string("NA")
        cf["timezone"] = .string("America/Chicago")
        cf["latitude"] = .string("30.27130")
        cf["longitude"] = .string("-97.74260")
        cf["clientTcpRtt"] = .number(0)
        cf["httpProtocol"] = .string(httpProtocol)
        cf["requestPriority"] = .string("weight=192;exclusive=0")
        cf["tlsCipher"] = .string("AEAD-AES128-GCM-SHA256")
        cf["tlsVersion"] = .string("TLSv1.3")
        cf["tlsClientAuth"] = .object(tlsClientAuth)
        cf["edgeRequestKeepAliveStatus"] = .number(0)
        cf["clientTrustScore"] = .number(99)
        cf["botManagement"] = .object(botManagement)
        cf["clientAcceptEncoding"] = .null
        return cf
    }
}
