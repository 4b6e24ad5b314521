extension JavaScript {
    /// A URL parsed by the WHATWG URL Standard's basic URL parser, as `new URL(text)` does, for the special schemes
    /// a worker sees (`http`, `https`, `ws`, `wss`, `ftp`).
    ///
    /// Parsing trims leading and trailing C0 controls and spaces, removes tabs and newlines, reads `\` as `/`,
    /// resolves `.` and `..` segments (also written `%2e`), percent-encodes what the standard encodes in each
    /// component, lower-cases the host and normalises IPv4 and IPv6 addresses, and drops the scheme's default port.
    /// Internationalised host names are lower-cased but not converted to Punycode.
    public struct URL: Sendable, Hashable {
        /// Lower-case scheme without `:`.
        public var scheme: String
        public var username: String
        public var password: String
        /// The serialised host without port (`example.com`, `127.0.0.1`, `[::1]`).
        public var hostname: String
        /// The port, unless it is the scheme's default.
        public var port: Int?
        /// Path segments, percent-encoded.
        public var pathSegments: [String]
        /// The query without `?`, or `nil` when the URL has none.
        public var query: String?
        /// The fragment without `#`, or `nil`.
        public var fragment: String?

        /// Parses an absolute URL; `nil` where `new URL(text)` throws `TypeError: Invalid URL`.
        public init?(_ text: String) {
            guard let url = URLParser.parse(text) else { return nil }
            self = url
        }

        init(scheme: String) {
            self.scheme = scheme
            self.username = ""
            self.password = ""
            self.hostname = ""
            self.port = nil
            self.pathSegments = []
            self.query = nil
            self.fragment = nil
        }

        /// `url.protocol`, e.g. `https:`.
        public var `protocol`: String { self.scheme + ":" }
        /// `url.host`: host name plus `:port` when the port is not the default.
        public var host: String { self.port.map { "\(self.hostname):\($0)" } ?? self.hostname }
        /// `url.origin`.
        public var origin: String { "\(self.scheme)://\(self.host)" }
        /// `url.pathname`: `/` and the segments joined by `/`.
        public var pathname: String { "/" + self.pathSegments.joined(separator: "/") }
        /// `url.search`: `?` and the query, or `""` for none or an empty query.
        public var search: String { (self.query ?? "").isEmpty ? "" : "?" + self.query! }
        /// `url.hash`: `#` and the fragment, or `""`.
        public var hash: String { (self.fragment ?? "").isEmpty ? "" : "#" + self.fragment! }
        /// `url.searchParams` as name/value pairs in order.
        public var searchParams: [(name: String, value: String)] { JavaScript.parseURLSearchParams(self.query ?? "") }

        /// `url.href`.
        public var href: String {
            var text = self.scheme + "://"
            if !self.username.isEmpty || !self.password.isEmpty {
                text += self.username
                if !self.password.isEmpty { text += ":" + self.password }
                text += "@"
            }
            text += self.host + self.pathname
            if let query = self.query { text += "?" + query }
            if let fragment = self.fragment { text += "#" + fragment }
            return text
        }

        /// The scheme's default port, for special schemes.
        static func defaultPort(_ scheme: String) -> Int? {
            switch scheme {
            case "http", "ws": 80
            case "https", "wss": 443
            case "ftp": 21
            default: nil
            }
        }
    }

    /// `new URLSearchParams(query)`: split on `&`, then at the first `=`; `+` is a space; percent-escapes are
    /// decoded as bytes and the result as UTF-8 (invalid sequences → U+FFFD). A leading `?` is ignored.
    public static func parseURLSearchParams(_ query: String) -> [(name: String, value: String)] {
        var bytes = Array(query.utf8)[...]
        if bytes.first == UInt8(ascii: "?") { bytes = bytes.dropFirst() }
        var pairs: [(name: String, value: String)] = []
        for sequence in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = sequence.firstIndex(of: UInt8(ascii: "="))
            let name = sequence[..<(equals ?? sequence.endIndex)]
            let value = equals.map { sequence[($0 + 1)...] } ?? []
            pairs.append((self.formDecode(name), self.formDecode(value)))
        }
        return pairs
    }

    private static func formDecode(_ bytes: ArraySlice<UInt8>) -> String {
        let plusless = bytes.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }
        return String(decoding: self.percentDecode(plusless[...]), as: UTF8.self)
    }

    /// Percent-decoding of bytes: `%XX` with two hex digits becomes that byte; anything else is kept.
    static func percentDecode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), bytes.endIndex - index >= 3,
                let high = self.hexValue(bytes[index + 1]), let low = self.hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    /// The value of an ASCII hex digit (either case), or `nil`.
    public static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The WHATWG basic URL parser for absolute URLs with a special scheme (no base URL, no state override).
enum URLParser {
    private static let specialSchemes: Set<String> = ["http", "https", "ws", "wss", "ftp"]

    static func parse(_ text: String) -> JavaScript.URL? {
        // Trim C0 controls and spaces at both ends; remove tabs and newlines everywhere.
        var scalars = Array(text.unicodeScalars)
        while let first = scalars.first, first.value <= 0x20 { scalars.removeFirst() }
        while let last = scalars.last, last.value <= 0x20 { scalars.removeLast() }
        scalars.removeAll { $0 == "\t" || $0 == "\n" || $0 == "\r" }

        // Scheme.
        guard let first = scalars.first, first.isASCII, first.properties.isAlphabetic else { return nil }
        var index = 1
        while index < scalars.count, scalars[index] != ":" {
            let scalar = scalars[index]
            guard scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "+-.".unicodeScalars.contains(scalar) else {
                return nil
            }
            index += 1
        }
        guard index < scalars.count else { return nil }
        let scheme = String(String.UnicodeScalarView(scalars[0..<index])).lowercased()
        guard self.specialSchemes.contains(scheme) else { return nil }
        var url = JavaScript.URL(scheme: scheme)
        index += 1

        // Special authority (ignore) slashes: any run of `/` and `\`.
        while index < scalars.count, scalars[index] == "/" || scalars[index] == "\\" { index += 1 }

        // Authority: up to `/`, `\`, `?`, `#` or the end.
        let authorityStart = index
        while index < scalars.count, !"/\\?#".unicodeScalars.contains(scalars[index]) { index += 1 }
        var authority = Array(scalars[authorityStart..<index])
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            authority = Array(authority[(at + 1)...])
            let colon = credentials.firstIndex(of: ":")
            url.username = self.percentEncode(credentials[..<(colon ?? credentials.endIndex)], set: .userinfo)
            if let colon { url.password = self.percentEncode(credentials[(colon + 1)...], set: .userinfo) }
        }
        // Host and port: the port starts at the last `:` outside brackets.
        var hostEnd = authority.endIndex
        var insideBrackets = false
        for (position, scalar) in authority.enumerated() {
            if scalar == "[" { insideBrackets = true }
            if scalar == "]" { insideBrackets = false }
            if scalar == ":" && !insideBrackets {
                hostEnd = position
                break
            }
        }
        let hostScalars = authority[..<hostEnd]
        guard !hostScalars.isEmpty, let host = self.parseHost(Array(hostScalars)) else { return nil }
        url.hostname = host
        if hostEnd < authority.endIndex {
            let portScalars = authority[(hostEnd + 1)...]
            if !portScalars.isEmpty {
                guard portScalars.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
                let digits = String(String.UnicodeScalarView(portScalars))
                let trimmed = digits.drop { $0 == "0" }
                guard trimmed.count <= 5, let port = Int(trimmed.isEmpty ? "0" : String(trimmed)), port <= 65535 else { return nil }
                url.port = port == JavaScript.URL.defaultPort(scheme) ? nil : port
            }
        }

        // Path: segments separated by `/` or `\`, up to `?` or `#` (the path start state consumes one `/`).
        if index < scalars.count, scalars[index] == "/" || scalars[index] == "\\" { index += 1 }
        var buffer: [Unicode.Scalar] = []
        while true {
            let scalar: Unicode.Scalar? = index < scalars.count ? scalars[index] : nil
            if scalar == nil || scalar == "/" || scalar == "\\" || scalar == "?" || scalar == "#" {
                let endsSegmentWithSlash = scalar == "/" || scalar == "\\"
                let segment = String(String.UnicodeScalarView(buffer)).lowercased()
                if ["..", ".%2e", "%2e.", "%2e%2e"].contains(segment) {
                    if !url.pathSegments.isEmpty { url.pathSegments.removeLast() }
                    if !endsSegmentWithSlash { url.pathSegments.append("") }
                } else if segment == "." || segment == "%2e" {
                    if !endsSegmentWithSlash { url.pathSegments.append("") }
                } else {
                    url.pathSegments.append(self.percentEncode(buffer[...], set: .path))
                }
                buffer.removeAll()
                if !endsSegmentWithSlash { break }
            } else {
                buffer.append(scalar!)
            }
            index += 1
        }

        // Query and fragment.
        if index < scalars.count, scalars[index] == "?" {
            let start = index + 1
            index = start
            while index < scalars.count, scalars[index] != "#" { index += 1 }
            url.query = self.percentEncode(scalars[start..<index], set: .specialQuery)
        }
        if index < scalars.count, scalars[index] == "#" {
            url.fragment = self.percentEncode(scalars[(index + 1)...], set: .fragment)
        }
        return url
    }

    // MARK: Percent-encoding

    enum EncodeSet {
        case fragment, specialQuery, path, userinfo

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            let value = scalar.value
            if value < 0x20 || value > 0x7E { return true }
            switch self {
            case .fragment: return " \"<>`".unicodeScalars.contains(scalar)
            case .specialQuery: return " \"#<>'".unicodeScalars.contains(scalar)
            case .path: return " \"#<>?`{}".unicodeScalars.contains(scalar)
            case .userinfo: return " \"#<>?`{}/:;=@[\\]^|".unicodeScalars.contains(scalar)
            }
        }
    }

    static func percentEncode(_ scalars: ArraySlice<Unicode.Scalar>, set: EncodeSet) -> String {
        var output = ""
        let hex = Array("0123456789ABCDEF")
        for scalar in scalars {
            if set.contains(scalar) {
                for byte in String(scalar).utf8 {
                    output.append("%")
                    output.append(hex[Int(byte >> 4)])
                    output.append(hex[Int(byte & 0xF)])
                }
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    // MARK: Hosts

    static func parseHost(_ scalars: [Unicode.Scalar]) -> String? {
        if scalars.first == "[" {
            guard scalars.last == "]", scalars.count >= 2, let address = self.parseIPv6(Array(scalars.dropFirst().dropLast())) else {
                return nil
            }
            return "[" + self.serializeIPv6(address) + "]"
        }
        let decoded = JavaScript.percentDecode(Array(String(String.UnicodeScalarView(scalars)).utf8)[...])
        let domain = String(decoding: decoded, as: UTF8.self)
        // Domain to ASCII, approximated: ASCII letters lower-cased (no Punycode for other scripts).
        let ascii = String(
            String.UnicodeScalarView(
                domain.unicodeScalars.map { scalar -> Unicode.Scalar in
                    ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 0x20)! : scalar
                }
            )
        )
        guard !ascii.isEmpty else { return nil }
        for scalar in ascii.unicodeScalars {
            if scalar.value <= 0x20 || scalar.value == 0x7F || "#%/:<>?@[\\]^|".unicodeScalars.contains(scalar) { return nil }
        }
        if self.endsInANumber(ascii) {
            guard let address = self.parseIPv4(ascii) else { return nil }
            return (0..<4).map { String(address >> (8 * (3 - $0)) & 0xFF) }.joined(separator: ".")
        }
        return ascii
    }

    private static func endsInANumber(_ host: String) -> Bool {
        var parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.last == "" {
            if parts.count == 1 { return false }
            parts.removeLast()
        }
        guard let last = parts.last, !last.isEmpty else { return false }
        if last.allSatisfy({ $0.isASCII && $0.isNumber }) { return true }
        let lower = last.lowercased()
        return lower.hasPrefix("0x") && lower.dropFirst(2).allSatisfy { $0.isHexDigit && $0.isASCII }
    }

    private static func parseIPv4(_ host: String) -> UInt32? {
        var parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.last == "", parts.count > 1 { parts.removeLast() }
        guard parts.count <= 4 else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard let number = self.parseIPv4Number(part) else { return nil }
            numbers.append(number)
        }
        for number in numbers.dropLast() where number > 255 { return nil }
        guard numbers.last! < UInt64(1) << (8 * (5 - numbers.count)) else { return nil }
        var address = numbers.last!
        for (position, number) in numbers.dropLast().enumerated() {
            address += number << (8 * (3 - position))
        }
        return UInt32(truncatingIfNeeded: address)
    }

    private static func parseIPv4Number(_ part: Substring) -> UInt64? {
        guard !part.isEmpty else { return nil }
        var text = part
        var radix = 10
        if text.count >= 2, text.hasPrefix("0x") || text.hasPrefix("0X") {
            text = text.dropFirst(2)
            radix = 16
        } else if text.count >= 2, text.hasPrefix("0") {
            text = text.dropFirst()
            radix = 8
        }
        if text.isEmpty { return 0 }
        // A numeral too long for 64 bits would overflow every valid address anyway.
        return UInt64(text, radix: radix)
    }

    private static func parseIPv6(_ input: [Unicode.Scalar]) -> [UInt16]? {
        var address = [UInt16](repeating: 0, count: 8)
        var pieceIndex = 0
        var compress: Int?
        var pointer = 0
        func at(_ position: Int) -> Unicode.Scalar? { position < input.count ? input[position] : nil }
        func hexDigit(_ scalar: Unicode.Scalar?) -> UInt16? {
            guard let scalar, scalar.isASCII, let value = JavaScript.hexValue(UInt8(scalar.value)) else { return nil }
            return UInt16(value)
        }
        if at(pointer) == ":" {
            guard at(pointer + 1) == ":" else { return nil }
            pointer += 2
            pieceIndex += 1
            compress = pieceIndex
        }
        while at(pointer) != nil {
            guard pieceIndex < 8 else { return nil }
            if at(pointer) == ":" {
                guard compress == nil else { return nil }
                pointer += 1
                pieceIndex += 1
                compress = pieceIndex
                continue
            }
            var value: UInt16 = 0
            var length = 0
            while length < 4, let digit = hexDigit(at(pointer)) {
                value = value * 0x10 + digit
                pointer += 1
                length += 1
            }
            if at(pointer) == "." {
                guard length > 0 else { return nil }
                pointer -= length
                guard pieceIndex <= 6 else { return nil }
                var numbersSeen = 0
                while at(pointer) != nil {
                    var ipv4Piece: Int?
                    if numbersSeen > 0 {
                        guard at(pointer) == ".", numbersSeen < 4 else { return nil }
                        pointer += 1
                    }
                    guard let scalar = at(pointer), ("0"..."9").contains(scalar) else { return nil }
                    while let scalar = at(pointer), ("0"..."9").contains(scalar) {
                        let number = Int(scalar.value - 0x30)
                        if ipv4Piece == nil {
                            ipv4Piece = number
                        } else if ipv4Piece == 0 {
                            return nil
                        } else {
                            ipv4Piece = ipv4Piece! * 10 + number
                        }
                        guard ipv4Piece! <= 255 else { return nil }
                        pointer += 1
                    }
                    address[pieceIndex] = address[pieceIndex] * 0x100 + UInt16(ipv4Piece!)
                    numbersSeen += 1
                    if numbersSeen == 2 || numbersSeen == 4 { pieceIndex += 1 }
                }
                guard numbersSeen == 4 else { return nil }
                break
            } else if at(pointer) == ":" {
                pointer += 1
                guard at(pointer) != nil else { return nil }
            } else if at(pointer) != nil {
                return nil
            }
            address[pieceIndex] = value
            pieceIndex += 1
        }
        if let compress {
            var swaps = pieceIndex - compress
            pieceIndex = 7
            while pieceIndex != 0 && swaps > 0 {
                address.swapAt(pieceIndex, compress + swaps - 1)
                pieceIndex -= 1
                swaps -= 1
            }
        } else if pieceIndex != 8 {
            return nil
        }
        return address
    }

    private static func serializeIPv6(_ address: [UInt16]) -> String {
        // The first longest run of two or more zero pieces is compressed.
        var compress: Int?
        var bestLength = 1
        var index = 0
        while index < 8 {
            if address[index] == 0 {
                var end = index
                while end < 8, address[end] == 0 { end += 1 }
                if end - index > bestLength {
                    bestLength = end - index
                    compress = index
                }
                index = end
            } else {
                index += 1
            }
        }
        var output = ""
        var ignore0 = false
        for pieceIndex in 0..<8 {
            if ignore0 && address[pieceIndex] == 0 { continue }
            ignore0 = false
            if compress == pieceIndex {
                output += pieceIndex == 0 ? "::" : ":"
                ignore0 = true
                continue
            }
            output += String(address[pieceIndex], radix: 16)
            if pieceIndex != 7 { output += ":" }
        }
        return output
    }
}
