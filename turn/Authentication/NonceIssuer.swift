import STUN

/// Stateless nonces (RFC 8489 9.2): the issue time and a MAC over it and the client's transport
/// address, so any relay worker can check a nonce without shared state, a nonce is useless from
/// another address, two source ports never share one (RFC 8489 9.2.4), and an old one is
/// answered 438 Stale Nonce.
///
/// Layout: optionally "obMatJos2" + the security feature set (RFC 8489 9.2: 24 bits, base64; here
/// bit 0, password algorithms), then 8 hex digits of the issue time and 16 hex digits of
/// HMAC-SHA256. The short form (no feature set) goes in answers that must stay small; its client
/// uses MD5 keys, as RFC 8489 9.2.4 prescribes for a nonce without the cookie.
public struct NonceIssuer: Sendable {
    static let cookie = "obMatJos2"
    /// Bit 0 set: the server supports PASSWORD-ALGORITHMS (RFC 8489 18.1).
    static let features = "gAAA"
    static let prefix = cookie + features
    static let shortLength = 8 + 16
    static let length = prefix.count + shortLength

    private let key: [UInt8]
    public let lifetime: UInt32

    public init(lifetime: UInt32, key: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }) {
        self.key = key
        self.lifetime = lifetime
    }

    public func issue(for client: STUNTransportAddress, now: UInt32, announcingFeatures: Bool = true) -> String {
        let time = Hex.encode([UInt8(now >> 24), UInt8((now >> 16) & 0xFF), UInt8((now >> 8) & 0xFF), UInt8(now & 0xFF)])
        return (announcingFeatures ? Self.prefix : "") + time + mac(time, client, announcingFeatures)
    }

    public enum Check: Equatable, Sendable {
        case valid
        /// Ours but older than the lifetime, or not ours at all: 438 with a fresh nonce.
        case stale
    }

    public func check(_ nonce: String, for client: STUNTransportAddress, now: UInt32) -> Check {
        let announces = Self.announcesPasswordAlgorithms(nonce)
        let body = Array(nonce.utf8.dropFirst(announces ? Self.prefix.utf8.count : 0))
        guard body.count == Self.shortLength else { return .stale }
        let time = String(decoding: body[0..<8], as: UTF8.self)
        let mac = String(decoding: body[8...], as: UTF8.self)
        guard let issued = UInt32(time, radix: 16), mac == self.mac(time, client, announces) else { return .stale }
        // A nonce from the future (beyond clock skew between loops) or past its lifetime is stale.
        guard issued <= now &+ 5 else { return .stale }
        if now > issued, now - issued >= lifetime { return .stale }
        return .valid
    }

    /// Whether this nonce told the client we support PASSWORD-ALGORITHMS.
    public static func announcesPasswordAlgorithms(_ nonce: String) -> Bool {
        nonce.hasPrefix(prefix)
    }

    private func mac(_ time: String, _ client: STUNTransportAddress, _ announcing: Bool) -> String {
        let message = Array(time.utf8) + client.ip.bytes + [UInt8(client.port >> 8), UInt8(client.port & 0xFF), announcing ? 1 : 0]
        let digest = STUNKeyedHash.hmacSHA256(key: key, message: message)
        return Hex.encode(digest.prefix(8))
    }
}
