import COpenSSL
import SDP
@testable import Transport

/// An independent DTLS endpoint for in-memory tests: plain OpenSSL with memory BIOs, none of
/// the transport's own DTLS code. Each drained write buffer is treated as one datagram.
final class PlainOpenSSLPeer {
    let context: OpaquePointer
    let ssl: OpaquePointer
    let readBIO: OpaquePointer
    let writeBIO: OpaquePointer
    let certificate: DTLSCertificate
    var peerFingerprint: Fingerprint?

    init(isClient: Bool, srtpProfiles: String = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") throws {
        certificate = try DTLSCertificate.generate(commonName: "plain-peer")
        context = SSL_CTX_new(DTLS_method())!
        precondition(SSL_CTX_use_certificate(context, certificate.certificate) == 1)
        precondition(SSL_CTX_use_PrivateKey(context, certificate.key) == 1)
        precondition(SSL_CTX_set_tlsext_use_srtp(context, srtpProfiles) == 0)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { _, _ in 1 }
        ssl = SSL_new(context)!
        readBIO = BIO_new(BIO_s_mem())!
        writeBIO = BIO_new(BIO_s_mem())!
        // BIO_set_mem_eof_return(b, -1): an empty read means "retry", not end of file.
        _ = BIO_ctrl(readBIO, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        _ = BIO_ctrl(writeBIO, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        SSL_set_bio(ssl, readBIO, writeBIO)
        if isClient { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Runs the handshake one step; true when complete.
    @discardableResult
    func step() -> Bool {
        let result = SSL_do_handshake(ssl)
        if result == 1, peerFingerprint == nil, let peer = SSL_get1_peer_certificate(ssl) {
            peerFingerprint = try? Fingerprint.of(peer, algorithm: "sha-256")
            X509_free(peer)
        }
        return result == 1
    }

    func receive(_ datagram: [UInt8]) {
        _ = datagram.withUnsafeBytes { BIO_write(readBIO, $0.baseAddress, Int32($0.count)) }
        if SSL_is_init_finished(ssl) == 1 {
            var buffer = [UInt8](repeating: 0, count: 2048)
            _ = SSL_read(ssl, &buffer, Int32(buffer.count))
        } else {
            step()
        }
    }

    /// What OpenSSL wrote since the last call, as one datagram (nil when nothing).
    func drain() -> [UInt8]? {
        let pending = BIO_ctrl(writeBIO, BIO_CTRL_PENDING, 0, nil)
        guard pending > 0 else { return nil }
        var out = [UInt8](repeating: 0, count: pending)
        let read = BIO_read(writeBIO, &out, Int32(pending))
        return read > 0 ? Array(out.prefix(Int(read))) : nil
    }

    var selectedProfile: SRTPProfile? {
        guard let p = SSL_get_selected_srtp_profile(ssl) else { return nil }
        return SRTPProfile(identifier: UInt16(truncatingIfNeeded: p.pointee.id))
    }

    func exportSRTPBlock(_ profile: SRTPProfile) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: SRTPKeyingMaterial.exportLength(for: profile))
        let label = "EXTRACTOR-dtls_srtp"
        let ok = block.withUnsafeMutableBufferPointer {
            SSL_export_keying_material(ssl, $0.baseAddress, $0.count, label, label.utf8.count, nil, 0, 0)
        }
        precondition(ok == 1)
        return block
    }

    func sendCloseNotify() { _ = SSL_shutdown(ssl) }
}
