@testable import STUN
import Testing

@Suite struct IPAddressTests {
    /// Text in, RFC 5952 text out.
    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::", "::"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("::1", "::1"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("::FFFF:7f00:1", "::ffff:127.0.0.1"),
        ("0:0:0:0:0:ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("fe80::1", "fe80::1"),
        ("FE80:0:0:0:0:0:0:1", "fe80::1"),
        ("1::", "1::"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // RFC 5952 4.2.2: one 0 group stays
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // 4.2.3: the first of equal runs
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // 4.2.3: the longest run
        ("2001:db8::0:1", "2001:db8::1"),
        ("ff02::1", "ff02::1"),
        ("2001:db8:1234:5678:11:2233:4455:6677", "2001:db8:1234:5678:11:2233:4455:6677"),
        ("2001:db8::192.0.2.33", "2001:db8::c000:221"),
        // Deprecated IPv4-compatible addresses are written in hex, not as "::ffff:".
        ("::192.0.2.33", "::c000:221"),
        ("::2", "::2"),
        ("1.2.3.4", "1.2.3.4"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("192.0.2.1", "192.0.2.1"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ])
    func parseAndFormat(text: String, formatted: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == formatted)
        #expect(IPAddress(formatted) == address)
        #expect(IPAddress(bytes: address.bytes) == address)
        #expect(address.bytes.count == (address.family == .ipv4 ? 4 : 16))
    }

    @Test(arguments: [
        "1.2.3", "256.1.1.1", "1.2.3.4.5", "::1::2", "g::1", "01234::", "", ":", ":::", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7", "1::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "::1:", ":1::", "1:::2", "12345::",
        "1.2.3.4:", "1.2.3.4::", "::1.2.3", "::1.2.3.4:5", "::256.0.0.1", "1..2.3", ".1.2.3", "1.2.3.", "1234.1.1.1",
        "0x1.2.3.4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/32", "fe80::1%eth0", "[::1]", "::1 ", "localhost",
        "+1.2.3.4", "1.2.3.-0", "1.+2.3.4", "+1::", "::-1", "::+ff", "1:2:3:4:5:6:7:-8", "１.2.3.4",
        "1:2:3:4:5:6:1.2.3.4:8", "1:2:3:4:5:6:7:1.2.3.4", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:1",
    ])
    func rejectsJunk(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func bytes() {
        #expect(IPAddress(bytes: [192, 0, 2, 1]) == .v4(0xC000_0201))
        #expect(IPAddress.v4(0xC000_0201).bytes == [192, 0, 2, 1])
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 15) + [1]) == .v6(0, 1))
        #expect(IPAddress.v6(0x2001_0DB8_0000_0000, 1).bytes == hex("20010db8 00000000 00000000 00000001"))
        for count in [0, 1, 3, 5, 8, 15, 17, 32] {
            #expect(IPAddress(bytes: [UInt8](repeating: 1, count: count)) == nil)
        }
        #expect(IPAddress("1.2.3.4")?.family == .ipv4)
        #expect(IPAddress("::ffff:1.2.3.4")?.family == .ipv6)
    }

    @Test func substringInput() {
        let text = "[2001:db8::1]:3478"
        #expect(IPAddress(text.dropFirst().prefix(11)) == IPAddress("2001:db8::1"))
    }

    // MARK: Classification

    enum Class: CaseIterable { case loopback, privateUse, linkLocal, unspecified, thisNetwork, multicast, reserved }

    static func classes(_ address: IPAddress) -> Set<Class> {
        var out: Set<Class> = []
        if address.isLoopback { out.insert(.loopback) }
        if address.isPrivate { out.insert(.privateUse) }
        if address.isLinkLocal { out.insert(.linkLocal) }
        if address.isUnspecified { out.insert(.unspecified) }
        if address.isThisNetwork { out.insert(.thisNetwork) }
        if address.isMulticast { out.insert(.multicast) }
        if address.isReservedV4 { out.insert(.reserved) }
        return out
    }

    @Test(arguments: [
        ("127.0.0.1", [Class.loopback]), ("127.255.255.254", [.loopback]), ("::1", [.loopback]),
        ("10.0.0.1", [.privateUse]), ("10.255.255.255", [.privateUse]), ("172.16.5.4", [.privateUse]), ("172.31.255.255", [.privateUse]),
        ("192.168.1.1", [.privateUse]), ("100.64.0.1", [.privateUse]), ("100.127.255.255", [.privateUse]),
        ("fd00::1", [.privateUse]), ("fc00::1", [.privateUse]),
        ("169.254.169.254", [.linkLocal]), ("fe80::1", [.linkLocal]), ("febf:ffff::1", [.linkLocal]),
        ("0.0.0.0", [.unspecified, .thisNetwork]), ("::", [.unspecified]), ("0.1.2.3", [.thisNetwork]),
        ("224.0.0.1", [.multicast]), ("239.255.255.255", [.multicast]), ("ff02::1", [.multicast]), ("ff0e::1", [.multicast]),
        ("240.0.0.1", [.reserved]), ("255.255.255.255", [.reserved]),
        // Public, and the neighbours of each block.
        ("8.8.8.8", []), ("1.1.1.1", []), ("2001:db8::1", []), ("2606:4700::1111", []),
        ("11.0.0.0", []), ("9.255.255.255", []), ("172.15.255.255", []), ("172.32.0.0", []), ("192.169.0.1", []),
        ("192.167.255.255", []), ("100.63.255.255", []), ("100.128.0.0", []), ("169.253.255.255", []), ("169.255.0.0", []),
        ("128.0.0.1", []), ("126.255.255.255", []), ("1.0.0.0", []), ("223.255.255.255", []),
        ("fe00::1", []), ("fbff::1", []), ("fec0::1", []), ("fe7f::1", []), ("feff::1", []), ("::2", []), ("::ffff:127.0.0.1", []),
    ] as [(String, [Class])])
    func classification(text: String, expected: [Class]) throws {
        let address = try #require(IPAddress(text))
        #expect(Self.classes(address) == Set(expected))
    }

    @Test(arguments: [
        ("::ffff:127.0.0.1", "127.0.0.1"), ("::ffff:10.0.0.1", "10.0.0.1"), ("::ffff:0.0.0.0", "0.0.0.0"),
        ("::ffff:169.254.169.254", "169.254.169.254"), ("::192.0.2.1", "192.0.2.1"),
    ])
    func ipv4Mapped(text: String, v4: String) throws {
        let address = try #require(IPAddress(text))
        let expected = try #require(IPAddress(v4))
        #expect(address.ipv4Mapped == expected)
        #expect(address.canonical == expected)
        #expect(Self.classes(address.canonical) == Self.classes(expected))
    }

    @Test(arguments: ["::", "::1", "2001:db8::1", "::fffe:127.0.0.1", "1::ffff:127.0.0.1", "127.0.0.1", "10.0.0.1"])
    func notMapped(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.ipv4Mapped == nil)
        #expect(address.canonical == address)
    }

    @Test func mappedLoopbackIsLoopbackOnceCanonical() {
        #expect(IPAddress("::ffff:127.0.0.1")!.canonical.isLoopback)
        #expect(IPAddress("::ffff:10.0.0.1")!.canonical.isPrivate)
    }

    // MARK: Networks

    @Test(arguments: [
        ("0.0.0.0/0", ["0.0.0.0", "255.255.255.255", "10.1.2.3"], ["::", "::ffff:10.1.2.3"]),
        ("10.0.0.0/8", ["10.0.0.0", "10.255.255.255", "10.1.2.3"], ["11.0.0.0", "9.255.255.255", "::ffff:10.1.2.3", "a00::"]),
        ("172.16.0.0/12", ["172.16.0.0", "172.31.255.255"], ["172.15.255.255", "172.32.0.0"]),
        ("10.1.2.3/8", ["10.0.0.0", "10.255.255.255"], ["11.1.2.3"]),
        ("192.0.2.1/32", ["192.0.2.1"], ["192.0.2.0", "192.0.2.2", "::ffff:192.0.2.1"]),
        ("192.0.2.1", ["192.0.2.1"], ["192.0.2.0"]),
        ("192.0.2.0/31", ["192.0.2.0", "192.0.2.1"], ["192.0.2.2"]),
        ("::/0", ["::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:1.2.3.4"], ["0.0.0.0", "1.2.3.4"]),
        ("fc00::/7", ["fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], ["fe00::", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]),
        ("2001:db8::/32", ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"], ["2001:db9::", "2001:db7:ffff::"]),
        ("2001:db8::/64", ["2001:db8::", "2001:db8::ffff:ffff:ffff:ffff"], ["2001:db8:0:1::", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"]),
        ("2001:db8::/65", ["2001:db8::7fff:ffff:ffff:ffff"], ["2001:db8::8000:0:0:0"]),
        ("2001:db8::/100", ["2001:db8::", "2001:db8::fff:ffff"], ["2001:db8::1000:0", "2001:db8::1:0:0:0", "2001:db8:0:1::"]),
        ("64:ff9b::/96", ["64:ff9b::1.2.3.4", "64:ff9b::ffff:ffff"], ["64:ff9b::1:0:0", "1.2.3.4"]),
        ("2001:db8::1/127", ["2001:db8::", "2001:db8::1"], ["2001:db8::2"]),
        ("2001:db8::1/128", ["2001:db8::1"], ["2001:db8::", "2001:db8::2", "2001:db8:0:0:8000::1", "0.0.0.1"]),
        ("::1", ["::1"], ["::", "127.0.0.1"]),
    ] as [(String, [String], [String])])
    func networkContains(network: String, inside: [String], outside: [String]) throws {
        let block = try #require(IPNetwork(network))
        for text in inside {
            #expect(block.contains(try #require(IPAddress(text))), "\(network) should contain \(text)")
        }
        for text in outside {
            #expect(!block.contains(try #require(IPAddress(text))), "\(network) should not contain \(text)")
        }
    }

    @Test func networkParsing() {
        #expect(IPNetwork("10.0.0.0/8")?.description == "10.0.0.0/8")
        #expect(IPNetwork("fd00::/8")?.description == "fd00::/8")
        #expect(IPNetwork("1.2.3.4")?.prefixLength == 32)
        #expect(IPNetwork("::1")?.prefixLength == 128)
        #expect(IPNetwork("0.0.0.0/0")?.prefixLength == 0)
        #expect(IPNetwork("::/128")?.prefixLength == 128)
        for junk in ["10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0.0/8/8", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/-0",
                     "10.0.0.0/ 8", "10.0.0.0/0008", "10.0.0.0/x", "10.0.0/8", "", "/", "fd00::/1000"] {
            #expect(IPNetwork(junk) == nil, "\(junk)")
        }
        #expect(IPNetwork(address: .v4(0), prefixLength: -1) == nil)
        #expect(IPNetwork(address: .v4(0), prefixLength: 33) == nil)
        #expect(IPNetwork(address: .v6(0, 0), prefixLength: 129) == nil)
        #expect(IPNetwork(address: .v6(0, 0), prefixLength: 33)?.prefixLength == 33)
    }
}
