import COpenSSL

/// A certificate fingerprint as carried in SDP `a=fingerprint` (RFC 8122 5): a hash function name
/// and the digest of the DER certificate, written as uppercase hex pairs joined by colons.
public struct CertificateFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// Lowercase hash function name as in the SDP ("sha-256").
    public let algorithm: String
    public let bytes: [UInt8]

    public init(algorithm: String, bytes: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.bytes = bytes
    }

    /// Parses "sha-256 AB:CD:..." (the attribute value).
    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        var bytes: [UInt8] = []
        for pair in parts[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard pair.count == 2, let byte = UInt8(pair, radix: 16) else { return nil }
            bytes.append(byte)
        }
        guard !bytes.isEmpty else { return nil }
        self.init(algorithm: String(parts[0]), bytes: bytes)
    }

    /// "AB:CD:…" in uppercase (RFC 8122 5 says the hex is uppercase).
    public var hexString: String {
        bytes.map { byte in
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined(separator: ":")
    }

    /// The attribute value: "sha-256 AB:CD:…".
    public var sdpValue: String { "\(algorithm) \(hexString)" }
    public var description: String { sdpValue }

    /// The OpenSSL digest for an RFC 8122 hash function name (its registry: RFC 3279 names).
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

    /// The fingerprint of `certificate` with `algorithm`.
    static func of(_ certificate: OpaquePointer, algorithm: String) throws(DTLSError) -> CertificateFingerprint {
        guard let md = digest(for: algorithm) else { throw .unsupportedFingerprintAlgorithm(algorithm) }
        var buffer = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, md, &buffer, &length) == 1 else {
            throw .certificateGenerationFailed(openSSL: OpenSSLErrorStack.drain())
        }
        return CertificateFingerprint(algorithm: algorithm, bytes: Array(buffer.prefix(Int(length))))
    }
}
