import DatagramIO
import NIOCore
import STUN

/// Where a client's traffic goes back to: the UDP listening socket and the client's address, or
/// the client's TCP/TLS connection (RFC 8656 2: the 5-tuple).
enum ClientSink {
    case datagram(listener: ListenerSocket, client: STUNTransportAddress)
    case stream(StreamClient)

    var isStream: Bool { if case .stream = self { true } else { false } }

    /// Whether the client can still be reached (a connection may have closed).
    var isOpen: Bool {
        switch self {
        case .datagram(let listener, _): listener.socket.isOpen
        case .stream(let stream): stream.isOpen
        }
    }

    /// A message to the client: at once over UDP, at the end of the round over a connection.
    func send(_ bytes: [UInt8], loop: TURNLoop) {
        switch self {
        case .datagram(let listener, let client):
            if !listener.socket.send(bytes, to: client) { loop.counters.dropped += 1 }
        case .stream(let stream):
            bytes.withUnsafeBytes { loop.write($0, to: stream) }
        }
    }
}

/// One TCP or TLS client connection, run by SwiftNIO on its event loop and served by one relay
/// worker: the handler posts what it reads to the worker, the worker writes back through
/// `channel` (NIO hops to the connection's loop). Everything but `channel` and the addresses is
/// the worker's.
final class StreamClient: @unchecked Sendable {
    let channel: any Channel
    let clientAddress: STUNTransportAddress
    let serverAddress: STUNTransportAddress
    var id: ObjectIdentifier { ObjectIdentifier(self) }
    var key: AllocationKey { .stream(connection: id) }
    /// A connection that has not allocated within this long is closed (coturn does the same), so
    /// idle sockets cannot pile up.
    static let allocateWithinSeconds: UInt32 = 60

    var isOpen = true
    var openedAt: UInt32 = 0
    /// Bytes written in this round, not yet handed to NIO.
    var pending: ByteBuffer?

    init(channel: any Channel, clientAddress: STUNTransportAddress, serverAddress: STUNTransportAddress) {
        self.channel = channel
        self.clientAddress = clientAddress
        self.serverAddress = serverAddress
    }
}

/// A permission (RFC 8656 9): lets datagrams from one peer IP through, for 300 s at a time.
struct Permission {
    var expiry: UInt32
    /// nil: any port. The SFU's media ports when the permission was granted only because the peer
    /// is this SFU's media address (a permission is per IP, RFC 8656 9, so the port is checked
    /// per datagram).
    var ports: ClosedRange<UInt16>?

    @inline(__always)
    func admits(port: UInt16) -> Bool { ports?.contains(port) ?? true }
}

/// A channel binding (RFC 8656 12): a 16-bit number standing for one peer transport address.
struct ChannelBinding {
    var peer: STUNTransportAddress
    var expiry: UInt32
}

/// One allocation (RFC 8656 2, 7): a relayed transport address on the server, owned by one client
/// 5-tuple, with its permissions and channels. Lives on one event loop with its relay socket and
/// the socket its client came in on, so relaying never hops threads.
final class Allocation {
    let sink: ClientSink
    let clientAddress: STUNTransportAddress
    /// The listener's address the client talks to (the server side of the 5-tuple).
    let serverAddress: STUNTransportAddress
    let username: String
    let identity: String
    let family: STUNAddressFamily
    let createdBy: STUNTransactionID
    /// The success response to the Allocate, for a retransmitted request (RFC 8656 7.2).
    var allocateResponse: [UInt8] = []
    var relaySocket: DatagramSocket?
    var relayAddress: STUNTransportAddress?
    var expiry: UInt32
    var permissions: [IPAddress: Permission] = [:]
    var channels: [UInt16: ChannelBinding] = [:]
    var channelByPeer: [STUNTransportAddress: UInt16] = [:]
    var toPeerBudget: TokenBucket
    var toClientBudget: TokenBucket
    var isClosed = false

    init(sink: ClientSink, clientAddress: STUNTransportAddress, serverAddress: STUNTransportAddress, username: String,
         identity: String, family: STUNAddressFamily, createdBy: STUNTransactionID, expiry: UInt32, bytesPerSecond: Int) {
        self.sink = sink
        self.clientAddress = clientAddress
        self.serverAddress = serverAddress
        self.username = username
        self.identity = identity
        self.family = family
        self.createdBy = createdBy
        self.expiry = expiry
        self.toPeerBudget = TokenBucket(bytesPerSecond: bytesPerSecond)
        self.toClientBudget = TokenBucket(bytesPerSecond: bytesPerSecond)
    }

    /// A permission for `ip` that has not expired at `now`.
    @inline(__always)
    func permission(for ip: IPAddress, now: UInt32) -> Permission? {
        guard let permission = permissions[ip], permission.expiry > now else { return nil }
        return permission
    }

    /// Drops expired permissions and channels (RFC 8656 9, 12: a binding outlives no refresh).
    func expire(now: UInt32) {
        permissions = permissions.filter { $0.value.expiry > now }
        for (number, binding) in channels where binding.expiry <= now {
            channels[number] = nil
            channelByPeer[binding.peer] = nil
        }
    }
}

/// Bytes per second with a one-second burst; 0 means unlimited.
struct TokenBucket {
    let rate: Int
    private var tokens: Int
    /// nil until the first packet: the clock is the machine's uptime, far from zero, and a
    /// refill measured from zero would hand a new allocation a second burst at once.
    private var lastRefill: UInt64?

    init(bytesPerSecond: Int) {
        rate = bytesPerSecond
        tokens = bytesPerSecond
    }

    /// Takes `bytes` if the budget allows. `nanoseconds` is a monotonic clock reading.
    @inline(__always)
    mutating func take(_ bytes: Int, nanoseconds: UInt64) -> Bool {
        if rate == 0 { return true }
        guard let last = lastRefill else {
            lastRefill = nanoseconds
            return take(bytes, nanoseconds: nanoseconds)
        }
        if tokens < bytes {
            let elapsed = nanoseconds &- last
            lastRefill = nanoseconds
            tokens = min(rate, tokens + Int(min(elapsed, 1_000_000_000) * UInt64(rate) / 1_000_000_000))
            if tokens < bytes { return false }
        }
        tokens -= bytes
        return true
    }
}
