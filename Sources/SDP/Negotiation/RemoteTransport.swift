/// The ICE and DTLS parameters a peer's description gives for its bundled transport.
///
/// Each may sit at media level or session level (RFC 8839 5.4, RFC 8122 5); media level wins.
struct RemoteTransport {
    var ice: ICECredentials
    var fingerprints: [Fingerprint]
    var setup: SetupRole
    var candidates: [Candidate]
    var endOfCandidates: Bool

    /// Reads the parameters of `media` (falling back to `session`). `allowedSetup` lists the
    /// roles acceptable in this description: `actpass` in offers, `active`/`passive` in answers.
    init(
        session: SessionDescription, media: MediaDescription, mid: String, allowedSetup: Set<SetupRole>
    ) throws(NegotiationError) {
        guard let ufrag = media.iceUfrag ?? session.iceUfrag, let pwd = media.icePwd ?? session.icePwd else {
            throw .missingICECredentials(mid: mid)
        }
        let fingerprints = media.fingerprints.isEmpty ? session.fingerprints : media.fingerprints
        guard !fingerprints.isEmpty else { throw .missingFingerprint(mid: mid) }
        let setup = media.setup ?? session.setup
        guard let setup, allowedSetup.contains(setup) else { throw .unsupportedSetupRole(mid: mid, setup) }
        ice = ICECredentials(ufrag: ufrag, pwd: pwd)
        self.fingerprints = fingerprints
        self.setup = setup
        candidates = media.candidates
        endOfCandidates = media.endOfCandidates || session.attributes.contains(.endOfCandidates)
    }

}
