import SDP
import Transport

/// What both of a participant's peer connections do with each negotiated session: start the
/// transport with the peer's ICE and DTLS parameters the first time, follow a new remote ufrag
/// afterwards (an ICE restart, RFC 8445 9), and hold trickled candidates that arrive before the
/// transport could take them (RFC 8838 allows them to precede the description).
public struct TransportBinding {
    public private(set) var remoteUfrag: String?
    private var pendingCandidates: [String] = []

    public init() {}

    public var isStarted: Bool { remoteUfrag != nil }

    /// Whether `session` restarts ICE (RFC 8445 9): a new remote ufrag on a started transport.
    /// An answerer restarts its own side before it answers (`PeerTransport.restartLocalICE`),
    /// so that the answer carries its new ufrag and password (RFC 8839 4.4.1.1.2); an offerer
    /// restarted before its offer. Either way `apply` then only takes the peer's new ones.
    public func isICERestart(_ session: NegotiatedSession) -> Bool {
        remoteUfrag.map { $0 != session.remoteICE.ufrag } ?? false
    }

    /// Applies `session`; returns true when it started the transport.
    public mutating func apply(_ session: NegotiatedSession, to transport: PeerTransport) throws(RoomError) -> Bool {
        let remote = session.remoteICE
        guard remoteUfrag != nil else {
            guard let parameters = PeerTransport.RemoteParameters(session, extraCandidates: pendingCandidates) else {
                throw .negotiationFailed("no fingerprint")
            }
            do {
                try transport.start(remote: parameters)
            } catch {
                throw .transportFailed(error.description)
            }
            pendingCandidates = []
            remoteUfrag = remote.ufrag
            return true
        }
        guard isICERestart(session) else { return false }
        do {
            try transport.ice.setRemoteCredentials(ufrag: remote.ufrag, password: remote.pwd)
            for candidate in session.remoteRTPCandidates { try transport.addRemoteCandidate(candidate) }
            if session.remoteEndOfCandidates { transport.remoteCandidatesComplete() }
        } catch {
            throw .transportFailed(error.description)
        }
        remoteUfrag = remote.ufrag
        return false
    }

    /// A trickled candidate from the peer; an empty one means end of candidates.
    public mutating func addRemoteCandidate(_ candidate: String, to transport: PeerTransport) throws(RoomError) {
        if candidate.isEmpty {
            transport.remoteCandidatesComplete()
            return
        }
        guard isStarted else {
            pendingCandidates.append(candidate)
            return
        }
        do {
            try transport.addRemoteCandidate(candidate)
        } catch {
            throw .badCandidate(error.description)
        }
    }
}
