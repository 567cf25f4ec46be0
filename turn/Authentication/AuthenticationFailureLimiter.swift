import NIOConcurrencyHelpers
import STUN

/// Counts failed authentications in a fixed window, per client IP and user name, and per client
/// IP in all. Past a limit the relay drops the requests unanswered until the window ends, so
/// password guessing is slow and costs the server nothing. Per user name, because many honest
/// clients can share one address (patients behind a hospital's NAT): one of them mistyping a
/// password does not lock the others out; the per-address total (ten times the limit) still stops
/// a guesser that rotates names. Touched only on failures and on requests from a limited client,
/// never on the data path.
public final class AuthenticationFailureLimiter: Sendable {
    private struct Entry { var windowStart: UInt32; var failures: Int }
    private struct Key: Hashable { let ip: IPAddress; let username: String }
    private struct State {
        var perUser: [Key: Entry] = [:]
        var perAddress: [IPAddress: Entry] = [:]
    }
    private let state = NIOLockedValueBox(State())
    private let limit: Int
    private let window: UInt32

    /// How many more failures one address may make in all, over every user name.
    static let addressFactor = 10

    public init(limit: Int, windowSeconds: Int) {
        self.limit = limit
        self.window = UInt32(windowSeconds)
    }

    /// True when `client` (for `username`, when known) has used up its failures in the window.
    public func isLimited(_ client: IPAddress, username: String? = nil, now: UInt32) -> Bool {
        state.withLockedValue { state in
            if Self.current(&state.perAddress, client, now: now, window: window) >= limit * Self.addressFactor { return true }
            return Self.current(&state.perUser, Key(ip: client, username: username ?? ""), now: now, window: window) >= limit
        }
    }

    public func recordFailure(_ client: IPAddress, username: String? = nil, now: UInt32) {
        state.withLockedValue { state in
            Self.add(&state.perAddress, client, now: now, window: window)
            Self.add(&state.perUser, Key(ip: client, username: username ?? ""), now: now, window: window)
            // Bounded memory: forget finished windows when the tables grow.
            if state.perUser.count > 10_000 { state.perUser = state.perUser.filter { now &- $0.value.windowStart < window } }
            if state.perAddress.count > 10_000 { state.perAddress = state.perAddress.filter { now &- $0.value.windowStart < window } }
        }
    }

    private static func current<K: Hashable>(_ table: inout [K: Entry], _ key: K, now: UInt32, window: UInt32) -> Int {
        guard let entry = table[key] else { return 0 }
        if now &- entry.windowStart >= window {
            table[key] = nil
            return 0
        }
        return entry.failures
    }

    private static func add<K: Hashable>(_ table: inout [K: Entry], _ key: K, now: UInt32, window: UInt32) {
        if var entry = table[key], now &- entry.windowStart < window {
            entry.failures += 1
            table[key] = entry
        } else {
            table[key] = Entry(windowStart: now, failures: 1)
        }
    }
}
