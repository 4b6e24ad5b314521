import FlareletCrypto
import FlareletJavaScript
import Foundation

/// One servable file of the assets directory.
struct AssetFile: Sendable, Hashable {
    /// The absolute path on disk.
    var path: String
    var size: Int
    /// Modification time in milliseconds (with fractions, as Node's `mtimeMs`).
    var modified: Double
    /// 32 lowercase hex characters: the first 16 bytes of SHA-256 over the absolute path and the modification time.
    var etag: String
    var contentType: String?
}

/// Every servable file of an assets directory, keyed `"/" + relative path` (platform-next.md 8.4, 8.7).
struct AssetManifest: Sendable {
    static let maxFileSize = 26_214_400
    static let maxFiles = 100_000

    var files: [String: AssetFile] = [:]
    /// The key of each file by its ETag.
    var keys: [String: String] = [:]

    /// The ETag of the file at `key`, or `nil` when there is none (the `exists` of the asset worker).
    func etag(_ key: String) -> String? {
        self.files[key]?.etag
    }

    /// The file with this ETag.
    func file(etag: String) -> AssetFile? {
        self.keys[etag].flatMap { self.files[$0] }
    }

    /// Reads `directory`, reusing the ETags of `previous` for files whose size and time did not change.
    /// - Parameter displayDirectory: the directory as configured, for the limit messages.
    static func scan(directory: String, displayDirectory: String, previous: AssetManifest? = nil) throws(AssetsError) -> AssetManifest {
        let root = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var ignore = AssetIgnore()
        if let data = FileManager.default.contents(atPath: root + "/.assetsignore") {
            ignore = AssetIgnore(text: String(decoding: data, as: UTF8.self))
        }
        var manifest = AssetManifest()
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return manifest }
        var oversized: (path: String, size: Int)?
        while let next = enumerator.nextObject() as? String {
            if next == ".assetsignore" || next == "_redirects" || next == "_headers" { continue }
            let absolute = root + "/" + next
            var info = stat()
            guard stat(absolute, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if ignore.ignores(next) { continue }
            let size = Int(info.st_size)
            if size > self.maxFileSize, oversized == nil { oversized = (absolute, size) }
            let modified = Double(info.st_mtim.tv_sec) * 1000 + Double(info.st_mtim.tv_nsec) / 1_000_000
            let key = "/" + next
            if let old = previous?.files[key], old.size == size, old.modified == modified {
                manifest.files[key] = old
                continue
            }
            manifest.files[key] = AssetFile(
                path: absolute,
                size: size,
                modified: modified,
                etag: self.etag(path: absolute, modified: modified),
                contentType: ContentType.forFile(next)
            )
        }
        for (key, file) in manifest.files { manifest.keys[file.etag] = key }
        if let oversized {
            throw AssetsError(
                [
                    "Asset too large.",
                    "Cloudflare Workers supports assets with sizes of up to 25 MiB. We found a file \(oversized.path) with a size of "
                        + "\(self.prettyBytes(oversized.size)).",
                    "Ensure all assets in your assets directory \"\(displayDirectory)\" conform with the Workers maximum size requirement.",
                ].joined(separator: "\n")
            )
        }
        if manifest.files.count > self.maxFiles {
            throw AssetsError(
                [
                    "Maximum number of assets exceeded.",
                    "Cloudflare Workers supports up to 100,000 assets in a version. We found \(self.thousands(manifest.files.count)) files in the "
                        + "specified assets directory \"\(displayDirectory)\".",
                    "Ensure your assets directory contains a maximum of 100,000 files, and that you have specified your assets directory correctly.",
                ].joined(separator: "\n")
            )
        }
        return manifest
    }

    static func etag(path: String, modified: Double) -> String {
        let digest = Crypto.sha256(Array((path + JavaScript.numberToString(modified)).utf8))
        return Hex.encode(Array(digest.prefix(16)))
    }

    /// `pretty-bytes` with `binary: true`: three significant digits, trailing zeros dropped (`25.1 MiB`).
    static func prettyBytes(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let digits = max(0, 2 - Int(log10(max(value, 1)).rounded(.down)))
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return "\(text) \(units[unit])"
    }

    /// `12,345`.
    static func thousands(_ value: Int) -> String {
        var text = String(value)
        var index = text.count - 3
        while index > 0 {
            text.insert(",", at: text.index(text.startIndex, offsetBy: index))
            index -= 3
        }
        return text
    }
}

/// A start-up problem with `[assets]`, in wrangler's words.
public struct AssetsError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
