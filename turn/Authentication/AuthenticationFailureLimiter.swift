import NIOConcurrencyHelpers
import STUN

/// Counts failed authentications per client IP in a fixed window; past the limit the relay drops
/// that client's requests unanswered until the window ends, so password guessing is slow and
/// costs the server nothing. Touched only on failures and on requests from a limited client, never
/// on the data path.
public final class AuthenticationFailureLimiter: Sendable {
    private struct Entry { var windowStart: UInt32; var failures: Int }
    private let state = NIOLockedValueBox<[IPAddress: Entry]>([:])
    private let limit: Int
    private let window: UInt32

    public init(limit: Int, windowSeconds: Int) {
        self.limit = limit
        self.window = UInt32(windowSeconds)
    }

    /// True when `client` has used up its failures in the current window.
    public func isLimited(_ client: IPAddress, now: UInt32) -> Bool {
        state.withLockedValue { entries in
            guard let entry = entries[client] else { return false }
            if now &- entry.windowStart >= window {
                entries[client] = nil
                return false
            }
            return entry.failures >= limit
        }
    }

    public func recordFailure(_ client: IPAddress, now: UInt32) {
        state.withLockedValue { entries in
            if var entry = entries[client], now &- entry.windowStart < window {
                entry.failures += 1
                entries[client] = entry
            } else {
                entries[client] = Entry(windowStart: now, failures: 1)
            }
            // Bounded memory: forget finished windows when the table grows.
            if entries.count > 10_000 {
                entries = entries.filter { now &- $0.value.windowStart < window }
            }
        }
    }
}
