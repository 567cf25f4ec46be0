/// `a=setup` (RFC 4145 4, RFC 8842 5): which side opens the DTLS association.
public enum SetupRole: String, Hashable, Sendable {
    /// Offers must use this (RFC 8842 5.2).
    case actpass
    /// Initiates DTLS (the DTLS client). The answer default per RFC 8829 5.3.1 / RFC 8842 5.3.
    case active
    /// Waits for the DTLS ClientHello (the DTLS server).
    case passive
    /// Obsolete in DTLS-SRTP (RFC 8842 5.1): parsed so it can be refused by negotiation.
    case holdconn
}
