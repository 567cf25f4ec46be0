import COpenSSL

/// The DTLS settings shared by many sessions: owns one `SSL_CTX`.
///
/// One context serves every session of a process (creating an `SSL` from it is thread-safe: its
/// reference counts are atomic). DTLS 1.2 is the floor (RFC 8827 6.5 requires DTLS 1.2 or later);
/// OpenSSL 3.0 has no DTLS 1.3, and Chromium falls back to 1.2.
public final class DTLSContext: @unchecked Sendable {
    let context: OpaquePointer
    public let certificate: DTLSCertificate
    /// Profiles in our order of preference; as DTLS server we pick the first the client offers.
    public let srtpProfiles: [SRTPProfile]

    public init(certificate: DTLSCertificate, srtpProfiles: [SRTPProfile] = SRTPProfile.allCases) throws(DTLSError) {
        OpenSSLErrorStack.clear()
        guard !srtpProfiles.isEmpty else { throw .contextSetupFailed(step: "srtp profiles", openSSL: ["empty list"]) }
        guard let context = SSL_CTX_new(DTLS_method()) else {
            throw .contextSetupFailed(step: "SSL_CTX_new", openSSL: OpenSSLErrorStack.drain())
        }
        self.context = context
        self.certificate = certificate
        self.srtpProfiles = srtpProfiles

        func check(_ ok: Bool, _ step: String) throws(DTLSError) {
            if !ok { throw .contextSetupFailed(step: step, openSSL: OpenSSLErrorStack.drain()) }
        }
        try check(sfu_SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION) == 1, "min protocol version")
        try check(SSL_CTX_use_certificate(context, certificate.certificate) == 1, "use certificate")
        try check(SSL_CTX_use_PrivateKey(context, certificate.key) == 1, "use private key")
        try check(SSL_CTX_check_private_key(context) == 1, "check private key")
        // ECDHE with ECDSA or RSA peers, AEAD first; no static RSA, no CBC-SHA1 unless the peer
        // can do nothing else (old Firefox releases).
        try check(
            SSL_CTX_set_cipher_list(
                context,
                "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                    + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                    + "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA") == 1, "cipher list")
        try check(sfu_SSL_CTX_set1_groups_list(context, "X25519:P-256:P-384") == 1, "groups")
        // RFC 5764 4.1.1. Note the inverted convention: this call returns 0 on success.
        let profileList = srtpProfiles.map(\.openSSLName).joined(separator: ":")
        try check(SSL_CTX_set_tlsext_use_srtp(context, profileList) == 0, "use_srtp \(profileList)")
        // Peers authenticate by the fingerprint in their SDP (RFC 8122 5), so the chain is not
        // validated; DTLSSession.verifyPeer compares the fingerprint instead. FAIL_IF_NO_PEER_CERT
        // makes a server demand the client's certificate.
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dtlsVerifyCallback)
        // We fragment to our own MTU setting rather than asking a socket we do not have.
        _ = sfu_SSL_CTX_set_options(context, sfu_SSL_OP_NO_QUERY_MTU() | sfu_SSL_OP_NO_TICKET())
    }

    deinit { SSL_CTX_free(context) }
}

/// OpenSSL's certificate verification hook: hands the leaf certificate to its session, which
/// checks it against the SDP fingerprint. Returning 0 fails the handshake with a bad_certificate
/// alert, so a mismatch never completes.
private let dtlsVerifyCallback: @convention(c) (Int32, OpaquePointer?) -> Int32 = { _, store in
    guard let store,
        let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
        let sessionPointer = SSL_get_ex_data(OpaquePointer(ssl), 0)
    else { return 0 }
    // Only the leaf (depth 0) is the peer's own certificate; WebRTC peers send no chain.
    guard X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }
    guard let certificate = X509_STORE_CTX_get_current_cert(store) else { return 0 }
    let session = Unmanaged<DTLSSession>.fromOpaque(sessionPointer).takeUnretainedValue()
    return session.verifyPeer(certificate) ? 1 : 0
}
