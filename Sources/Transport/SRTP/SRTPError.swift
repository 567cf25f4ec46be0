/// What went wrong in SRTP, with libsrtp2's status code (srtp2/srtp.h `srtp_err_status_t`).
public enum SRTPError: Error, Equatable, Sendable, CustomStringConvertible {
    case libraryInitFailed(status: Int)
    /// The crypto kernel refused one of the OpenSSL cipher or auth types (its known-answer tests
    /// failed, for instance); `type` names it.
    case cryptoRegistrationFailed(type: String, status: Int)
    case sessionCreateFailed(status: Int)
    case wrongKeyLength(expected: Int, got: Int)
    case protectFailed(status: Int)
    case unprotectFailed(status: Int)
    case bufferTooSmall(needed: Int, capacity: Int)
    case packetTooShort(length: Int)

    public var description: String {
        switch self {
        case .libraryInitFailed(let s): "srtp_init failed (status \(s))"
        case .cryptoRegistrationFailed(let t, let s): "registering the OpenSSL \(t) with libsrtp2 failed (status \(s))"
        case .sessionCreateFailed(let s): "srtp_create failed (status \(s))"
        case .wrongKeyLength(let e, let g): "SRTP key and salt must be \(e) bytes, got \(g)"
        case .protectFailed(let s): "srtp_protect failed (status \(s))"
        case .unprotectFailed(let s): "srtp_unprotect failed (status \(s): \(Self.statusName(s)))"
        case .bufferTooSmall(let n, let c): "buffer of \(c) bytes cannot hold \(n) bytes"
        case .packetTooShort(let l): "packet of \(l) bytes is too short for SRTP"
        }
    }

    static func statusName(_ status: Int) -> String {
        switch status {
        case 2: "bad parameter"
        case 7: "authentication failure"
        case 9: "replay: already seen"  // srtp_err_status_replay_fail
        case 10: "replay: too old"      // srtp_err_status_replay_old
        case 13: "no context for SSRC"
        case 25: "bad MKI"
        default: "error"
        }
    }
}
