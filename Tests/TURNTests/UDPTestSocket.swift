#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import STUN

/// Why a socket step failed: the test fails with this instead of hanging.
struct SocketTestError: Error, CustomStringConvertible {
    let description: String
}

/// A blocking UDP socket on 127.0.0.1 with a timeout on every receive: the client and peer side of
/// the end-to-end tests, deliberately not sharing any code with the server.
final class UDPTestSocket {
    private let descriptor: Int32
    let address: STUNTransportAddress

    struct Datagram {
        let bytes: [UInt8]
        let source: STUNTransportAddress
    }

    /// Bound to 127.0.0.1:`port` (0: a port the kernel picks).
    init(port: UInt16 = 0) throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_DGRAM, 0)
        #endif
        guard descriptor >= 0 else { throw SocketTestError(description: "socket() failed: errno \(errno)") }
        var local = Self.socketAddress(STUNTransportAddress(ip: .v4(0x7F00_0001), port: port))
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw SocketTestError(description: "bind() failed: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else {
            close(descriptor)
            throw SocketTestError(description: "getsockname() failed: errno \(errno)")
        }
        self.descriptor = descriptor
        self.address = Self.transportAddress(local)
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8], to destination: STUNTransportAddress) throws {
        var remote = Self.socketAddress(destination)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == bytes.count else { throw SocketTestError(description: "sendto() sent \(sent) of \(bytes.count): errno \(errno)") }
    }

    /// The next datagram within `timeout` seconds, or nil.
    func receive(timeout: Double = 2) -> Datagram? {
        let deadline = Self.monotonicMilliseconds() + Int64(timeout * 1000)
        while true {
            let left = deadline - Self.monotonicMilliseconds()
            guard left > 0 else { return nil }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(left))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var source = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &source) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, raw.baseAddress, raw.count, 0, $0, &length) }
                }
            }
            if count < 0 { continue }  // EINTR, or an ICMP error from an earlier send
            return Datagram(bytes: Array(buffer[0..<count]), source: Self.transportAddress(source))
        }
    }

    /// The next datagram, or a thrown error naming what was awaited.
    func expectDatagram(_ what: String, timeout: Double = 2) throws -> Datagram {
        guard let datagram = receive(timeout: timeout) else {
            throw SocketTestError(description: "no \(what) on \(address) within \(timeout) s")
        }
        return datagram
    }

    private static func socketAddress(_ address: STUNTransportAddress) -> sockaddr_in {
        guard case .v4(let ip) = address.ip else { preconditionFailure("IPv4 only") }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = address.port.bigEndian
        sin.sin_addr.s_addr = ip.bigEndian
        return sin
    }

    private static func transportAddress(_ sin: sockaddr_in) -> STUNTransportAddress {
        STUNTransportAddress(ip: .v4(UInt32(bigEndian: sin.sin_addr.s_addr)), port: UInt16(bigEndian: sin.sin_port))
    }

    private static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
