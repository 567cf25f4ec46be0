/// ICE username fragment and password (RFC 8839 5.4).
public struct ICECredentials: Hashable, Sendable {
    public var ufrag: String
    public var pwd: String

    public init(ufrag: String, pwd: String) {
        self.ufrag = ufrag
        self.pwd = pwd
    }
}

/// A stream we send on one m= section: its SSRCs and identifiers.
public struct LocalTrack: Hashable, Sendable {
    public var ssrc: UInt32
    /// Retransmission SSRC, announced with `ssrc-group:FID` (RFC 4588 8.3); video only.
    public var rtxSSRC: UInt32?
    /// RTCP CNAME (RFC 3550 6.5.1), written as `a=ssrc:<ssrc> cname:` (RFC 5576 6.1).
    public var cname: String
    /// `a=msid` stream and track ids (RFC 8830 2).
    public var streamID: String
    public var trackID: String

    public init(ssrc: UInt32, rtxSSRC: UInt32? = nil, cname: String, streamID: String, trackID: String) {
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        self.cname = cname
        self.streamID = streamID
        self.trackID = trackID
    }
}

/// What we do on one m= section of an answer.
public struct LocalMediaOptions: Hashable, Sendable {
    /// What we send back on this m= section, if anything.
    public var send: LocalTrack?
    /// Whether we accept media from the offerer on it.
    public var receive: Bool

    public init(send: LocalTrack? = nil, receive: Bool = true) {
        self.send = send
        self.receive = receive
    }
}

/// Transport and policy inputs of `makeAnswer(to:options:)`.
public struct AnswerOptions: Hashable, Sendable {
    public var iceCredentials: ICECredentials
    /// Our DTLS certificate fingerprint (usually sha-256, RFC 8122 5).
    public var fingerprint: Fingerprint
    /// Our DTLS role. `.active` by default: RFC 8829 5.3.1 and RFC 8842 5.3 recommend that the
    /// answerer to an `actpass` offer initiates DTLS. If the offer says `active` or `passive`
    /// instead, the answer takes the complementary role whatever this says.
    public var setupRole: SetupRole
    public var capabilities: CodecCapabilities
    /// Per mid; m= sections not listed use `defaultMedia`.
    public var media: [String: LocalMediaOptions]
    public var defaultMedia: LocalMediaOptions
    /// Our candidates as `candidate:...` strings (no `a=`), placed in the BUNDLE-tagged section.
    public var candidates: [String]
    /// Adds `a=end-of-candidates` (RFC 8840 8.2) when every candidate is already listed.
    public var gatheringComplete: Bool
    /// Adds `a=ice-options:trickle` (RFC 8840 4.1.1).
    public var iceTrickle: Bool
    /// Adds session-level `a=ice-lite` (RFC 8839 5.3) for a server that only answers checks.
    public var iceLite: Bool
    /// `o=` session id and version (RFC 8829 5.3.1).
    public var sessionID: UInt64
    public var sessionVersion: UInt64

    public init(
        iceCredentials: ICECredentials, fingerprint: Fingerprint, setupRole: SetupRole = .active,
        capabilities: CodecCapabilities = .default, media: [String: LocalMediaOptions] = [:],
        defaultMedia: LocalMediaOptions = LocalMediaOptions(), candidates: [String] = [],
        gatheringComplete: Bool = false, iceTrickle: Bool = true, iceLite: Bool = false, sessionID: UInt64,
        sessionVersion: UInt64 = 1
    ) {
        self.iceCredentials = iceCredentials
        self.fingerprint = fingerprint
        self.setupRole = setupRole
        self.capabilities = capabilities
        self.media = media
        self.defaultMedia = defaultMedia
        self.candidates = candidates
        self.gatheringComplete = gatheringComplete
        self.iceTrickle = iceTrickle
        self.iceLite = iceLite
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
    }

    func parsedCandidates() throws(NegotiationError) -> [Candidate] {
        var out: [Candidate] = []
        for text in candidates {
            guard let c = Candidate(attributeValue: Substring(text)) else { throw .invalidLocalCandidate(text) }
            out.append(c)
        }
        return out
    }
}
