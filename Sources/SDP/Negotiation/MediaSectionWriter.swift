/// Attribute groups shared by answers and our own offers, in the order browsers write them.
enum MediaSectionWriter {
    /// Transport attributes: ICE (RFC 8839 5.4), trickle (RFC 8840), DTLS (RFC 8842 5).
    /// Candidates go only to the BUNDLE-tagged section, since all sections share its transport
    /// (RFC 8843 / RFC 9143 7.1.2).
    static func transport(
        ice: ICECredentials, fingerprint: Fingerprint, setup: SetupRole, trickle: Bool,
        candidates: [Candidate]?, endOfCandidates: Bool
    ) -> [SDPAttribute] {
        var a: [SDPAttribute] = []
        if let candidates {
            a += candidates.map(SDPAttribute.candidate)
            if endOfCandidates { a.append(.endOfCandidates) }
        }
        a.append(.iceUfrag(ice.ufrag))
        a.append(.icePwd(ice.pwd))
        if trickle { a.append(.iceOptions(["trickle"])) }
        a.append(.fingerprint(fingerprint))
        a.append(.setup(setup))
        return a
    }

    /// rtpmap, rtcp-fb and fmtp of each codec, followed by its RTX format (RFC 4588 8.1).
    static func codecs(_ codecs: [NegotiatedCodec]) -> [SDPAttribute] {
        var a: [SDPAttribute] = []
        for c in codecs {
            a.append(.rtpmap(RTPMap(payloadType: c.payloadType, encodingName: c.name, clockRate: c.clockRate, channels: c.channels)))
            a += c.feedback.map { .rtcpFeedback($0.with(payloadType: c.payloadType)) }
            if !c.parameters.isEmpty { a.append(.fmtp(FMTP(payloadType: c.payloadType, parameters: c.parameters))) }
            if let rtx = c.rtxPayloadType {
                a.append(.rtpmap(RTPMap(payloadType: rtx, encodingName: "rtx", clockRate: c.clockRate)))
                a.append(.fmtp(FMTP(payloadType: rtx, parameters: ["apt": String(c.payloadType)])))
            }
        }
        return a
    }

    /// Format list of the m= line: each codec then its RTX.
    static func formats(_ codecs: [NegotiatedCodec]) -> [String] {
        codecs.flatMap { c in [String(c.payloadType)] + (c.rtxPayloadType.map { [String($0)] } ?? []) }
    }

    /// An answer's formats: as `formats`, with redundant audio (RFC 2198) first. A libwebrtc
    /// offerer sends with the answer's first codec, so RED listed after Opus is negotiated but
    /// never sent; first, Chromium sends Opus in RED. Our own view of the codecs keeps the codec
    /// first (`NegotiatedMedia.codecs`).
    static func answerFormats(_ codecs: [NegotiatedCodec]) -> [String] {
        formats(codecs.filter(\.isRED) + codecs.filter { !$0.isRED })
    }

    /// `a=ssrc-group:FID` and `a=ssrc` lines of a track we send (RFC 5576, RFC 4588 8.3), with
    /// `msid` as legacy ssrc attribute for older receivers (RFC 8830 appendix).
    static func localTrack(_ t: LocalTrack) -> [SDPAttribute] {
        var a: [SDPAttribute] = []
        let ssrcs = [t.ssrc] + (t.rtxSSRC.map { [$0] } ?? [])
        if let rtx = t.rtxSSRC { a.append(.ssrcGroup(SSRCGroup(semantics: "FID", ssrcs: [t.ssrc, rtx]))) }
        for s in ssrcs {
            a.append(.ssrc(SSRCAttribute(ssrc: s, name: "cname", value: t.cname)))
            a.append(.ssrc(SSRCAttribute(ssrc: s, name: "msid", value: "\(t.streamID) \(t.trackID)")))
        }
        return a
    }
}
