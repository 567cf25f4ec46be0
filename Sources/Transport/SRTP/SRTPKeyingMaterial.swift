/// The SRTP master keys and salts of both directions, as exported from a DTLS handshake.
///
/// RFC 5764 4.2: the exporter (label "EXTRACTOR-dtls_srtp") yields
/// `client_write_SRTP_master_key | server_write_SRTP_master_key | client_write_SRTP_master_salt |
/// server_write_SRTP_master_salt`. The DTLS client sends with the client key; the server with the
/// server key.
public struct SRTPKeyingMaterial: Sendable, Equatable {
    public let profile: SRTPProfile
    /// key || salt used to protect what we send.
    public let localKeyAndSalt: [UInt8]
    /// key || salt used to unprotect what the peer sends.
    public let remoteKeyAndSalt: [UInt8]

    public init(profile: SRTPProfile, localKeyAndSalt: [UInt8], remoteKeyAndSalt: [UInt8]) {
        self.profile = profile
        self.localKeyAndSalt = localKeyAndSalt
        self.remoteKeyAndSalt = remoteKeyAndSalt
    }

    /// The exporter output length for `profile`.
    public static func exportLength(for profile: SRTPProfile) -> Int {
        2 * (profile.keyLength + profile.saltLength)
    }

    /// Splits the exporter block (RFC 5764 4.2) into the two directions for our DTLS role.
    public init(profile: SRTPProfile, exported block: [UInt8], isClient: Bool) {
        precondition(block.count == Self.exportLength(for: profile))
        let k = profile.keyLength
        let s = profile.saltLength
        let clientKey = block[0..<k]
        let serverKey = block[k..<(2 * k)]
        let clientSalt = block[(2 * k)..<(2 * k + s)]
        let serverSalt = block[(2 * k + s)..<(2 * k + 2 * s)]
        let client = Array(clientKey) + Array(clientSalt)
        let server = Array(serverKey) + Array(serverSalt)
        self.init(profile: profile, localKeyAndSalt: isClient ? client : server, remoteKeyAndSalt: isClient ? server : client)
    }
}
