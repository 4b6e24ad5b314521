/// Content types of asset files by extension (platform-next.md 8.6): the `mime` package's standard table for the
/// extensions a web project serves, with `; charset=utf-8` added to every `text/*` type.
enum ContentType {
    /// The `Content-Type` for a file name, or `nil` for an unknown extension (the response then has none).
    static func forFile(_ name: String) -> String? {
        guard let dot = name.lastIndex(of: "."), !name[name.index(after: dot)...].contains("/") else { return nil }
        let ext = name[name.index(after: dot)...].lowercased()
        guard let type = self.table[ext] else { return nil }
        return type.hasPrefix("text/") ? type + "; charset=utf-8" : type
    }

    static let table: [String: String] = [
        // Text and documents
        "html": "text/html", "htm": "text/html", "shtml": "text/html",
        "css": "text/css",
        "js": "text/javascript", "mjs": "text/javascript", "cjs": "application/node",
        "txt": "text/plain", "text": "text/plain", "conf": "text/plain", "log": "text/plain", "ini": "text/plain",
        "csv": "text/csv", "tsv": "text/tab-separated-values", "md": "text/markdown", "markdown": "text/markdown",
        "xml": "application/xml", "ics": "text/calendar", "vtt": "text/vtt", "yaml": "text/yaml", "yml": "text/yaml",
        "jsx": "text/jsx", "coffee": "text/coffeescript", "less": "text/less", "scss": "text/x-scss",
        "sass": "text/x-sass", "rtf": "text/rtf", "appcache": "text/cache-manifest", "manifest": "text/cache-manifest",
        // Data
        "json": "application/json", "map": "application/json", "jsonld": "application/ld+json",
        "webmanifest": "application/manifest+json", "geojson": "application/geo+json",
        "wasm": "application/wasm", "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip",
        "tar": "application/x-tar", "rss": "application/rss+xml", "atom": "application/atom+xml",
        "xhtml": "application/xhtml+xml", "rdf": "application/rdf+xml", "bin": "application/octet-stream",
        "exe": "application/octet-stream", "dll": "application/octet-stream", "iso": "application/octet-stream",
        "dmg": "application/octet-stream", "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt": "application/vnd.ms-powerpoint",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "epub": "application/epub+zip", "jar": "application/java-archive", "7z": "application/x-7z-compressed",
        "rar": "application/vnd.rar", "bz2": "application/x-bzip2", "sh": "application/x-sh",
        "swf": "application/x-shockwave-flash", "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf",
        "otf": "font/otf", "eot": "application/vnd.ms-fontobject", "sql": "application/sql",
        // Images
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "jpe": "image/jpeg", "gif": "image/gif",
        "svg": "image/svg+xml", "svgz": "image/svg+xml", "ico": "image/vnd.microsoft.icon", "webp": "image/webp",
        "avif": "image/avif", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff", "apng": "image/apng",
        "heic": "image/heic", "heif": "image/heif", "jxl": "image/jxl",
        // Audio and video
        "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg",
        "m4a": "audio/mp4", "aac": "audio/aac", "flac": "audio/flac", "weba": "audio/webm", "mid": "audio/midi",
        "midi": "audio/midi", "mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm", "ogv": "video/ogg",
        "mov": "video/quicktime", "avi": "video/x-msvideo", "mpeg": "video/mpeg", "mpg": "video/mpeg",
        "mkv": "video/x-matroska", "ts": "video/mp2t", "3gp": "video/3gpp",
    ]
}
