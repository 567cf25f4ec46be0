/// Answers a unified-plan offer as the SFU (JSEP, RFC 8829 5.3.1).
///
/// Policy, in brief:
/// - One transport: the offer's BUNDLE group (RFC 9143) is accepted, every m= section in it is
///   answered, and sections outside it are rejected. Without a BUNDLE group only the first
///   usable section is accepted.
/// - A section is rejected (port 0, mid kept, RFC 8829 5.3.1) when it was stopped by the
///   offerer (port 0 without bundle-only), is not audio/video over an SAVPF RTP profile (data
///   channels included, for now), lacks rtcp-mux (RFC 8829 5.1.3 requires it), or shares no codec.
/// - Codecs, RTX, rtcp-fb and header extensions are intersected with the capabilities, keeping
///   the offerer's payload type numbers and extension ids.
public func makeAnswer(to offer: SessionDescription, options: AnswerOptions) throws(NegotiationError) -> NegotiatedAnswer {
    let mids = try validatedMids(offer)
    let bundle = offer.bundleGroup
    if let bundle {
        for mid in bundle.mids where !mids.contains(mid) { throw .unknownBundleMid(mid) }
    }
    let localCandidates = try options.parsedCandidates()
    let caps = options.capabilities

    // Decide, per section, whether we accept it and with which codecs.
    var plans: [(codecs: [NegotiatedCodec], accepted: Bool)] = []
    var acceptedWithoutBundle = false
    for (index, m) in offer.media.enumerated() {
        let mid = mids[index]
        var usable = m.kind == .audio || m.kind == .video
        usable = usable && m.isRTP && m.proto.hasSuffix("SAVPF") && m.rtcpMux
        usable = usable && (m.port != 0 || (m.bundleOnly && bundle != nil))
        if let bundle {
            usable = usable && bundle.mids.contains(mid)
        } else {
            usable = usable && !acceptedWithoutBundle
        }
        let codecs = usable ? CodecNegotiation.intersect(offer: m, capabilities: caps) : []
        let accepted = usable && !codecs.isEmpty
        if accepted && bundle == nil { acceptedWithoutBundle = true }
        plans.append((codecs, accepted))
    }
    guard let tagged = plans.indices.first(where: { plans[$0].accepted }) else { throw .noUsableCodec }
    // The answerer-tagged section is the first accepted one in BUNDLE order (RFC 9143 7.3.1).
    let taggedIndex =
        bundle?.mids.compactMap { mid in mids.firstIndex(of: mid) }.first { plans[$0].accepted } ?? tagged

    // ICE and DTLS of the offerer's transport. RFC 8842 5.2 says offers use actpass; an offer
    // with active or passive is still answerable with the complementary role.
    // Only the tagged section's candidates count: once BUNDLE is accepted the other sections'
    // transports are discarded (RFC 9143 7.3.1). aiortc, for one, gathers per section.
    let remote = try RemoteTransport(
        session: offer, media: offer.media[taggedIndex], mid: mids[taggedIndex],
        allowedSetup: [.actpass, .active, .passive])
    let localSetup: SetupRole =
        switch remote.setup {
        case .active: .passive
        case .passive: .active
        default: options.setupRole == .passive ? .passive : .active
        }

    var answer = SessionDescription(
        origin: Origin(sessionID: options.sessionID, sessionVersion: options.sessionVersion))
    let bundleMids = bundle?.mids.filter { mid in plans[mids.firstIndex(of: mid)!].accepted } ?? []
    if bundle != nil { answer.attributes.append(.group(.bundle(bundleMids))) }
    if options.iceLite { answer.attributes.append(.iceLite) }
    if offer.extmapAllowMixed && caps.extmapAllowMixed { answer.attributes.append(.extmapAllowMixed) }

    var summary: [NegotiatedMedia] = []
    for (index, m) in offer.media.enumerated() {
        let mid = mids[index]
        guard plans[index].accepted else {
            answer.media.append(rejectedSection(m, mid: mid))
            summary.append(.rejected(mid: mid, kind: m.kind))
            continue
        }
        let local = options.media[mid] ?? options.defaultMedia
        let offered = m.direction ?? .sendrecv
        // RFC 8829 5.3.1 / RFC 3264 6.1: we may send only if the offerer receives, and receive
        // only if it sends.
        let direction = Direction(
            sends: offered.receives && local.send != nil, receives: offered.sends && local.receive)
        let codecs = plans[index].codecs
        let extensions = CodecNegotiation.headerExtensions(offer: m, capabilities: caps)

        var section = MediaDescription(
            kind: m.kind, port: 9, proto: m.proto, formats: MediaSectionWriter.answerFormats(codecs),
            connections: [Connection()])
        var a: [SDPAttribute] = [.mid(mid)]
        a += MediaSectionWriter.transport(
            ice: options.iceCredentials, fingerprint: options.fingerprint, setup: localSetup,
            trickle: options.iceTrickle, candidates: index == taggedIndex ? localCandidates : nil,
            endOfCandidates: options.gatheringComplete)
        a += extensions.map(SDPAttribute.extmap)
        if m.extmapAllowMixed && caps.extmapAllowMixed { a.append(.extmapAllowMixed) }
        a.append(.direction(direction))
        let sent = direction.sends ? local.send : nil
        if let sent { a.append(.msid(MSID(streamID: sent.streamID, trackID: sent.trackID))) }
        a.append(.rtcpMux)
        if m.rtcpRsize { a.append(.rtcpRsize) }
        a += MediaSectionWriter.codecs(codecs)

        // Simulcast (RFC 8853 5.3): receive the rids the offerer sends, restricted to kept codecs.
        var media = NegotiatedMedia(
            mid: mid, kind: m.kind, direction: direction, rejected: false, codecs: codecs,
            headerExtensions: Dictionary(extensions.map { ($0.uri, $0.id) }, uniquingKeysWith: { a, _ in a }),
            remoteSSRCs: [], remoteRTXPairs: [], remoteSimulcastGroups: [], rids: [], simulcast: nil,
            localTrack: sent)
        if direction.receives {
            media.readRemoteStreams(from: m)
            if let simulcast = m.simulcast, !simulcast.send.isEmpty {
                let (rids, answered) = answerSimulcast(simulcast, rids: m.rids, keptPayloadTypes: Set(codecs.map(\.payloadType)))
                if let answered {
                    a += rids.map { .rid(RID(id: $0.id, direction: .recv, payloadTypes: $0.payloadTypes, restrictions: $0.restrictions)) }
                    a.append(.simulcast(answered))
                    media.rids = rids
                    media.simulcast = answered.reversed
                }
            }
        }
        if let sent { a += MediaSectionWriter.localTrack(sent) }
        section.attributes = a
        answer.media.append(section)
        summary.append(media)
    }

    let session = NegotiatedSession(
        media: summary, bundleMids: bundle == nil ? [mids[taggedIndex]] : bundleMids, remoteICE: remote.ice,
        remoteICELite: offer.iceLite, remoteFingerprints: remote.fingerprints, remoteSetup: remote.setup,
        localSetup: localSetup, remoteCandidates: remote.candidates, remoteEndOfCandidates: remote.endOfCandidates)
    return NegotiatedAnswer(answer: answer, session: session)
}

/// Every section must carry a unique mid (RFC 8829 5.2.1, RFC 8843 9.2).
func validatedMids(_ description: SessionDescription) throws(NegotiationError) -> [String] {
    var mids: [String] = []
    var seen = Set<String>()
    for (index, m) in description.media.enumerated() {
        guard let mid = m.mid else { throw .missingMid(index: index) }
        guard seen.insert(mid).inserted else { throw .duplicateMid(mid) }
        mids.append(mid)
    }
    return mids
}

/// A rejected section: port 0, the offered proto and formats, and the mid (RFC 8829 5.3.1).
func rejectedSection(_ m: MediaDescription, mid: String) -> MediaDescription {
    MediaDescription(
        kind: m.kind, port: 0, proto: m.proto, formats: m.formats, connections: [Connection()],
        attributes: [.mid(mid)])
}

/// The rids and simulcast attribute to answer an offer that sends simulcast with (RFC 8853 5.3,
/// RFC 8851 7.2): rids whose `pt=` list loses every codec are dropped, and so are streams that
/// lose every alternative. Returns nil when nothing is left.
func answerSimulcast(_ offered: Simulcast, rids: [RID], keptPayloadTypes: Set<UInt8>) -> ([RID], Simulcast?) {
    var kept: [RID] = []
    for rid in rids where rid.direction == .send {
        var r = rid
        if !rid.payloadTypes.isEmpty {
            r.payloadTypes = rid.payloadTypes.filter(keptPayloadTypes.contains)
            if r.payloadTypes.isEmpty { continue }
        }
        kept.append(r)
    }
    let ids = Set(kept.map(\.id))
    // RFC 8853 5.2: a rid in a simulcast list without an a=rid line is an error; drop it.
    let streams = offered.send.map { $0.filter { ids.contains($0.rid) } }.filter { !$0.isEmpty }
    let used = Set(streams.flatMap { $0.map(\.rid) })
    guard !streams.isEmpty else { return ([], nil) }
    return (kept.filter { used.contains($0.id) }, Simulcast(recv: streams))
}
