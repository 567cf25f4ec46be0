import COpenSSL
import SDP
import Foundation

/// The server's DTLS identity: one ECDSA P-256 key and its self-signed certificate.
///
/// WebRTC authenticates DTLS by fingerprint, not by a CA chain (RFC 8827 6.5), so a self-signed
/// certificate generated at start-up is the norm; operators may load their own from PEM files.
/// Owns one `EVP_PKEY` and one `X509`, freed in `deinit`. Immutable once built, so it may be
/// shared by every worker's DTLS context.
public final class DTLSCertificate: @unchecked Sendable {
    let key: OpaquePointer
    let certificate: OpaquePointer
    /// SHA-256 fingerprint for `a=fingerprint` (RFC 8122 5; sha-256 is what browsers send).
    public let fingerprint: Fingerprint

    private init(key: OpaquePointer, certificate: OpaquePointer) throws(DTLSError) {
        self.key = key
        self.certificate = certificate
        do {
            fingerprint = try Fingerprint.of(certificate, algorithm: "sha-256")
        } catch {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw error
        }
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    /// Generates a fresh ECDSA P-256 key and a self-signed certificate valid from a day ago for
    /// `validityDays` (a day of slack tolerates peers whose clocks run behind).
    public static func generate(commonName: String = "swift-sfu", validityDays: Int = 30) throws(DTLSError) -> DTLSCertificate {
        OpenSSLErrorStack.clear()
        guard let key = sfu_EVP_EC_gen_p256() else {
            throw .certificateGenerationFailed(openSSL: OpenSSLErrorStack.drain())
        }
        guard let x509 = X509_new() else {
            EVP_PKEY_free(key)
            throw .certificateGenerationFailed(openSSL: OpenSSLErrorStack.drain())
        }
        var serial: UInt64 = 0
        withUnsafeMutableBytes(of: &serial) { _ = RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), 8) }
        let ok =
            X509_set_version(x509, 2) == 1
            && ASN1_INTEGER_set(X509_get_serialNumber(x509), Int(serial & 0x7FFF_FFFF_FFFF)) == 1
            && X509_gmtime_adj(X509_getm_notBefore(x509), -86_400) != nil
            && X509_gmtime_adj(X509_getm_notAfter(x509), validityDays * 86_400) != nil
            && X509_set_pubkey(x509, key) == 1
            && X509_NAME_add_entry_by_txt(X509_get_subject_name(x509), "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1
            && X509_set_issuer_name(x509, X509_get_subject_name(x509)) == 1
            && X509_sign(x509, key, EVP_sha256()) > 0
        guard ok else {
            let errors = OpenSSLErrorStack.drain()
            X509_free(x509)
            EVP_PKEY_free(key)
            throw .certificateGenerationFailed(openSSL: errors)
        }
        return try DTLSCertificate(key: key, certificate: x509)
    }

    /// Loads a PEM certificate and a PEM private key (the operator's own identity).
    public static func load(certificatePath: String, keyPath: String) throws(DTLSError) -> DTLSCertificate {
        OpenSSLErrorStack.clear()
        guard let certFile = fopen(certificatePath, "r") else {
            throw .certificateLoadFailed(path: certificatePath, openSSL: [String(cString: strerror(errno))])
        }
        let x509 = PEM_read_X509(certFile, nil, nil, nil)
        fclose(certFile)
        guard let x509 else { throw .certificateLoadFailed(path: certificatePath, openSSL: OpenSSLErrorStack.drain()) }
        guard let keyFile = fopen(keyPath, "r") else {
            X509_free(x509)
            throw .certificateLoadFailed(path: keyPath, openSSL: [String(cString: strerror(errno))])
        }
        let key = PEM_read_PrivateKey(keyFile, nil, nil, nil)
        fclose(keyFile)
        guard let key else {
            X509_free(x509)
            throw .certificateLoadFailed(path: keyPath, openSSL: OpenSSLErrorStack.drain())
        }
        guard X509_check_private_key(x509, key) == 1 else {
            let errors = OpenSSLErrorStack.drain()
            X509_free(x509)
            EVP_PKEY_free(key)
            throw .certificateLoadFailed(path: keyPath, openSSL: ["the key does not match the certificate"] + errors)
        }
        return try DTLSCertificate(key: key, certificate: x509)
    }

    /// The certificate and key as PEM text (to persist a generated identity).
    public func pem() -> (certificate: String, key: String) {
        func write(_ body: (OpaquePointer) -> Int32) -> String {
            guard let bio = BIO_new(BIO_s_mem()) else { return "" }
            defer { BIO_free(bio) }
            _ = body(bio)
            var pointer: UnsafeMutablePointer<CChar>?
            let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
            guard let pointer, length > 0 else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
        }
        return (write { PEM_write_bio_X509($0, certificate) },
                write { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) })
    }
}
