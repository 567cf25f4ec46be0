/// Why a DTLS step failed. OpenSSL's own reasons, when it gave any, are carried in `openSSL`.
public enum DTLSError: Error, Equatable, Sendable, CustomStringConvertible {
    case certificateGenerationFailed(openSSL: [String])
    case certificateLoadFailed(path: String, openSSL: [String])
    case contextSetupFailed(step: String, openSSL: [String])
    case sessionSetupFailed(step: String, openSSL: [String])
    /// The handshake failed: a fatal alert, a protocol error, or too many retransmissions.
    case handshakeFailed(openSSL: [String])
    case handshakeTimedOut
    /// The peer's certificate does not hash to the fingerprint its SDP announced (RFC 8122 5).
    case fingerprintMismatch(expected: String, actual: String)
    case unsupportedFingerprintAlgorithm(String)
    case noPeerCertificate
    /// No SRTP profile was agreed in use_srtp (RFC 5764 4.1.1).
    case noSRTPProfileNegotiated
    case keyExportFailed(openSSL: [String])
    case notConnected

    public var description: String {
        switch self {
        case .certificateGenerationFailed(let e): "generating the DTLS certificate failed: \(e.joined(separator: "; "))"
        case .certificateLoadFailed(let p, let e): "loading DTLS certificate or key from \(p) failed: \(e.joined(separator: "; "))"
        case .contextSetupFailed(let s, let e): "DTLS context set-up failed at \(s): \(e.joined(separator: "; "))"
        case .sessionSetupFailed(let s, let e): "DTLS session set-up failed at \(s): \(e.joined(separator: "; "))"
        case .handshakeFailed(let e): "DTLS handshake failed: \(e.isEmpty ? "no reason given" : e.joined(separator: "; "))"
        case .handshakeTimedOut: "DTLS handshake timed out"
        case .fingerprintMismatch(let expected, let actual):
            "the peer's certificate fingerprint \(actual) does not match the SDP's \(expected)"
        case .unsupportedFingerprintAlgorithm(let a): "unsupported fingerprint hash function '\(a)'"
        case .noPeerCertificate: "the peer presented no certificate"
        case .noSRTPProfileNegotiated: "no SRTP protection profile was negotiated"
        case .keyExportFailed(let e): "exporting SRTP keys failed: \(e.joined(separator: "; "))"
        case .notConnected: "DTLS is not connected"
        }
    }
}
