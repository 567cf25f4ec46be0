import STUN

/// Which peers a client may relay to (RFC 8656 21.2.3: a relay must not become a way into the
/// server's own networks). Refused unless allow-listed: loopback, unspecified, 0.0.0.0/8,
/// RFC 1918 and RFC 6598 private space, RFC 4193 unique-local, link-local (cloud metadata at
/// 169.254.169.254 among them), multicast, 240/4, and every address of the server itself. IPv4
/// inside IPv6 (::ffff:127.0.0.1, ::127.0.0.1) is judged as the IPv4 address it is
/// (coturn CVE-2020-26262).
public struct PeerAddressPolicy: Sendable {
    /// Blocks that are allowed even when a rule above refuses them (a test host's subnet, a
    /// private media network).
    public var allowed: [IPNetwork] = []
    /// Blocks refused in addition to the defaults.
    public var denied: [IPNetwork] = []
    /// The server's own addresses (filled at start from the interfaces).
    public var ownAddresses: Set<IPAddress> = []
    /// This SFU's media endpoints: always reachable, whatever the rules above say, because
    /// relaying clients to the SFU is why the bundled relay exists.
    public var mediaEndpoints: MediaEndpoints?

    public init() {}

    public struct MediaEndpoints: Sendable {
        /// The SFU's media addresses; empty means any address of this host (its media sockets
        /// listen on every interface).
        public var addresses: Set<IPAddress>
        public var ports: ClosedRange<UInt16>

        public init(addresses: Set<IPAddress>, ports: ClosedRange<UInt16>) {
            self.addresses = addresses
            self.ports = ports
        }
    }

    public enum Verdict: Equatable, Sendable {
        case allowed
        /// Only the SFU's media ports on this address (a permission is per IP, RFC 8656 9: the
        /// port is checked when data is sent).
        case mediaPortsOnly
        case refused(reason: String)
    }

    /// The verdict for a peer IP (CreatePermission, ChannelBind, Send).
    public func verdict(for address: IPAddress) -> Verdict {
        let ip = address.canonical
        // An IPv6 address that a translator turns into IPv4 is judged as that IPv4 address too:
        // NAT64 (RFC 6052 64:ff9b::/96, RFC 8215 64:ff9b:1::/48) and 6to4 (RFC 3056 2002::/16).
        if let embedded = Self.translatedIPv4(ip), let refusal = refusal(embedded),
           !allowed.contains(where: { $0.contains(embedded) || $0.contains(ip) }) {
            return .refused(reason: "\(refusal) inside \(ip)")
        }
        if let refusal = refusal(ip) {
            if allowed.contains(where: { $0.contains(ip) || $0.contains(address) }) { return .allowed }
            if let media = mediaEndpoints, isMediaAddress(ip, media) { return .mediaPortsOnly }
            return .refused(reason: refusal)
        }
        return .allowed
    }

    /// The verdict for a full peer transport address (ChannelBind, Send indications).
    public func verdict(for address: STUNTransportAddress) -> Verdict {
        switch verdict(for: address.ip) {
        case .allowed: return .allowed
        case .mediaPortsOnly:
            return mediaEndpoints!.ports.contains(address.port) ? .allowed : .refused(reason: "not one of the SFU's media ports")
        case .refused(let reason): return .refused(reason: reason)
        }
    }

    private func isMediaAddress(_ ip: IPAddress, _ media: MediaEndpoints) -> Bool {
        if media.addresses.isEmpty { return ownAddresses.contains(ip) || ip.isLoopback }
        return media.addresses.contains(ip)
    }

    static func translatedIPv4(_ ip: IPAddress) -> IPAddress? {
        guard case .v6(let hi, let lo) = ip else { return nil }
        if hi == 0x0064_FF9B_0000_0000, lo >> 32 == 0 { return .v4(UInt32(truncatingIfNeeded: lo)) }
        if hi >> 16 == 0x0064_FF9B_0001 { return .v4(UInt32(truncatingIfNeeded: lo)) }  // RFC 8215 local-use, /96 form
        if hi >> 48 == 0x2002 { return .v4(UInt32(truncatingIfNeeded: hi >> 16)) }
        return nil
    }

    private func refusal(_ ip: IPAddress) -> String? {
        if denied.contains(where: { $0.contains(ip) }) { return "denied by configuration" }
        if ip.isUnspecified { return "unspecified address" }
        if ip.isThisNetwork { return "0.0.0.0/8 reaches this host" }
        if ip.isLoopback { return "loopback" }
        if ip.isLinkLocal { return "link-local" }
        if ip.isPrivate { return "private address" }
        if ip.isMulticast { return "multicast" }
        if ip.isReservedV4 { return "reserved address" }
        if case .v6(let hi, _) = ip, hi >> 54 == 0x3FB { return "site-local (deprecated, RFC 3879)" }
        if ownAddresses.contains(ip) { return "the relay's own address" }
        return nil
    }
}
