/// An IPv4 or IPv6 address as a value: what STUN's address attributes carry (RFC 8489 14.1-14.2)
/// and what TURN's peer policy classifies (RFC 8656 21.2). No sockets here; the TURN server maps
/// it to and from its socket addresses.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Host-order bits, a.b.c.d = a<<24 | b<<16 | c<<8 | d.
    case v4(UInt32)
    /// The 128 bits as two host-order halves.
    case v6(UInt64, UInt64)

    public var family: STUNAddressFamily { if case .v4 = self { .ipv4 } else { .ipv6 } }

    /// Network-order bytes (4 or 16).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a):
            return [UInt8(a >> 24), UInt8(truncatingIfNeeded: a >> 16), UInt8(truncatingIfNeeded: a >> 8), UInt8(truncatingIfNeeded: a)]
        case .v6(let hi, let lo):
            var out = [UInt8](repeating: 0, count: 16)
            for i in 0..<8 {
                out[i] = UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64(i)))
                out[8 + i] = UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64(i)))
            }
            return out
        }
    }

    /// From 4 or 16 network-order bytes.
    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        switch b.count {
        case 4:
            self = .v4(UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
        case 16:
            var hi: UInt64 = 0
            var lo: UInt64 = 0
            for i in 0..<8 {
                hi = hi << 8 | UInt64(b[i])
                lo = lo << 8 | UInt64(b[8 + i])
            }
            self = .v6(hi, lo)
        default:
            return nil
        }
    }

    /// Parses dotted-quad IPv4 and RFC 4291 2.2 IPv6 text (with "::" and an embedded IPv4 tail).
    public init?(_ text: some StringProtocol) {
        if let v4 = Self.parseV4(Substring(text)) {
            self = .v4(v4)
            return
        }
        guard let bytes = Self.parseV6(Substring(text)) else { return nil }
        self.init(bytes: bytes)
    }

    public var description: String {
        switch self {
        case .v4(let a):
            return "\(a >> 24).\((a >> 16) & 0xFF).\((a >> 8) & 0xFF).\(a & 0xFF)"
        case .v6(let hi, let lo):
            // RFC 5952 5: only the IPv4-mapped form ::ffff:a.b.c.d is written in mixed notation;
            // a deprecated IPv4-compatible address (::a.b.c.d) is plain hex, not "::ffff:..."
            // (which would name a different address).
            if hi == 0, lo >> 32 == 0xFFFF { return "::ffff:\(IPAddress.v4(UInt32(truncatingIfNeeded: lo)))" }
            return Self.formatV6(bytes)
        }
    }

    // MARK: Classification (what a relay must not reach by default; RFC 8656 21.2.3)

    /// The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.5.2) or
    /// IPv4-compatible (::a.b.c.d, deprecated) IPv6 address: such a peer is really that IPv4 peer.
    public var ipv4Mapped: IPAddress? {
        guard case .v6(let hi, let lo) = self, hi == 0 else { return nil }
        if lo >> 32 == 0xFFFF { return .v4(UInt32(truncatingIfNeeded: lo)) }
        if lo >> 32 == 0, lo > 1 { return .v4(UInt32(truncatingIfNeeded: lo)) }
        return nil
    }

    /// The address a packet to this one would really reach: IPv4-mapped forms unwrapped.
    public var canonical: IPAddress { ipv4Mapped ?? self }

    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): a == 0
        case .v6(let hi, let lo): hi == 0 && lo == 0
        }
    }

    public var isLoopback: Bool {
        switch self {
        case .v4(let a): a >> 24 == 127
        case .v6(let hi, let lo): hi == 0 && lo == 1
        }
    }

    public var isMulticast: Bool {
        switch self {
        case .v4(let a): a >> 28 == 0xE
        case .v6(let hi, _): hi >> 56 == 0xFF
        }
    }

    public var isLinkLocal: Bool {
        switch self {
        case .v4(let a): a >> 16 == 0xA9FE  // 169.254/16
        case .v6(let hi, _): hi >> 54 == 0x3FA  // fe80::/10
        }
    }

    /// RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 shared space (100.64/10) and RFC 4193 fc00::/7.
    public var isPrivate: Bool {
        switch self {
        case .v4(let a):
            a >> 24 == 10 || a >> 20 == 0xAC1 || a >> 16 == 0xC0A8 || a >> 22 == (100 << 2 | 1)
        case .v6(let hi, _):
            hi >> 57 == 0x7E
        }
    }

    /// 0.0.0.0/8 ("this network", RFC 1122 3.2.1.3), which Linux routes to the local host.
    public var isThisNetwork: Bool {
        if case .v4(let a) = self { return a >> 24 == 0 }
        return false
    }

    /// 240.0.0.0/4 and the broadcast address.
    public var isReservedV4: Bool {
        if case .v4(let a) = self { return a >> 28 == 0xF }
        return false
    }

    // MARK: Text

    private static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            // Decimal digits only (RFC 3986 3.2.2 dec-octet): UInt32("+1") and UInt32("-0") would parse.
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit), let octet = UInt32(part), octet <= 255 else {
                return nil
            }
            value = value << 8 | octet
        }
        return value
    }

    private static func parseV6(_ text: Substring) -> [UInt8]? {
        guard text.count <= 45, text.contains(":") else { return nil }
        var groups: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ part: String, allowV4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if allowV4Tail, index == fields.count - 1, field.contains(".") {
                    guard let v4 = parseV4(field) else { return nil }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xFFFF))
                } else {
                    // Hex digits only (RFC 4291 2.2): UInt16("+f", radix: 16) would parse.
                    guard (1...4).contains(field.count), field.allSatisfy(\.isASCIIHexDigit),
                          let value = UInt16(field, radix: 16) else { return nil }
                    out.append(value)
                }
            }
            return out
        }
        if halves.count == 2 {
            sawGap = true
            guard let head = parseGroups(halves[0], allowV4Tail: false),
                  let rest = parseGroups(halves[1], allowV4Tail: true) else { return nil }
            groups = head
            tail = rest
            guard groups.count + tail.count <= 7 else { return nil }
        } else {
            guard let all = parseGroups(halves[0], allowV4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        var all = groups
        if sawGap { all += [UInt16](repeating: 0, count: 8 - groups.count - tail.count) + tail }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// RFC 5952 4: lowercase, leading zeros dropped, the longest run of two or more zero groups as "::".
    private static func formatV6(_ bytes: [UInt8]) -> String {
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength, i - runStart >= 2 { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String { range.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

/// An address block ("10.0.0.0/8", "fd00::/8"): the relay's allow- and deny-lists.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(address: IPAddress, prefixLength: Int) {
        let maxLength = address.family == .ipv4 ? 32 : 128
        guard (0...maxLength).contains(prefixLength) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// "a.b.c.d/n", "x::y/n", or a bare address (a host block).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(parts[0]) else { return nil }
        let maxLength = address.family == .ipv4 ? 32 : 128
        var length = maxLength
        if parts.count == 2 {
            guard (1...3).contains(parts[1].count), parts[1].allSatisfy(\.isASCIIDigit), let value = Int(parts[1]) else { return nil }
            length = value
        }
        self.init(address: address, prefixLength: length)
    }

    public func contains(_ other: IPAddress) -> Bool {
        switch (address, other) {
        case (.v4(let net), .v4(let a)):
            if prefixLength == 0 { return true }
            let mask: UInt32 = prefixLength == 32 ? .max : ~(UInt32.max >> UInt32(prefixLength))
            return net & mask == a & mask
        case (.v6(let nhi, let nlo), .v6(let hi, let lo)):
            if prefixLength <= 64 {
                let mask: UInt64 = prefixLength == 0 ? 0 : ~(prefixLength == 64 ? 0 : UInt64.max >> UInt64(prefixLength))
                return nhi & mask == hi & mask
            }
            let bits = prefixLength - 64
            let mask: UInt64 = bits == 64 ? .max : ~(UInt64.max >> UInt64(bits))
            return nhi == hi && nlo & mask == lo & mask
        default:
            return false
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

fileprivate extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
    var isASCIIHexDigit: Bool { isASCII && isHexDigit }
}

/// STUN's address family codes (RFC 8489 14.1; REQUESTED-ADDRESS-FAMILY, RFC 8656 18.8).
public enum STUNAddressFamily: UInt8, Sendable, Hashable {
    case ipv4 = 0x01
    case ipv6 = 0x02
}

/// An IP address and port: what XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS and XOR-RELAYED-ADDRESS carry.
public struct STUNTransportAddress: Hashable, Sendable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    public var description: String {
        ip.family == .ipv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)"
    }
}
