import Crypto

/// The key and HMAC that protect a message (RFC 8489 14.5, 14.6).
public enum STUNIntegrity: Sendable, Hashable {
    /// MESSAGE-INTEGRITY: HMAC-SHA1, 20 bytes.
    case sha1(key: [UInt8])
    /// MESSAGE-INTEGRITY-SHA256: HMAC-SHA256, written untruncated (32 bytes).
    case sha256(key: [UInt8])

    var attribute: (STUNAttributeType, Int) {
        switch self {
        case .sha1: (.messageIntegrity, 20)
        case .sha256: (.messageIntegritySHA256, 32)
        }
    }

    func authenticate(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .sha1(let key):
            Array(HMAC<Insecure.SHA1>.authenticationCode(for: bytes, using: SymmetricKey(data: key)))
        case .sha256(let key):
            Array(HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: key)))
        }
    }
}

/// PASSWORD-ALGORITHM values (RFC 8489 18.5): how the long-term key is derived from the password.
public enum STUNPasswordAlgorithm: UInt16, Sendable, Hashable, CaseIterable {
    case md5 = 0x0001
    case sha256 = 0x0002
}

/// Long-term credential keys (RFC 8489 9.2.2).
public enum STUNLongTermKey {
    /// key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password)) or the SHA-256 of
    /// the same string. The OpaqueString profile (RFC 8265) leaves ASCII unchanged; non-ASCII
    /// passwords are used as their UTF-8 bytes, as coturn does.
    public static func derive(username: String, realm: String, password: String,
                              algorithm: STUNPasswordAlgorithm = .md5) -> [UInt8] {
        let input = Array("\(username):\(realm):\(password)".utf8)
        switch algorithm {
        case .md5: return Array(Insecure.MD5.hash(data: input))
        case .sha256: return Array(SHA256.hash(data: input))
        }
    }

    /// The short-term key (RFC 8489 9.1.1): OpaqueString(password), here its UTF-8 bytes.
    public static func shortTerm(password: String) -> [UInt8] { Array(password.utf8) }
}

/// Keyed hashes the TURN REST credential scheme and nonces need, kept here so one module owns the
/// crypto calls.
public enum STUNKeyedHash {
    public static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}

/// CRC-32 (ISO-HDLC, polynomial 0xEDB88320 reflected), for FINGERPRINT (RFC 8489 14.7).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var c = UInt32(index)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
