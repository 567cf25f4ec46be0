#if canImport(Glibc)
import Glibc
#endif
import STUN

/// One non-blocking UDP socket, owned: closed by `close()` or at deinit, whichever comes first.
///
/// A socket is used by one thread at a time; it may be handed to another (a reserved relay port
/// redeemed on another worker), which is why it is Sendable without a lock.
public final class DatagramSocket: @unchecked Sendable {
    public private(set) var descriptor: Int32
    /// The bound address (the kernel's port when 0 was asked).
    public private(set) var localAddress: STUNTransportAddress

    public struct Options: Sendable {
        /// SO_REUSEPORT: several sockets on one address, the kernel spreading 5-tuples over them
        /// (each must ask for it, under the same user).
        public var reusePort = false
        /// SO_RCVBUF / SO_SNDBUF in bytes (0: the system default; capped by net.core.*mem_max).
        public var receiveBufferBytes = 0
        public var sendBufferBytes = 0

        public init(reusePort: Bool = false, receiveBufferBytes: Int = 0, sendBufferBytes: Int = 0) {
            self.reusePort = reusePort
            self.receiveBufferBytes = receiveBufferBytes
            self.sendBufferBytes = sendBufferBytes
        }
    }

    /// A socket bound to `address`. IPv6 sockets are IPv6-only, so an IPv4 socket can share the
    /// port number.
    public init(boundTo address: STUNTransportAddress, options: Options = Options()) throws(DatagramIOError) {
        let family = address.ip.family == .ipv4 ? AF_INET : AF_INET6
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw DatagramIOError(.socket, errno: errno, subject: "\(address)") }
        self.descriptor = descriptor
        self.localAddress = address
        // From here on deinit closes the descriptor when a step throws. No SO_REUSEADDR: on Linux
        // it lets a second UDP socket bind a port in use, and a relay port must be its
        // allocation's alone.
        if options.reusePort { try setOption(SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT") }
        if options.receiveBufferBytes > 0 { try setOption(SOL_SOCKET, SO_RCVBUF, Int32(options.receiveBufferBytes), "SO_RCVBUF") }
        if options.sendBufferBytes > 0 { try setOption(SOL_SOCKET, SO_SNDBUF, Int32(options.sendBufferBytes), "SO_SNDBUF") }
        if family == AF_INET6 { try setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, "IPV6_V6ONLY") }
        var storage = sockaddr_storage()
        let length = address.write(to: &storage)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw DatagramIOError(.bind, errno: errno, subject: "\(address)") }
        var named = sockaddr_storage()
        var namedLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &named) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &namedLength) }
        }
        guard result == 0, let local = STUNTransportAddress(&named) else {
            throw DatagramIOError(.getsockname, errno: errno, subject: "\(address)")
        }
        localAddress = local
    }

    private func setOption(_ level: Int32, _ name: Int32, _ value: Int32, _ label: String) throws(DatagramIOError) {
        var value = value
        guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw DatagramIOError(.setsockopt, errno: errno, subject: label)
        }
    }

    public var isOpen: Bool { descriptor >= 0 }

    /// One datagram now (the control path: responses, not relayed data). False when the kernel
    /// refused it (send buffer full, no route): UDP gives no guarantee, the caller counts it.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: STUNTransportAddress) -> Bool {
        guard descriptor >= 0 else { return false }
        var storage = sockaddr_storage()
        let length = destination.write(to: &storage)
        let sent = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, length)
            }
        }
        return sent == bytes.count
    }

    @discardableResult
    public func send(_ bytes: [UInt8], to destination: STUNTransportAddress) -> Bool {
        bytes.withUnsafeBytes { send($0, to: destination) }
    }

    public func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    deinit { close() }
}
