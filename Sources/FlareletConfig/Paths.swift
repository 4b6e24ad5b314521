/// Pure path arithmetic on `/`-separated paths (no file-system access, no symlink resolution).
enum Paths {
    /// `path` made absolute against `base` (itself absolute) and normalised.
    static func absolute(_ path: String, relativeTo base: String) -> String {
        if path.hasPrefix("/") { return self.normalize(path) }
        return self.normalize(base + "/" + path)
    }

    /// Removes empty and `.` segments and applies `..`; the result is absolute when `path` is.
    static func normalize(_ path: String) -> String {
        let isAbsolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !isAbsolute {
                    parts.append(segment)
                }
                continue
            }
            parts.append(segment)
        }
        let joined = parts.joined(separator: "/")
        if isAbsolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The directory part of a normalised absolute path (`/` for top-level entries).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last path segment.
    static func lastComponent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `directory` joined with `name`.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
