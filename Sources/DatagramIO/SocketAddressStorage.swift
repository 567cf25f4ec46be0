#if canImport(Glibc)
import Glibc
#endif
import STUN

/// sockaddr_in / sockaddr_in6 <-> STUN's transport address values, by field, without text or
/// allocation: the packet path converts every datagram's source.
extension STUNTransportAddress {
    /// The address in `storage`, nil for a family other than IPv4 and IPv6.
    @inline(__always)
    public init?(_ storage: UnsafePointer<sockaddr_storage>) {
        let raw = UnsafeRawPointer(storage)
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let sin = raw.assumingMemoryBound(to: sockaddr_in.self).pointee
            self.init(ip: .v4(UInt32(bigEndian: sin.sin_addr.s_addr)), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let port = raw.loadUnaligned(fromByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!, as: UInt16.self)
            let addressOffset = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
            let hi = raw.loadUnaligned(fromByteOffset: addressOffset, as: UInt64.self)
            let lo = raw.loadUnaligned(fromByteOffset: addressOffset + 8, as: UInt64.self)
            self.init(ip: .v6(UInt64(bigEndian: hi), UInt64(bigEndian: lo)), port: UInt16(bigEndian: port))
        default:
            return nil
        }
    }

    /// Writes this address into `storage` and returns its length.
    @inline(__always)
    public func write(to storage: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        let raw = UnsafeMutableRawPointer(storage)
        switch ip {
        case .v4(let address):
            let sin = raw.assumingMemoryBound(to: sockaddr_in.self)
            sin.pointee = sockaddr_in()
            sin.pointee.sin_family = sa_family_t(AF_INET)
            sin.pointee.sin_port = port.bigEndian
            sin.pointee.sin_addr.s_addr = address.bigEndian
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        case .v6(let hi, let lo):
            let sin6 = raw.assumingMemoryBound(to: sockaddr_in6.self)
            sin6.pointee = sockaddr_in6()
            sin6.pointee.sin6_family = sa_family_t(AF_INET6)
            sin6.pointee.sin6_port = port.bigEndian
            let addressOffset = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
            raw.storeBytes(of: hi.bigEndian, toByteOffset: addressOffset, as: UInt64.self)
            raw.storeBytes(of: lo.bigEndian, toByteOffset: addressOffset + 8, as: UInt64.self)
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }
}
