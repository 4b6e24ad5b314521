import FlareletAssets
public import FlareletCore
import FlareletJSON
import FlareletJavaScript
import Foundation
import Logging

/// What the dev server answers before a request reaches the worker: wrangler's manual scheduled-trigger paths
/// (`/cdn-cgi/handler/scheduled` and its aliases, `/__scheduled` with `--test-scheduled`).
public struct DevRouter: Sendable {
    public let hosted: HostedWorker
    public var testScheduled: Bool
    /// Host names accepted for `/cdn-cgi/*` besides localhost (e.g. the `--ip` address).
    public var allowedHosts: Set<String>

    public init(hosted: HostedWorker, testScheduled: Bool = false, allowedHosts: Set<String> = []) {
        self.hosted = hosted
        self.testScheduled = testScheduled
        self.allowedHosts = allowedHosts
    }

    /// Answers `request` (its `CF-Connecting-IP` already set by the server).
    public func handle(_ request: WorkerRequest) async -> WorkerResponse {
        let pathname = request.pathname
        if pathname.hasPrefix("/cdn-cgi/") {
            if let refusal = self.checkHost(request) { return refusal }
            switch pathname {
            case "/cdn-cgi/handler/scheduled", "/cdn-cgi/local/scheduled":
                return await self.scheduledHandler(request)
            case "/cdn-cgi/mf/scheduled":
                self.hosted.env.logger.warning(
                    "Triggering scheduled handlers via a request to `/cdn-cgi/mf/scheduled` is deprecated, and will be removed in a future version of Miniflare. Instead, send a request to `/cdn-cgi/handler/scheduled`"
                )
                return await self.scheduledHandler(request)
            default:
                if pathname.hasPrefix("/cdn-cgi/handler/") {
                    return .text(
                        "\"\(pathname)\" is not a valid handler. Did you mean to use \"/cdn-cgi/handler/scheduled\" or \"/cdn-cgi/handler/email\"?",
                        status: 404
                    )
                }
            }
        }
        if self.testScheduled, pathname == "/__scheduled" {
            let cron = Self.parameter("cron", in: request) ?? ""
            let time = self.hosted.env.clock.now().epochMilliseconds
            let outcome = await self.hosted.runScheduled(cron: cron, scheduledTime: time)
            return outcome.isOK ? .text("Ran scheduled event") : .text(outcome.outcome, status: 500)
        }
        if let server = self.hosted.assets, case AssetServer.Route.assets(let response) = server.route(request) {
            return response
        }
        return await self.hosted.fetch(request)
    }

    private func scheduledHandler(_ request: WorkerRequest) async -> WorkerResponse {
        let cron = Self.parameter("cron", in: request) ?? ""
        let time = Self.parameter("time", in: request).flatMap(Self.parseInt) ?? self.hosted.env.clock.now().epochMilliseconds
        let outcome = await self.hosted.runScheduled(cron: cron, scheduledTime: time)
        let status = outcome.isOK ? 200 : 500
        if Self.parameter("format", in: request) == "json" {
            return .json(["outcome": .string(outcome.outcome), "noRetry": .bool(outcome.noRetry)], status: status)
        }
        return .text(outcome.outcome, status: status)
    }

    private func checkHost(_ request: WorkerRequest) -> WorkerResponse? {
        let allowed: Set<String> = Set(["localhost", "127.0.0.1", "[::1]", "::1", "0.0.0.0"]).union(self.allowedHosts)
        func hostName(_ value: String) -> String {
            var text = Substring(value)
            if let scheme = text.range(of: "://") { text = text[scheme.upperBound...] }
            if text.hasPrefix("[") {
                return String(text[...(text.firstIndex(of: "]") ?? text.index(before: text.endIndex))])
            }
            return String(text.split(separator: ":", maxSplits: 1).first ?? "").lowercased()
        }
        if let host = request.headers["Host"], !allowed.contains(hostName(host)) {
            return .text("Invalid Host header", status: 403)
        }
        if let origin = request.headers["Origin"], !allowed.contains(hostName(origin)) {
            return .text("Invalid Origin header", status: 403)
        }
        return nil
    }

    static func parameter(_ name: String, in request: WorkerRequest) -> String? {
        request.searchParams.first { $0.name == name }?.value
    }

    /// JavaScript `parseInt(text)` (the shared layer's); `nil` for `NaN` or beyond 64 bits.
    static func parseInt(_ text: String) -> Int64? {
        let value = JavaScript.parseInt(text)
        guard value.isFinite, abs(value) < 9e18 else { return nil }
        return Int64(value)
    }
}
