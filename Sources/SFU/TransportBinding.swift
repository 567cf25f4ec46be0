import SDP
import Transport

/// What both of a participant's peer connections do with each negotiated session: start the
/// transport with the peer's ICE and DTLS parameters the first time, follow a new remote ufrag
/// afterwards (an ICE restart, RFC 8445 9), and hold trickled candidates that arrive before the
/// transport could take them (RFC 8838 allows them to precede the description).
struct TransportBinding {
    private(set) var remoteUfrag: String?
    private var pendingCandidates: [String] = []

    var isStarted: Bool { remoteUfrag != nil }

    enum Restart {
        /// A new remote ufrag in the peer's offer: the peer restarted, we restart too.
        case byPeer
        /// A new remote ufrag in the answer to our restart offer: our side already restarted.
        case byUs
    }

    /// Applies `session`; returns true when it started the transport.
    mutating func apply(_ session: NegotiatedSession, to transport: PeerTransport, newUfragMeans restart: Restart) throws(RoomError) -> Bool {
        let remote = session.remoteICE
        guard let current = remoteUfrag else {
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
        guard remote.ufrag != current else { return false }
        do {
            switch restart {
            case .byPeer: try transport.restartICE(remoteUfrag: remote.ufrag, remotePassword: remote.pwd)
            case .byUs: try transport.ice.setRemoteCredentials(ufrag: remote.ufrag, password: remote.pwd)
            }
            for candidate in session.remoteRTPCandidates { try transport.addRemoteCandidate(candidate) }
        } catch {
            throw .transportFailed(error.description)
        }
        remoteUfrag = remote.ufrag
        return false
    }

    /// A trickled candidate from the peer; an empty one means end of candidates.
    mutating func addRemoteCandidate(_ candidate: String, to transport: PeerTransport) throws(RoomError) {
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
