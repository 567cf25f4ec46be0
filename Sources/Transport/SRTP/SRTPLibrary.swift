import CSRTP

/// libsrtp2's global state, initialised exactly once per process (like mediasoup's DepLibSRTP).
///
/// `srtp_init` registers the crypto kernel's ciphers and runs their self tests; it must precede
/// every other libsrtp2 call and is not safe to run concurrently with one.
enum SRTPLibrary {
    /// Swift runs a global's initialiser once, thread-safely (dispatch_once semantics).
    private static let initResult: srtp_err_status_t = srtp_init()

    static func ensureInitialized() throws(SRTPError) {
        let status = initResult
        guard status == srtp_err_status_ok else { throw .libraryInitFailed(status: Int(status.rawValue)) }
    }
}
