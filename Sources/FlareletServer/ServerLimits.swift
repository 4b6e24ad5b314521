import FlareletCore
import Foundation

/// What `flarelet dev` allows a client at the HTTP level (README "Limits and timeouts").
public struct ServerLimits: Sendable, Hashable {
    /// From connection open, or from the first byte of a following request, the whole request head must arrive
    /// within this many seconds (workerd's `headerTimeout`, 15 s). A connection that sent nothing is closed; one
    /// that sent part of a request gets `408 Request Timeout` first. A request body that stops arriving for this
    /// long is answered 408 as well.
    public var headerTimeout: Double
    /// After a response, an idle keep-alive connection is closed if no new request begins within this many
    /// seconds (workerd's `pipelineTimeout`, 5 s).
    public var idleTimeout: Double
    /// Request bodies above this many bytes get `413` (Cloudflare's Free/Pro limit, 100 MB).
    public var maxBodySize: Int
    /// The bytes of all request bodies being read or handled at once, across every hosted worker: a new body
    /// that does not fit gets `503` with `Retry-After`; bodies already accepted are not affected.
    public var bodyMemoryBudget: Int
    /// After a response that closes the connection, how long unread input is still drained before the socket
    /// is closed (so the client reads the response instead of a reset).
    public var lingerTimeout: Double

    /// Creates limits; the defaults are the documented ones.
    public init(
        headerTimeout: Double = 15,
        idleTimeout: Double = 5,
        maxBodySize: Int = 100 * 1024 * 1024,
        bodyMemoryBudget: Int = 256 * 1024 * 1024,
        lingerTimeout: Double = 2
    ) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxBodySize = maxBodySize
        self.bodyMemoryBudget = bodyMemoryBudget
        self.lingerTimeout = lingerTimeout
    }
}

/// The process-wide budget of request-body bytes held in memory (``ServerLimits/bodyMemoryBudget``).
public final class BodyMemoryBudget: Sendable {
    /// The budget in bytes.
    public let limit: Int
    private let used = LockedValue(0)

    /// Creates a budget of `limit` bytes.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Reserves `bytes`; `false` (nothing reserved) when they do not fit next to what is already reserved.
    public func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        return self.used.withLock { used in
            guard bytes <= self.limit - used else { return false }
            used += bytes
            return true
        }
    }

    /// Returns `bytes` reserved earlier.
    public func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        self.used.withLock { $0 = max(0, $0 - bytes) }
    }

    /// Bytes reserved right now.
    public var inUse: Int { self.used.withLock { $0 } }
}
