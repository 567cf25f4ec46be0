import CSRTP
import CSRTPCrypto

/// libsrtp2's global state, initialised exactly once per process (like mediasoup's DepLibSRTP).
///
/// `srtp_init` registers the crypto kernel's ciphers and runs their self tests; it must precede
/// every other libsrtp2 call and is not safe to run concurrently with one. Right after it, the
/// kernel's AES-ICM (128 and 256), AES-GCM-128 and HMAC-SHA1 are replaced by the OpenSSL ones of
/// the CSRTPCrypto target, so every `SRTPSession` uses them: Debian's libsrtp2 does its crypto on
/// NSS, which allocates on the heap for every packet and is several times slower (docs/benchmarks.md).
/// Each replacement must pass its known-answer tests; if one does not, no session can be created
/// (a typed error), rather than silently running on NSS.
enum SRTPLibrary {
    /// Swift runs a global's initialiser once, thread-safely (dispatch_once semantics).
    private static let initResult: SRTPError? = {
        let status = srtp_init()
        guard status == srtp_err_status_ok else { return .libraryInitFailed(status: Int(status.rawValue)) }
        var failed: UnsafePointer<CChar>? = nil
        let registered = sfu_srtp_openssl_crypto_register(&failed)
        guard registered == 0 else {
            return .cryptoRegistrationFailed(type: failed.map { String(cString: $0) } ?? "unknown", status: Int(registered))
        }
        return nil
    }()

    static func ensureInitialized() throws(SRTPError) {
        if let error = initResult { throw error }
    }

    /// Whether libsrtp2's kernel hands out the OpenSSL types for AES-ICM-128, AES-GCM-128 and
    /// HMAC-SHA1 (for tests).
    static var usesOpenSSLCrypto: Bool {
        (try? ensureInitialized()) != nil && sfu_srtp_openssl_crypto_active() == 1
    }
}
