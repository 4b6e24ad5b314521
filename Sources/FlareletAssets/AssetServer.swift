public import FlareletConfig
public import FlareletCore
import FlareletJavaScript
import Foundation

/// Serves a worker's `[assets]` directory as wrangler does (platform-next.md 8): decides whether a request goes to the
/// worker or to the assets, matches paths to files, and answers with ETags, 304s, redirects and not-found pages.
///
/// The directory is read when the server is created; ``rescan()`` reads it again (the dev server calls it every
/// second, so edits show up without a restart).
public final class AssetServer: Sendable {
    /// Where a request goes.
    public enum Route: Sendable {
        /// To the worker's `fetch`.
        case worker
        /// Answered from the assets.
        case assets(WorkerResponse)
    }

    public let config: AssetsConfig
    /// Whether a worker script exists (`main`); without one every request is answered from the assets.
    public let hasWorker: Bool
    /// Warnings for the start-up banner (`run_worker_first = true` without a binding).
    public let warnings: [String]
    private let directory: String
    private let navigationPrefersAssets: Bool
    private let manifest: LockedValue<AssetManifest>
    private let bodies = LockedValue(BodyCache())

    /// Checks `config` as `wrangler dev` does at start and reads the directory.
    ///
    /// - Parameters:
    ///   - config: the resolved `[assets]`.
    ///   - hasWorker: whether the configuration has a worker script (`main`).
    ///   - hasSite: whether the configuration also sets `site`.
    ///   - compatibilityDate: the worker's `compatibility_date` (navigation requests prefer assets from 2025-04-01).
    ///   - compatibilityFlags: the worker's `compatibility_flags`.
    /// - Throws: ``AssetsError`` with wrangler's text, prefixed with the location of `[assets]`.
    public init(
        config: AssetsConfig,
        hasWorker: Bool,
        hasSite: Bool = false,
        compatibilityDate: String? = nil,
        compatibilityFlags: [String] = []
    ) throws(AssetsError) {
        func fail(_ message: String) -> AssetsError { AssetsError("\(config.location): \(message)") }
        guard let directory = config.directory else {
            throw fail("The `assets` property in your configuration is missing the required `directory` property.")
        }
        guard let path = config.directoryPath, !directory.isEmpty else {
            throw fail("`The assets directory cannot be an empty string.")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw fail("The directory specified by the \"assets.directory\" field in your configuration file does not exist:\n\(path)")
        }
        guard isDirectory.boolValue else {
            throw fail(
                "The path specified by the \"assets.directory\" field in your configuration file doesn't point to a directory:\n\(path)"
            )
        }
        if hasSite {
            throw fail(
                "Cannot use assets and Workers Sites in the same Worker.\nPlease remove either the `site` or `assets` field from your configuration file."
            )
        }
        if !hasWorker, config.binding != nil {
            throw fail(
                "Cannot use assets with a binding in an assets-only Worker.\nPlease remove the asset binding from your configuration file, "
                    + "or provide a Worker script in your configuration file (`main`)."
            )
        }
        if !hasWorker, config.runsWorkerFirst {
            throw fail(
                "Cannot set run_worker_first without a Worker script.\nPlease remove run_worker_first from your configuration file, "
                    + "or provide a Worker script in your configuration file (`main`)."
            )
        }
        var warnings: [String] = []
        if config.runWorkerFirst == .always(true), config.binding == nil {
            warnings.append(
                "run_worker_first=true set without an assets binding\nSetting run_worker_first to true will always invoke your Worker script.\n"
                    + "To fetch your assets from your Worker, please set the [assets.binding] key in your configuration file.\n\n"
                    + "Read more: https://developers.cloudflare.com/workers/static-assets/binding/#binding"
            )
        }
        self.config = config
        self.hasWorker = hasWorker
        self.warnings = warnings
        self.directory = path
        var prefers = (compatibilityDate ?? "") >= "2025-04-01" || compatibilityFlags.contains("assets_navigation_prefers_asset_serving")
        if compatibilityFlags.contains("assets_navigation_has_no_effect") { prefers = false }
        self.navigationPrefersAssets = prefers
        do {
            self.manifest = LockedValue(try AssetManifest.scan(directory: path, displayDirectory: directory))
        } catch {
            throw fail(error.description)
        }
    }

    /// The number of servable files.
    public var fileCount: Int { self.manifest.withLock { $0.files.count } }

    /// The absolute assets directory.
    public var directoryPath: String { self.directory }

    /// Reads the directory again.
    /// - Returns: whether the set of files (or any file's ETag) changed.
    /// - Throws: ``AssetsError`` when the directory now breaks a limit; the previous files keep being served.
    @discardableResult
    public func rescan() throws(AssetsError) -> Bool {
        let previous = self.manifest.withLock { $0 }
        let next = try AssetManifest.scan(directory: self.directory, displayDirectory: self.config.directory ?? "", previous: previous)
        guard next.files != previous.files else { return false }
        self.manifest.withLock { $0 = next }
        self.bodies.withLock { $0 = BodyCache() }
        return true
    }

    // MARK: Routing (8.3)

    /// Decides whether the worker or the assets answer `request`.
    public func route(_ request: WorkerRequest) -> Route {
        let pathname = request.pathname
        if case .patterns(let rules) = self.config.runWorkerFirst {
            if rules.contains(where: { $0.hasPrefix("!") && Self.glob(String($0.dropFirst()), matches: pathname) }) {
                return .assets(self.answer(request, notFound: self.config.notFoundHandling) ?? Self.notFound)
            }
            if rules.contains(where: { !$0.hasPrefix("!") && Self.glob($0, matches: pathname) }) {
                return .worker
            }
        }
        if case .always(true) = self.config.runWorkerFirst { return .worker }
        let patternsConfigured = if case .patterns = self.config.runWorkerFirst { true } else { false }
        let navigation = request.headers["Sec-Fetch-Mode"] == "navigate" && self.navigationPrefersAssets
        let notFound: AssetsConfig.NotFoundHandling = patternsConfigured || navigation ? self.config.notFoundHandling : .none
        if let answer = self.answer(request, notFound: notFound) { return .assets(answer) }
        if self.hasWorker { return .worker }
        return .assets(self.answer(request, notFound: self.config.notFoundHandling) ?? Self.notFound)
    }

    /// `env.ASSETS.fetch(request)`: the asset handler alone, with the configured not-found handling; only the URL's
    /// path and query matter.
    public func fetch(_ request: WorkerRequest) -> WorkerResponse {
        self.answer(request, notFound: self.config.notFoundHandling) ?? Self.notFound
    }

    /// The "no match" answer when assets answer anyway: 404 with an empty body.
    static let notFound = WorkerResponse(status: 404)

    // MARK: Handling (8.4-8.6)

    /// The asset handler's answer, or `nil` for "no file matched".
    func answer(_ request: WorkerRequest, notFound: AssetsConfig.NotFoundHandling) -> WorkerResponse? {
        let manifest = self.manifest.withLock { $0 }
        let url = request.parsedURL
        let pathname = url?.pathname ?? request.pathname
        let search = url?.search ?? (request.query.isEmpty ? "" : "?" + request.query)
        var decoded = Self.decodePath(pathname)
        while decoded.contains("//") { decoded = decoded.replacingOccurrences(of: "//", with: "/") }
        let resolver = IntentResolver(
            htmlHandling: self.config.htmlHandling,
            notFoundHandling: notFound,
            exists: { manifest.etag($0) }
        )
        guard let intent = resolver.intent(decoded) else { return nil }
        let method = request.method.uppercased()
        guard method == "GET" || method == "HEAD" else { return WorkerResponse(status: 405) }
        let destination: String
        let asset: (etag: String, status: Int)?
        switch intent {
        case .redirect(let target):
            destination = target
            asset = nil
        case .asset(let etag, let status):
            destination = decoded
            asset = (etag, status)
        }
        let encoded = Self.encodePath(destination)
        guard let asset, encoded == pathname else {
            return WorkerResponse(status: 307, headers: ["Location": encoded + search])
        }
        guard let file = manifest.file(etag: asset.etag) else {
            return WorkerResponse(status: 404)
        }
        var headers = Headers()
        headers.append("ETag", "\"\(asset.etag)\"")
        if let type = file.contentType { headers.append("Content-Type", type) }
        if request.headers["Authorization"] == nil && request.headers["Range"] == nil {
            headers.append("Cache-Control", "public, max-age=0, must-revalidate")
        }
        headers.append("CF-Cache-Status", "HIT")
        let ifNoneMatch = request.headers["If-None-Match"] ?? ""
        if ifNoneMatch == "\"\(asset.etag)\"" || ifNoneMatch == "W/\"\(asset.etag)\"" {
            return WorkerResponse(status: 304, headers: headers)
        }
        let body = method == "HEAD" ? [] : self.body(of: file)
        return WorkerResponse(status: asset.status, headers: headers, body: body)
    }

    private func body(of file: AssetFile) -> [UInt8] {
        if let cached = self.bodies.withLock({ $0.entries[file.etag] }) { return cached }
        let bytes = FileManager.default.contents(atPath: file.path).map { [UInt8]($0) } ?? []
        self.bodies.withLock { cache in
            if cache.total + bytes.count <= BodyCache.limit {
                cache.entries[file.etag] = bytes
                cache.total += bytes.count
            }
        }
        return bytes
    }

    // MARK: Paths

    /// Each `/`-separated segment through `decodeURIComponent` (a segment that fails stays as it was).
    static func decodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            Self.decodeURIComponent(segment) ?? String(segment)
        }.joined(separator: "/")
    }

    /// Each `/`-separated segment through `encodeURIComponent`.
    static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { Self.encodeURIComponent($0) }.joined(separator: "/")
    }

    static func decodeURIComponent(_ text: Substring) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let hi = JavaScript.hexValue(utf8[utf8.startIndex]),
                    let lo = JavaScript.hexValue(utf8[utf8.startIndex + 1])
                else { return nil }
                bytes.append(hi << 4 | lo)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func encodeURIComponent(_ text: Substring) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "~"), UInt8(ascii: "*"),
                UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%" + String(UnicodeScalar(hex[Int(byte >> 4)])) + String(UnicodeScalar(hex[Int(byte & 15)]))
            }
        }
        return result
    }

    /// A `run_worker_first` pattern: `*` matches any run of characters (including `/`), the whole path must match.
    static func glob(_ pattern: String, matches path: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return pattern == path }
        guard path.hasPrefix(parts[0]) else { return false }
        var rest = Substring(path.dropFirst(parts[0].count))
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts[parts.count - 1])
    }
}

/// File contents kept in memory after the first read (at most ``limit`` bytes in all).
private struct BodyCache {
    static let limit = 32 * 1024 * 1024
    var entries: [String: [UInt8]] = [:]
    var total = 0
}

/// The `[assets]` binding (`env.ASSETS`) a worker fetches files through.
public struct AssetsFetcher: Fetcher {
    public let server: AssetServer

    public init(server: AssetServer) {
        self.server = server
    }

    public func fetch(_ request: WorkerRequest) async throws -> WorkerResponse {
        self.server.fetch(request)
    }
}
