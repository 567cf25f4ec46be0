/// How ICE agents gather and keep candidates.
public struct ICEConfiguration: Sendable, Equatable {
    /// Local UDP ports for host candidates (inclusive). nil lets the OS choose.
    public var portRange: ClosedRange<UInt16>?
    /// Local addresses to gather on; empty means every interface address libnice finds.
    public var bindAddresses: [String]
    /// Addresses to announce instead of (or beside) the host address, for a server behind a
    /// 1:1 NAT (a cloud instance's public IP): checks sent there reach the private address.
    public var publicAddresses: [String]
    /// Keep announcing the private host candidate beside the public one.
    public var keepPrivateCandidates: Bool
    /// RFC 7675 consent freshness: authenticated binding requests on the selected pair every
    /// 5 s (±20 %, 5.1), and the pair fails when none is answered for libnice's keepalive
    /// timeout (50 s); a silent session ends sooner, at `PeerTransport`'s consent window (30 s).
    ///
    /// Done with libnice's `keepalive-conncheck`, not its consent-freshness mode: that mode
    /// expires consent 10 s after the last answer while sending one unretransmitted check every
    /// 4 to 6 s, so a single lost check or answer fails the pair about half the time. At 5 %
    /// loss towards a browser the pair failed within a minute, and a failed pair stops media.
    public var consentFreshness: Bool

    public init(portRange: ClosedRange<UInt16>? = nil, bindAddresses: [String] = [], publicAddresses: [String] = [],
                keepPrivateCandidates: Bool = false, consentFreshness: Bool = true) {
        self.portRange = portRange
        self.bindAddresses = bindAddresses
        self.publicAddresses = publicAddresses
        self.keepPrivateCandidates = keepPrivateCandidates
        self.consentFreshness = consentFreshness
    }

    /// Parses "LOW-HIGH".
    public static func parsePortRange(_ text: String) throws(TransportConfigurationError) -> ClosedRange<UInt16> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = UInt16(parts[0]), let high = UInt16(parts[1]), low >= 1, low <= high else {
            throw .invalidPortRange(text)
        }
        return low...high
    }
}

/// ICE connection state of the one component we use (rtcp-mux and BUNDLE: RFC 8843, RFC 5761).
public enum ICEState: String, Sendable, Equatable {
    case new, gathering, checking, connected, ready, failed, closed
}

public enum ICEError: Error, Equatable, Sendable, CustomStringConvertible {
    case agentCreationFailed
    case invalidAddress(String)
    case streamCreationFailed
    case gatheringFailed
    case invalidRemoteCandidate(String)
    case credentialsRejected
    case closed

    public var description: String {
        switch self {
        case .agentCreationFailed: "creating the ICE agent failed"
        case .invalidAddress(let a): "'\(a)' is not an IP address"
        case .streamCreationFailed: "creating the ICE stream failed"
        case .gatheringFailed: "gathering candidates failed (no usable local address or port in range)"
        case .invalidRemoteCandidate(let c): "unparseable remote candidate '\(c)'"
        case .credentialsRejected: "the remote ICE credentials were rejected"
        case .closed: "the ICE agent is closed"
        }
    }
}
