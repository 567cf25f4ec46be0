#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import STUN

/// SocketAddress <-> STUN's address values, without going through text (no allocation).
extension STUNTransportAddress {
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            let ip = IPAddress.v4(UInt32(bigEndian: v4.address.sin_addr.s_addr))
            self.init(ip: ip, port: UInt16(bigEndian: v4.address.sin_port))
        case .v6(let v6):
            var storage = v6.address.sin6_addr
            let ip = withUnsafeBytes(of: &storage) { raw -> IPAddress in
                let hi = raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
                let lo = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                return .v6(UInt64(bigEndian: hi), UInt64(bigEndian: lo))
            }
            self.init(ip: ip, port: UInt16(bigEndian: v6.address.sin6_port))
        default:
            return nil
        }
    }

    var socketAddress: SocketAddress {
        switch ip {
        case .v4(let a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = a.bigEndian
            return SocketAddress(sin, host: "")
        case .v6(let hi, let lo):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                raw.storeBytes(of: hi.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: lo.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            return SocketAddress(sin6, host: "")
        }
    }
}

extension IPAddress {
    /// The address of a NIO interface or socket address.
    init?(_ address: SocketAddress) {
        guard let transport = STUNTransportAddress(address) else { return nil }
        self = transport.ip
    }
}
