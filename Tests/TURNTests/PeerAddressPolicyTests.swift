import STUN
import Testing
@testable import TURN

/// RFC 8656 21.2.3 and coturn CVE-2020-26262: what a relay refuses as a peer unless told otherwise.
@Suite("PeerAddressPolicy")
struct PeerAddressPolicyTests {
    static let ownAddress = "203.0.113.5"

    /// The policy a relay starts with, knowing one public address of its own.
    static func defaultPolicy() -> PeerAddressPolicy {
        var policy = PeerAddressPolicy()
        policy.ownAddresses = [ip(ownAddress)]
        return policy
    }

    @Test("refused by default", arguments: [
        "127.0.0.1", "127.1.2.3", "0.0.0.0", "0.1.2.3", "::", "::1", "::ffff:127.0.0.1", "::127.0.0.1",
        "::ffff:10.0.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "100.127.255.254",
        "169.254.169.254", "::ffff:169.254.169.254", "fe80::1", "febf::1", "fd00::1", "fc00::1", "224.0.0.1", "239.255.255.250",
        "ff02::1", "240.0.0.1", "255.255.255.255", ownAddress, "::ffff:" + ownAddress,
        // IPv4 behind translators: NAT64 (RFC 6052) and 6to4 (RFC 3056); deprecated site-local.
        "64:ff9b::127.0.0.1", "64:ff9b::10.0.0.1", "64:ff9b::169.254.169.254", "2002:7f00:1::1", "2002:a00:1::", "fec0::1",
    ])
    func refusedByDefault(_ text: String) {
        let verdict = Self.defaultPolicy().verdict(for: ip(text))
        #expect(verdict.isRefused, "\(text) should be refused, got \(verdict)")
    }

    @Test("public addresses allowed", arguments: ["8.8.8.8", "2001:4860::8888", "1.1.1.1", "172.32.0.1", "100.128.0.1", "::ffff:8.8.8.8",
                                                  "64:ff9b::8.8.8.8", "2002:808:808::1"])
    func publicAllowed(_ text: String) {
        #expect(Self.defaultPolicy().verdict(for: ip(text)) == .allowed)
        #expect(Self.defaultPolicy().verdict(for: STUNTransportAddress(ip: ip(text), port: 9)) == .allowed)
    }

    @Test("a transport address is judged by its IP")
    func transportAddressVerdicts() {
        let policy = Self.defaultPolicy()
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip("127.0.0.1"), port: 3478)).isRefused)
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip("::ffff:10.0.0.1"), port: 80)).isRefused)
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip("8.8.8.8"), port: 53)) == .allowed)
    }

    @Test("the allow-list overrides the defaults")
    func allowListOverrides() {
        var policy = Self.defaultPolicy()
        policy.allowed = [net("10.0.0.0/8"), net("fd00::/8"), net("127.0.0.0/8")]
        #expect(policy.verdict(for: ip("10.0.0.1")) == .allowed)
        #expect(policy.verdict(for: ip("10.255.1.2")) == .allowed)
        #expect(policy.verdict(for: ip("::ffff:10.0.0.1")) == .allowed)
        #expect(policy.verdict(for: ip("fd00::1")) == .allowed)
        #expect(policy.verdict(for: ip("127.0.0.1")) == .allowed)
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip("10.0.0.1"), port: 5000)) == .allowed)
        // Only what is listed.
        #expect(policy.verdict(for: ip("192.168.1.1")).isRefused)
        #expect(policy.verdict(for: ip("172.16.0.1")).isRefused)
        #expect(policy.verdict(for: ip("fe80::1")).isRefused)
        #expect(policy.verdict(for: ip("169.254.169.254")).isRefused)
    }

    @Test("the deny-list adds to the defaults")
    func denyListAdds() {
        var policy = Self.defaultPolicy()
        policy.denied = [net("8.8.8.0/24"), net("2001:4860::/32")]
        #expect(policy.verdict(for: ip("8.8.8.8")).isRefused)
        #expect(policy.verdict(for: ip("::ffff:8.8.8.8")).isRefused)
        #expect(policy.verdict(for: ip("2001:4860::8888")).isRefused)
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip("8.8.8.8"), port: 53)).isRefused)
        #expect(policy.verdict(for: ip("8.8.4.4")) == .allowed)
        #expect(policy.verdict(for: ip("127.0.0.1")).isRefused)
    }

    @Test("an own or private address among the SFU's media addresses is reachable on the media ports only")
    func mediaEndpoints() {
        var policy = Self.defaultPolicy()
        policy.mediaEndpoints = .init(addresses: [ip(Self.ownAddress), ip("10.1.2.3")], ports: 50000...50100)
        #expect(policy.verdict(for: ip(Self.ownAddress)) == .mediaPortsOnly)
        #expect(policy.verdict(for: ip("10.1.2.3")) == .mediaPortsOnly)
        #expect(policy.verdict(for: ip("::ffff:10.1.2.3")) == .mediaPortsOnly)
        // Other private addresses stay refused.
        #expect(policy.verdict(for: ip("10.1.2.4")).isRefused)
        #expect(policy.verdict(for: ip("127.0.0.1")).isRefused)

        for port: UInt16 in [50000, 50001, 50050, 50100] {
            #expect(policy.verdict(for: STUNTransportAddress(ip: ip("10.1.2.3"), port: port)) == .allowed)
            #expect(policy.verdict(for: STUNTransportAddress(ip: ip(Self.ownAddress), port: port)) == .allowed)
        }
        for port: UInt16 in [0, 22, 3478, 49999, 50101, 65535] {
            #expect(policy.verdict(for: STUNTransportAddress(ip: ip("10.1.2.3"), port: port)).isRefused, "port \(port)")
            #expect(policy.verdict(for: STUNTransportAddress(ip: ip(Self.ownAddress), port: port)).isRefused, "port \(port)")
        }
        // A public address is allowed on any port, media endpoint or not.
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip("8.8.8.8"), port: 53)) == .allowed)
    }

    @Test("an empty media address set means any own address or loopback")
    func emptyMediaAddressSet() {
        var policy = Self.defaultPolicy()
        policy.mediaEndpoints = .init(addresses: [], ports: 40000...40010)
        #expect(policy.verdict(for: ip(Self.ownAddress)) == .mediaPortsOnly)
        #expect(policy.verdict(for: ip("127.0.0.1")) == .mediaPortsOnly)
        #expect(policy.verdict(for: ip("127.0.0.53")) == .mediaPortsOnly)
        #expect(policy.verdict(for: ip("::1")) == .mediaPortsOnly)
        #expect(policy.verdict(for: ip("::ffff:127.0.0.1")) == .mediaPortsOnly)
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip("127.0.0.1"), port: 40005)) == .allowed)
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip("127.0.0.1"), port: 40011)).isRefused)
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip(Self.ownAddress), port: 40000)) == .allowed)
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip(Self.ownAddress), port: 22)).isRefused)
        // Not this host: still refused.
        #expect(policy.verdict(for: ip("10.0.0.1")).isRefused)
        #expect(policy.verdict(for: ip("192.168.1.1")).isRefused)
        #expect(policy.verdict(for: ip("169.254.169.254")).isRefused)
        #expect(policy.verdict(for: STUNTransportAddress(ip: ip("10.0.0.1"), port: 40005)).isRefused)
    }
}

extension PeerAddressPolicy.Verdict {
    var isRefused: Bool { if case .refused = self { true } else { false } }
}
