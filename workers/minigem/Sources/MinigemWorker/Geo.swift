import Flarelet

/// Client IP and geo resolution (section 6). The port has no MaxMind reader: without provider headers the
/// country and region are empty, exactly as upstream with `GEO_MMDB` unset.
enum Geo {
    /// The line upstream prints at start-up without `GEO_MMDB`.
    static let noDatabaseLine = "geo: GEO_MMDB not set; country lookups will be Unknown unless provider headers are present"

    static let countryHeaders = ["cf-ipcountry", "x-geo-country", "x-country-code", "x-appengine-country", "fastly-country-code"]
    static let regionHeaders = ["cf-region-code", "x-geo-region", "x-appengine-region", "x-region"]

    /// A header as Node presents it: repeated fields joined with `, `; `nil` when absent.
    static func header(_ headers: Headers, _ name: String) -> String? {
        let values = headers.values(name)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// `req.ip`: the left-most `X-Forwarded-For` entry (trimmed) when that header is present, else the peer
    /// address (`CF-Connecting-IP`), else an empty string.
    static func requestIP(_ headers: Headers) -> String {
        if let forwarded = self.header(headers, "x-forwarded-for") {
            let first = forwarded.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return first.trimmingSpaces()
        }
        return self.header(headers, "cf-connecting-ip") ?? ""
    }

    /// The client IP used for lookups: the first non-private candidate, else the first candidate.
    static func clientIP(_ headers: Headers) -> String {
        var candidates: [String] = []
        for name in ["cf-connecting-ip", "x-client-ip", "x-real-ip"] {
            if let value = self.header(headers, name), !value.isEmpty { candidates.append(value) }
        }
        if let forwarded = self.header(headers, "x-forwarded-for") {
            candidates += forwarded.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        }
        candidates.append(self.requestIP(headers))
        return candidates.first { !self.isPrivate($0) } ?? candidates[0]
    }

    /// Private by prefix: `10.`, `127.`, `192.168.`, `172.16.`–`172.31.`, `::1`, `fc00:`, `fe80:`, `fd00:`.
    static func isPrivate(_ ip: String) -> Bool {
        if ["10.", "127.", "192.168.", "::1", "fc00:", "fe80:", "fd00:"].contains(where: { ip.hasPrefix($0) }) { return true }
        return (16...31).contains { ip.hasPrefix("172.\($0).") }
    }

    /// Country and region from provider headers (uppercased); both empty when no country header is present.
    static func lookup(_ headers: Headers) -> (country: String, region: String) {
        guard let country = self.firstNonEmpty(headers, self.countryHeaders) else { return ("", "") }
        return (country.uppercased(), (self.firstNonEmpty(headers, self.regionHeaders) ?? "").uppercased())
    }

    private static func firstNonEmpty(_ headers: Headers, _ names: [String]) -> String? {
        for name in names {
            if let value = self.header(headers, name), !value.isEmpty { return value }
        }
        return nil
    }
}

extension StringProtocol {
    /// Trims spaces and tabs (what Node's header splitting trims).
    func trimmingSpaces() -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
