import FlareletConfig

/// What the asset handler decided for a decoded path (the asset worker's `getIntent`).
enum AssetIntent: Equatable {
    /// Serve the file with this ETag, with status 200 (a file or a single-page-application fallback) or 404.
    case asset(etag: String, status: Int)
    /// A 307 to this decoded path.
    case redirect(String)
}

/// The html_handling rules of platform-next.md 8.4 and the not-found rules of 8.5, over a lookup from path to ETag.
struct IntentResolver {
    let htmlHandling: AssetsConfig.HTMLHandling
    let notFoundHandling: AssetsConfig.NotFoundHandling
    let exists: (String) -> String?

    func intent(_ pathname: String, skipRedirects: Bool = false) -> AssetIntent? {
        let found: AssetIntent?
        switch self.htmlHandling {
        case .autoTrailingSlash: found = self.autoTrailingSlash(pathname, skipRedirects)
        case .forceTrailingSlash: found = self.forceTrailingSlash(pathname, skipRedirects)
        case .dropTrailingSlash: found = self.dropTrailingSlash(pathname, skipRedirects)
        case .none: found = self.exists(pathname).map { .asset(etag: $0, status: 200) }
        }
        return found ?? self.notFound(pathname)
    }

    // MARK: not_found_handling

    private func notFound(_ pathname: String) -> AssetIntent? {
        switch self.notFoundHandling {
        case .singlePageApplication:
            return self.exists("/index.html").map { .asset(etag: $0, status: 200) }
        case .notFoundPage:
            var cwd = Substring(pathname)
            while !cwd.isEmpty {
                cwd = cwd[..<(cwd.lastIndex(of: "/") ?? cwd.startIndex)]
                if let etag = self.exists("\(cwd)/404.html") { return .asset(etag: etag, status: 404) }
            }
            return nil
        case .none:
            return nil
        }
    }

    // MARK: Redirect guard

    /// A redirect from `file` to `destination`, taken only when no file is literally named `destination` and resolving
    /// `destination` (without further redirects) serves exactly `file`.
    private func safeRedirect(_ file: String, _ destination: String, _ skip: Bool) -> AssetIntent? {
        if skip { return nil }
        guard self.exists(destination) == nil else { return nil }
        guard case .asset(let etag, _) = self.intent(destination, skipRedirects: true), etag == self.exists(file) else { return nil }
        return .redirect(destination)
    }

    // MARK: auto-trailing-slash

    private func autoTrailingSlash(_ path: String, _ skip: Bool) -> AssetIntent? {
        let exact = self.exists(path)
        if path.hasSuffix("/index") {
            if let exact { return .asset(etag: exact, status: 200) }
            if let r = self.safeRedirect("\(path).html", String(path.dropLast("index".count)), skip) { return r }
            if let r = self.safeRedirect("\(path.dropLast("/index".count)).html", String(path.dropLast("/index".count)), skip) { return r }
        } else if path.hasSuffix("/index.html") {
            if let r = self.safeRedirect(path, String(path.dropLast("index.html".count)), skip) { return r }
            let base = String(path.dropLast("/index.html".count))
            if let r = self.safeRedirect("\(base).html", base, skip) { return r }
        } else if path.hasSuffix("/") {
            if let etag = self.exists("\(path)index.html") { return .asset(etag: etag, status: 200) }
            let base = String(path.dropLast())
            if let r = self.safeRedirect("\(base).html", base, skip) { return r }
        } else if path.hasSuffix(".html") {
            let base = String(path.dropLast(".html".count))
            if let r = self.safeRedirect(path, base, skip) { return r }
            if let r = self.safeRedirect("\(base)/index.html", "\(base)/", skip) { return r }
        }
        if let exact { return .asset(etag: exact, status: 200) }
        if let etag = self.exists("\(path).html") { return .asset(etag: etag, status: 200) }
        if let r = self.safeRedirect("\(path)/index.html", "\(path)/", skip) { return r }
        return nil
    }

    // MARK: force-trailing-slash

    private func forceTrailingSlash(_ path: String, _ skip: Bool) -> AssetIntent? {
        let exact = self.exists(path)
        if path.hasSuffix("/index") {
            if let exact { return .asset(etag: exact, status: 200) }
            let dir = String(path.dropLast("index".count))
            if let r = self.safeRedirect("\(path).html", dir, skip) { return r }
            if let r = self.safeRedirect("\(path.dropLast("/index".count)).html", dir, skip) { return r }
        } else if path.hasSuffix("/index.html") {
            let dir = String(path.dropLast("index.html".count))
            if let r = self.safeRedirect(path, dir, skip) { return r }
            if let r = self.safeRedirect("\(path.dropLast("/index.html".count)).html", dir, skip) { return r }
        } else if path.hasSuffix("/") {
            if let etag = self.exists("\(path)index.html") { return .asset(etag: etag, status: 200) }
            if let etag = self.exists("\(path.dropLast()).html") { return .asset(etag: etag, status: 200) }
        } else if path.hasSuffix(".html") {
            let base = String(path.dropLast(".html".count))
            if let r = self.safeRedirect(path, "\(base)/", skip) { return r }
            if let exact { return .asset(etag: exact, status: 200) }
            if let r = self.safeRedirect("\(base)/index.html", "\(base)/", skip) { return r }
        }
        if let exact { return .asset(etag: exact, status: 200) }
        if let r = self.safeRedirect("\(path).html", "\(path)/", skip) { return r }
        if let r = self.safeRedirect("\(path)/index.html", "\(path)/", skip) { return r }
        return nil
    }

    // MARK: drop-trailing-slash

    private func dropTrailingSlash(_ path: String, _ skip: Bool) -> AssetIntent? {
        let exact = self.exists(path)
        if path.hasSuffix("/index") {
            if let exact { return .asset(etag: exact, status: 200) }
            if path == "/index" {
                if let r = self.safeRedirect("/index.html", "/", skip) { return r }
            } else {
                let base = String(path.dropLast("/index".count))
                if let r = self.safeRedirect("\(base).html", base, skip) { return r }
                if let r = self.safeRedirect("\(path).html", base, skip) { return r }
            }
        } else if path.hasSuffix("/index.html") {
            if path == "/index.html" {
                if let r = self.safeRedirect("/index.html", "/", skip) { return r }
            } else {
                let base = String(path.dropLast("/index.html".count))
                if let r = self.safeRedirect(path, base, skip) { return r }
                if let exact { return .asset(etag: exact, status: 200) }
                if let r = self.safeRedirect("\(base).html", base, skip) { return r }
            }
        } else if path == "/" {
            if let etag = self.exists("/index.html") { return .asset(etag: etag, status: 200) }
        } else if path.hasSuffix("/") {
            let base = String(path.dropLast())
            if let r = self.safeRedirect("\(path)index.html", base, skip) { return r }
            if let r = self.safeRedirect("\(base).html", base, skip) { return r }
        } else if path.hasSuffix(".html") {
            let base = String(path.dropLast(".html".count))
            if let r = self.safeRedirect(path, base, skip) { return r }
            if let r = self.safeRedirect("\(base)/index.html", base, skip) { return r }
        }
        if let exact { return .asset(etag: exact, status: 200) }
        if let etag = self.exists("\(path).html") { return .asset(etag: etag, status: 200) }
        if let etag = self.exists("\(path)/index.html") { return .asset(etag: etag, status: 200) }
        return nil
    }
}
