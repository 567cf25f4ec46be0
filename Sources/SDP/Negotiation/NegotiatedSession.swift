/// One codec both sides agreed on, with the payload type the offerer chose.
public struct NegotiatedCodec: Hashable, Sendable {
    public var payloadType: UInt8
    public var name: String
    public var clockRate: UInt32
    public var channels: UInt8?
    public var parameters: FormatParameters
    /// RTX payload type whose `apt` is this codec (RFC 4588 8.1).
    public var rtxPayloadType: UInt8?
    /// Feedback agreed for this payload type (payloadType fields set to it).
    public var feedback: [RTCPFeedback]

    /// Redundant audio (RFC 2198) rather than a codec of its own, as `Codec.isRED`.
    public var isRED: Bool { name.lowercased() == "red" }
}

/// A pair of SSRCs from `ssrc-group:FID`: media and its retransmission stream (RFC 4588 8.3).
public struct SSRCPair: Hashable, Sendable {
    public var media: UInt32
    public var rtx: UInt32
}

/// The result of negotiating one m= section, from our side.
public struct NegotiatedMedia: Hashable, Sendable {
    public var mid: String
    public var kind: MediaKind
    /// Our direction: `.sendonly` means we send and the peer only receives.
    public var direction: Direction
    /// Port 0 in the answer: nothing flows and the section may be recycled (RFC 8829 5.2.2).
    public var rejected: Bool
    /// Agreed codecs, most preferred first.
    public var codecs: [NegotiatedCodec]
    /// Header extension id by URI (RFC 8285).
    public var headerExtensions: [String: UInt8]
    /// SSRCs the peer announced (`a=ssrc`), its RTX pairs and simulcast groups.
    public var remoteSSRCs: [UInt32]
    public var remoteRTXPairs: [SSRCPair]
    public var remoteSimulcastGroups: [[UInt32]]
    public var remoteMSID: MSID?
    public var remoteCNAME: String?
    /// The peer's send rids (RFC 8851) and simulcast description as the peer wrote it (RFC 8853).
    public var rids: [RID]
    public var simulcast: Simulcast?
    /// What we send on this section, if anything.
    public var localTrack: LocalTrack?

    static func rejected(mid: String, kind: MediaKind) -> NegotiatedMedia {
        NegotiatedMedia(
            mid: mid, kind: kind, direction: .inactive, rejected: true, codecs: [], headerExtensions: [:],
            remoteSSRCs: [], remoteRTXPairs: [], remoteSimulcastGroups: [], rids: [], simulcast: nil)
    }

    /// Fills the remote-stream fields from the peer's m= section.
    mutating func readRemoteStreams(from remote: MediaDescription) {
        remoteSSRCs = remote.ssrcs
        remoteRTXPairs = remote.ssrcGroups.compactMap {
            $0.semantics == "FID" && $0.ssrcs.count == 2 ? SSRCPair(media: $0.ssrcs[0], rtx: $0.ssrcs[1]) : nil
        }
        remoteSimulcastGroups = remote.ssrcGroups.filter { $0.semantics == "SIM" }.map(\.ssrcs)
        remoteMSID = remote.msids.first
        remoteCNAME = remote.ssrcAttributes.first { $0.name == "cname" }?.value
    }
}

/// Everything a transport and a router need after an offer/answer exchange.
public struct NegotiatedSession: Hashable, Sendable {
    /// Per m= section in m-line order, rejected ones included.
    public var media: [NegotiatedMedia]
    /// Mids sharing the one bundled transport (RFC 9143), tagged mid first.
    public var bundleMids: [String]
    public var remoteICE: ICECredentials
    public var remoteICELite: Bool
    public var remoteFingerprints: [Fingerprint]
    public var remoteSetup: SetupRole
    public var localSetup: SetupRole
    /// The peer's candidates from the description (more may trickle later).
    public var remoteCandidates: [Candidate]
    public var remoteEndOfCandidates: Bool

    public subscript(mid mid: String) -> NegotiatedMedia? { media.first { $0.mid == mid } }

    /// Our DTLS role: `.active` is the DTLS client.
    public var isDTLSClient: Bool { localSetup == .active }
}

/// `makeAnswer` output: the answer to send, and the summary to configure media with.
public struct NegotiatedAnswer: Hashable, Sendable {
    public var answer: SessionDescription
    public var session: NegotiatedSession
}
