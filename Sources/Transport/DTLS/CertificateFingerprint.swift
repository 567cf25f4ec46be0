import COpenSSL
import SDP

/// Certificate fingerprints (RFC 8122 5) are the SDP module's `Fingerprint`; computing one from a
/// certificate needs OpenSSL, so that part lives here.
extension Fingerprint {
    /// The OpenSSL digest for an RFC 8122 hash function name (RFC 3279 names).
    static func digest(for algorithm: String) -> OpaquePointer? {
        switch algorithm.lowercased() {
        case "sha-1": EVP_sha1()
        case "sha-224": EVP_sha224()
        case "sha-256": EVP_sha256()
        case "sha-384": EVP_sha384()
        case "sha-512": EVP_sha512()
        default: nil
        }
    }

    /// The fingerprint of `certificate` (an `X509`) with `algorithm`.
    static func of(_ certificate: OpaquePointer, algorithm: String) throws(DTLSError) -> Fingerprint {
        guard let md = digest(for: algorithm) else { throw .unsupportedFingerprintAlgorithm(algorithm) }
        var buffer = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, md, &buffer, &length) == 1 else {
            throw .certificateGenerationFailed(openSSL: OpenSSLErrorStack.drain())
        }
        return Fingerprint(algorithm: algorithm, bytes: Array(buffer.prefix(Int(length))))
    }
}
