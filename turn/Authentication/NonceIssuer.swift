import Foundation
import STUN

/// Stateless nonces (RFC 8489 9.2): the issue time and a MAC over it and the client's IP, so any
/// event loop can check a nonce without shared state, a nonce is useless from another address,
/// and an old one is answered 438 Stale Nonce.
///
/// Layout: "obMatJos2" + the security feature set (RFC 8489 9.2: 24 bits, base64; here bit 0,
/// password algorithms) + 8 hex digits of the issue time + 16 hex digits of HMAC-SHA256.
public struct NonceIssuer: Sendable {
    static let cookie = "obMatJos2"
    /// Bit 0 set: the server supports PASSWORD-ALGORITHMS (RFC 8489 18.1).
    static let features = "gAAA"
    static let length = cookie.count + features.count + 8 + 16

    private let key: [UInt8]
    public let lifetime: UInt32

    public init(lifetime: UInt32, key: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }) {
        self.key = key
        self.lifetime = lifetime
    }

    public func issue(for client: IPAddress, now: UInt32) -> String {
        let time = String(now, radix: 16).leftPadded(8)
        return Self.cookie + Self.features + time + mac(time, client)
    }

    public enum Check: Equatable, Sendable {
        case valid
        /// Ours but older than the lifetime, or not ours at all: 438 with a fresh nonce.
        case stale
    }

    public func check(_ nonce: String, for client: IPAddress, now: UInt32) -> Check {
        let utf8 = Array(nonce.utf8)
        guard utf8.count == Self.length, nonce.hasPrefix(Self.cookie + Self.features) else { return .stale }
        let time = String(decoding: utf8[13..<21], as: UTF8.self)
        let mac = String(decoding: utf8[21...], as: UTF8.self)
        guard let issued = UInt32(time, radix: 16), mac == self.mac(time, client) else { return .stale }
        // A nonce from the future (beyond clock skew between loops) or past its lifetime is stale.
        guard issued <= now &+ 5 else { return .stale }
        if now > issued, now - issued >= lifetime { return .stale }
        return .valid
    }

    /// Whether this nonce told the client we support PASSWORD-ALGORITHMS.
    public static func announcesPasswordAlgorithms(_ nonce: String) -> Bool {
        nonce.hasPrefix(cookie + features)
    }

    private func mac(_ time: String, _ client: IPAddress) -> String {
        let digest = STUNKeyedHash.hmacSHA256(key: key, message: Array(time.utf8) + client.bytes)
        return digest.prefix(8).map { String($0, radix: 16).leftPadded(2) }.joined()
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
