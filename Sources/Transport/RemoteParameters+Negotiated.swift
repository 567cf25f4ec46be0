import SDP

extension NegotiatedSession {
    /// The peer's candidates for the RTP component as `candidate:` fragments: with BUNDLE and
    /// rtcp-mux (RFC 8843, RFC 5761) component 1 carries everything.
    public var remoteRTPCandidates: [String] {
        remoteCandidates.filter { $0.component == 1 }.map(\.sdpFragment)
    }
}

extension PeerTransport.RemoteParameters {
    /// What `PeerTransport.start` needs from a negotiated session: the peer's ICE credentials,
    /// first fingerprint, our DTLS role (RFC 8842 5) and its RTP candidates, with `extra`
    /// candidates trickled before the description. nil when the peer gave no fingerprint.
    public init?(_ session: NegotiatedSession, extraCandidates extra: [String] = []) {
        guard let fingerprint = session.remoteFingerprints.first else { return nil }
        self.init(iceUfrag: session.remoteICE.ufrag, icePassword: session.remoteICE.pwd, fingerprint: fingerprint,
                  dtlsRole: session.isDTLSClient ? .client : .server,
                  candidates: session.remoteRTPCandidates + extra, candidatesComplete: session.remoteEndOfCandidates)
    }
}
