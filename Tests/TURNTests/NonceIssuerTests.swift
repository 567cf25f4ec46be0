import STUN
import Testing
@testable import TURN

@Suite("NonceIssuer")
struct NonceIssuerTests {
    static let key = [UInt8](repeating: 7, count: 32)
    static let issuer = NonceIssuer(lifetime: 600, key: key)
    static let client = STUNTransportAddress(ip: ip("192.0.2.10"), port: 40000)

    static func at(_ text: String, _ port: UInt16 = 40000) -> STUNTransportAddress {
        STUNTransportAddress(ip: ip(text), port: port)
    }
    static let issued: UInt32 = 1_700_000_000

    @Test("valid for the same client within its lifetime")
    func validWithinLifetime() {
        let nonce = Self.issuer.issue(for: Self.client, now: Self.issued)
        #expect(nonce.utf8.count == NonceIssuer.length)
        for now in [Self.issued, Self.issued + 1, Self.issued + 300, Self.issued + 599] {
            #expect(Self.issuer.check(nonce, for: Self.client, now: now) == .valid, "at +\(now - Self.issued) s")
        }
        // Another issuer with the same key (another event loop, same server) accepts it too.
        #expect(NonceIssuer(lifetime: 600, key: Self.key).check(nonce, for: Self.client, now: Self.issued + 10) == .valid)
    }

    @Test("stale once the lifetime has passed")
    func staleAfterLifetime() {
        let nonce = Self.issuer.issue(for: Self.client, now: Self.issued)
        #expect(Self.issuer.check(nonce, for: Self.client, now: Self.issued + 600) == .stale)
        #expect(Self.issuer.check(nonce, for: Self.client, now: Self.issued + 100_000) == .stale)
    }

    @Test("stale from another client IP")
    func staleForAnotherClient() {
        let nonce = Self.issuer.issue(for: Self.client, now: Self.issued)
        #expect(Self.issuer.check(nonce, for: Self.at("192.0.2.11"), now: Self.issued) == .stale)
        #expect(Self.issuer.check(nonce, for: Self.at("2001:db8::10"), now: Self.issued) == .stale)
        let v6 = Self.issuer.issue(for: Self.at("2001:db8::10"), now: Self.issued)
        #expect(Self.issuer.check(v6, for: Self.at("2001:db8::10"), now: Self.issued) == .valid)
        #expect(Self.issuer.check(v6, for: Self.at("2001:db8::11"), now: Self.issued) == .stale)
    }

    @Test("stale from an issuer with another key")
    func staleWithAnotherKey() {
        let nonce = Self.issuer.issue(for: Self.client, now: Self.issued)
        #expect(NonceIssuer(lifetime: 600, key: [UInt8](repeating: 8, count: 32)).check(nonce, for: Self.client, now: Self.issued) == .stale)
    }

    @Test("stale when any one character is changed")
    func staleWhenTampered() {
        let nonce = Array(Self.issuer.issue(for: Self.client, now: Self.issued))
        for index in nonce.indices {
            var tampered = nonce
            tampered[index] = tampered[index] == "0" ? "1" : "0"
            #expect(Self.issuer.check(String(tampered), for: Self.client, now: Self.issued) == .stale, "changed at \(index)")
        }
    }

    @Test("stale when of the wrong length or not ours")
    func staleWrongLength() {
        let nonce = Self.issuer.issue(for: Self.client, now: Self.issued)
        #expect(Self.issuer.check(String(nonce.dropLast()), for: Self.client, now: Self.issued) == .stale)
        #expect(Self.issuer.check(nonce + "0", for: Self.client, now: Self.issued) == .stale)
        #expect(Self.issuer.check("", for: Self.client, now: Self.issued) == .stale)
        #expect(Self.issuer.check("f7ac6c7b6f0a4f3a", for: Self.client, now: Self.issued) == .stale)
        #expect(Self.issuer.check(String(repeating: "x", count: NonceIssuer.length), for: Self.client, now: Self.issued) == .stale)
        // Same length, multi-byte characters: must not crash or pass.
        #expect(Self.issuer.check(String(repeating: "é", count: NonceIssuer.length), for: Self.client, now: Self.issued) == .stale)
    }

    @Test("a nonce from more than 5 s in the future is stale")
    func futureNonces() {
        let nonce = Self.issuer.issue(for: Self.client, now: Self.issued)
        // Clock skew between loops up to 5 s is tolerated.
        #expect(Self.issuer.check(nonce, for: Self.client, now: Self.issued - 5) == .valid)
        #expect(Self.issuer.check(nonce, for: Self.client, now: Self.issued - 6) == .stale)
        #expect(Self.issuer.check(nonce, for: Self.client, now: Self.issued - 1000) == .stale)
    }

    @Test("the nonce announces PASSWORD-ALGORITHMS (RFC 8489 9.2: security feature bit 0)")
    func announcesPasswordAlgorithms() {
        let nonce = Self.issuer.issue(for: Self.client, now: Self.issued)
        #expect(nonce.hasPrefix("obMatJos2"))
        #expect(NonceIssuer.announcesPasswordAlgorithms(nonce))
        // "gAAA" is base64 of 0x80 0x00 0x00: the first bit of the 24 feature bits.
        #expect(nonce.dropFirst(9).hasPrefix("gAAA"))
        #expect(!NonceIssuer.announcesPasswordAlgorithms("abcdef0123456789"))
        #expect(!NonceIssuer.announcesPasswordAlgorithms("obMatJos2AAAA" + "0000000000000000000000000"))
    }

    @Test("stale from another source port, and different per port (RFC 8489 9.2.4)")
    func perPort() {
        let nonce = Self.issuer.issue(for: Self.client, now: Self.issued)
        #expect(Self.issuer.check(nonce, for: Self.at("192.0.2.10", 40001), now: Self.issued) == .stale)
        #expect(nonce != Self.issuer.issue(for: Self.at("192.0.2.10", 40001), now: Self.issued))
    }

    @Test("the short form announces nothing and is not the long one without its cookie")
    func shortForm() {
        let short = Self.issuer.issue(for: Self.client, now: Self.issued, announcingFeatures: false)
        #expect(short.utf8.count == NonceIssuer.shortLength && !NonceIssuer.announcesPasswordAlgorithms(short))
        #expect(Self.issuer.check(short, for: Self.client, now: Self.issued + 10) == .valid)
        let long = Self.issuer.issue(for: Self.client, now: Self.issued)
        #expect(Self.issuer.check(String(long.dropFirst(13)), for: Self.client, now: Self.issued) == .stale)
        #expect(Self.issuer.check("obMatJos2gAAA" + short, for: Self.client, now: Self.issued) == .stale)
    }

    @Test("nonces differ by time and client")
    func distinctNonces() {
        let a = Self.issuer.issue(for: Self.client, now: Self.issued)
        #expect(a == Self.issuer.issue(for: Self.client, now: Self.issued))
        #expect(a != Self.issuer.issue(for: Self.client, now: Self.issued + 1))
        #expect(a != Self.issuer.issue(for: Self.at("192.0.2.11"), now: Self.issued))
    }
}
