import CDatagram
import CNice
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The selected candidate pair's own UDP socket and remote address, for sending media without
/// going through the agent.
///
/// `nice_agent_send` takes the agent's lock, looks the component up and goes through GIO's
/// `g_socket_send_message` for every datagram; on a fan-out of one packet to many subscribers that
/// is a fixed cost per copy. When the selected pair's local candidate is not relayed (host,
/// server- or peer-reflexive: their base is a plain UDP socket, RFC 8445 5.1.1.1),
/// `nice_agent_get_selected_socket` hands out that socket, and a datagram sent on it with
/// `sendto` to the remote candidate's address is byte for byte what libnice would have sent.
/// A relayed local candidate (TURN) gets no socket here: libnice has to wrap its datagrams in
/// Send indications or ChannelData, so those pairs keep using the agent.
///
/// Holds one GObject reference on the GSocket, so the memory stays valid while held; libnice
/// closes the socket itself when it drops the component (`g_socket_close`), which
/// `g_socket_is_closed` sees before every send, so a closed socket's number, perhaps reused by
/// then, is never written to. Used on the agent's worker thread only, like the agent.
final class SelectedPairSocket: HeldSendSocket {
    private let socket: UnsafeMutablePointer<GSocket>
    let descriptor: Int32
    /// The remote candidate's address, allocated once (a stored struct would need an exclusive
    /// access check on every send).
    private let remote: UnsafeMutablePointer<sockaddr_storage>
    private let remoteLength: socklen_t
    /// Where a peeked datagram's source address is written (allocated once, like `remote`).
    private let source: UnsafeMutablePointer<sockaddr_storage>

    /// The selected pair's socket of `agent`'s stream component 1, or nil when there is no
    /// selected pair yet or its local candidate is relayed.
    init?(agent: OpaquePointer, streamID: guint) {
        var local: UnsafeMutablePointer<NiceCandidate>?
        var remoteCandidate: UnsafeMutablePointer<NiceCandidate>?
        guard nice_agent_get_selected_pair(agent, streamID, 1, &local, &remoteCandidate) != 0,
            let local, let remoteCandidate, local.pointee.type != NICE_CANDIDATE_TYPE_RELAYED,
            let socket = nice_agent_get_selected_socket(agent, streamID, 1)
        else { return nil }
        let descriptor = g_socket_get_fd(socket)
        let family = withUnsafePointer(to: &remoteCandidate.pointee.addr) { nice_address_ip_version($0) }
        guard descriptor >= 0, family == 4 || family == 6 else {
            g_object_unref(UnsafeMutableRawPointer(socket))
            return nil
        }
        self.socket = socket
        self.descriptor = descriptor
        remoteLength = socklen_t(family == 4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
        remote = .allocate(capacity: 1)
        remote.initialize(to: sockaddr_storage())
        source = .allocate(capacity: 1)
        source.initialize(to: sockaddr_storage())
        remote.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            withUnsafePointer(to: &remoteCandidate.pointee.addr) { nice_address_copy_to_sockaddr($0, address) }
        }
    }

    deinit {
        remote.deallocate()
        source.deallocate()
        g_object_unref(UnsafeMutableRawPointer(socket))
    }

    /// Whether libnice still has the socket open.
    var isOpen: Bool { g_socket_is_closed(socket) == 0 }

    var segmentationRefused = false
    var remoteAddress: UnsafePointer<sockaddr> { UnsafeRawPointer(remote).assumingMemoryBound(to: sockaddr.self) }
    var remoteAddressLength: socklen_t { remoteLength }

    /// How long ago the kernel received the last datagram read from this socket (SIOCGSTAMPNS
    /// against CLOCK_REALTIME), or nil when unknown: the time a datagram waited in the socket's
    /// queue while the worker was busy is part of its forwarding latency, and only the kernel
    /// saw it arrive. The first call switches timestamps on, so the first datagram has none.
    func lastReceiveAgeNanoseconds() -> Int64? {
        guard g_socket_is_closed(socket) == 0 else { return nil }
        var stamp: Int64 = 0
        guard cdatagram_last_receive_time(descriptor, &stamp) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let age = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) - stamp
        // A stamp a second old is another datagram's (or the clock was stepped): not this one.
        return age >= 0 && age < 1_000_000_000 ? age : nil
    }

    /// Reads the datagrams queued on the socket (at most 32, the loop comes back for more) and
    /// hands each to `deliver`, while they are media for this pair: true when the queue is
    /// empty or the batch is done; false, with the datagram left in place, when the next is
    /// libnice's (STUN, RFC 7983 first byte 0-3: connectivity and consent checks; or from an
    /// address other than the selected remote, which libnice may know as a new candidate), or
    /// when libnice has closed the socket. The first byte and source are peeked before the read.
    func receive(into buffer: UnsafeMutableRawBufferPointer, _ deliver: (UnsafeRawBufferPointer) -> Void) -> Bool {
        var head: UInt8 = 0
        for _ in 0..<32 {
            guard g_socket_is_closed(socket) == 0 else { return false }
            var sourceLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            // MSG_TRUNC: the datagram's whole length, though one byte is copied.
            let length = source.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                recvfrom(descriptor, &head, 1, Int32(MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC), address, &sourceLength)
            }
            if length < 0 { return errno == EAGAIN || errno == EWOULDBLOCK }
            // Empty, or longer than the buffer (a DTLS flight a peer did not split): libnice's,
            // which reads up to 64 KiB.
            guard length > 0, length <= buffer.count, head > 3, sourceIsRemote else { return false }
            let received = recv(descriptor, buffer.baseAddress, length, Int32(MSG_DONTWAIT))
            if received < 0 { return errno == EAGAIN || errno == EWOULDBLOCK }
            deliver(UnsafeRawBufferPointer(start: buffer.baseAddress, count: received))
        }
        return true
    }

    /// Whether the last peeked datagram's source is the selected remote candidate's address and port.
    private var sourceIsRemote: Bool {
        guard source.pointee.ss_family == remote.pointee.ss_family else { return false }
        let received = UnsafeRawPointer(source), expected = UnsafeRawPointer(remote)
        if source.pointee.ss_family == sa_family_t(AF_INET) {
            // sin_port and sin_addr: bytes 2..<8.
            return memcmp(received + 2, expected + 2, 6) == 0
        }
        // sin6_port (2..<4) and sin6_addr (8..<24); not the flow label or scope.
        return memcmp(received + 2, expected + 2, 2) == 0 && memcmp(received + 8, expected + 8, 16) == 0
    }

    /// Sends one datagram to the remote candidate without blocking: nil if libnice has closed the
    /// socket (send through the agent instead), else whether the kernel took it (a full send
    /// buffer drops the datagram, as UDP does).
    @inline(__always)
    func send(_ datagram: UnsafeRawBufferPointer) -> Bool? {
        guard g_socket_is_closed(socket) == 0 else { return nil }
        let sent = remote.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            sendto(descriptor, datagram.baseAddress, datagram.count, Int32(MSG_DONTWAIT), address, remoteLength)
        }
        return sent == datagram.count
    }
}
