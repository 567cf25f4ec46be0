import Foundation

/// The DTLS-SRTP protection profiles this transport negotiates (RFC 5764 4.1.2, RFC 7714 14.2).
///
/// `aeadAES128GCM` is preferred whenever the peer offers it: it is authenticated encryption in
/// one pass and about half as costly per packet as AES-CM + HMAC-SHA1 (docs/benchmarks.md).
/// `aesCM128HMACSHA1_80` is what Chromium negotiates by default.
public enum SRTPProfile: String, Sendable, CaseIterable, CustomStringConvertible {
    case aeadAES128GCM = "AEAD_AES_128_GCM"
    case aesCM128HMACSHA1_80 = "AES_CM_128_HMAC_SHA1_80"

    /// The profile's name in OpenSSL's `use_srtp` list.
    public var openSSLName: String {
        switch self {
        case .aeadAES128GCM: "SRTP_AEAD_AES_128_GCM"
        case .aesCM128HMACSHA1_80: "SRTP_AES128_CM_SHA1_80"
        }
    }

    /// The 16-bit profile identifier of the use_srtp extension (RFC 5764 4.1.2, RFC 7714 14.2).
    public var identifier: UInt16 {
        switch self {
        case .aeadAES128GCM: 0x0007
        case .aesCM128HMACSHA1_80: 0x0001
        }
    }

    public init?(identifier: UInt16) {
        guard let profile = Self.allCases.first(where: { $0.identifier == identifier }) else { return nil }
        self = profile
    }

    /// Master key length in bytes.
    public var keyLength: Int { 16 }

    /// Master salt length in bytes: 112 bits for AES-CM (RFC 3711 8.2), 96 bits for GCM (RFC 7714 12).
    public var saltLength: Int {
        switch self {
        case .aeadAES128GCM: 12
        case .aesCM128HMACSHA1_80: 14
        }
    }

    /// Bytes an RTP packet grows by when protected (authentication tag).
    public var rtpOverhead: Int {
        switch self {
        case .aeadAES128GCM: 16
        case .aesCM128HMACSHA1_80: 10
        }
    }

    public var description: String { rawValue }

    /// Parses a comma-separated list such as "AEAD_AES_128_GCM,AES_CM_128_HMAC_SHA1_80".
    public static func parseList(_ text: String) throws(TransportConfigurationError) -> [SRTPProfile] {
        var profiles: [SRTPProfile] = []
        for name in text.split(separator: ",") {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let profile = SRTPProfile(rawValue: trimmed.uppercased()) else {
                throw .unknownSRTPProfile(trimmed)
            }
            if !profiles.contains(profile) { profiles.append(profile) }
        }
        guard !profiles.isEmpty else { throw .emptySRTPProfileList }
        return profiles
    }
}
