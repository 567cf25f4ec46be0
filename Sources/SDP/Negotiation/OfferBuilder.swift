/// Builds the server's own offers across renegotiations (JSEP, RFC 8829 5.2) for tracks it
/// sends to a subscriber, and applies the subscriber's answers.
///
/// Each m= section is a *slot* with a stable position: RFC 8829 5.2.2 forbids reordering or
/// removing m= sections in subsequent offers. A removed track's slot is offered as stopped
/// (port 0, `a=inactive`, out of BUNDLE); once an answer has confirmed that, the slot may be
/// recycled for a new track of either kind with a fresh mid (RFC 8829 5.2.2).
public struct OfferBuilder: Sendable {
    /// A track we send to the peer.
    public struct Track: Hashable, Sendable {
        public var kind: MediaKind
        public var local: LocalTrack
        /// Codecs to offer, in preference; nil offers every capability of the kind.
        public var codecs: [Codec]?

        public init(kind: MediaKind, local: LocalTrack, codecs: [Codec]? = nil) {
            self.kind = kind
            self.local = local
            self.codecs = codecs
        }
    }

    public struct Options: Hashable, Sendable {
        public var iceCredentials: ICECredentials
        public var fingerprint: Fingerprint
        public var capabilities: CodecCapabilities
        public var candidates: [String]
        public var gatheringComplete: Bool
        public var iceTrickle: Bool
        public var iceLite: Bool
        public var sessionID: UInt64

        public init(
            iceCredentials: ICECredentials, fingerprint: Fingerprint, capabilities: CodecCapabilities = .default,
            candidates: [String] = [], gatheringComplete: Bool = false, iceTrickle: Bool = true, iceLite: Bool = false,
            sessionID: UInt64
        ) {
            self.iceCredentials = iceCredentials
            self.fingerprint = fingerprint
            self.capabilities = capabilities
            self.candidates = candidates
            self.gatheringComplete = gatheringComplete
            self.iceTrickle = iceTrickle
            self.iceLite = iceLite
            self.sessionID = sessionID
        }
    }

    public enum SlotState: Hashable, Sendable {
        /// Sending a track.
        case active(Track)
        /// Removed; offered stopped, waiting for an answer to confirm.
        case stopping
        /// Stopped in both offer and answer: free for recycling.
        case stopped
    }

    public struct Slot: Hashable, Sendable {
        public var mid: String
        public var kind: MediaKind
        public var state: SlotState
        /// Whether an offer already carried this slot with this mid.
        var offered: Bool
    }

    public var options: Options
    public private(set) var slots: [Slot] = []
    /// `o=` session version of the last offer; RFC 8829 5.2.2 increments it on every change.
    public private(set) var sessionVersion: UInt64 = 0
    /// Result of the last applied answer.
    public private(set) var negotiated: NegotiatedSession?
    private var pendingOffer: SessionDescription?
    private var nextMid = 0
    private let payloadTypes: [Codec: (pt: UInt8, rtx: UInt8?)]
    private let extensionIDs: [String: UInt8]

    public init(options: Options) {
        self.options = options
        (payloadTypes, extensionIDs) = Self.allocate(options.capabilities)
    }

    /// Adds a track; it appears as a sendonly section in the next offer. Returns its mid.
    @discardableResult
    public mutating func addTrack(_ track: Track) -> String {
        let mid = String(nextMid)
        nextMid += 1
        let slot = Slot(mid: mid, kind: track.kind, state: .active(track), offered: false)
        if let free = slots.firstIndex(where: { $0.state == .stopped }) {
            slots[free] = slot
        } else {
            slots.append(slot)
        }
        return mid
    }

    /// Stops the track of `mid`; the next offer shows its section stopped.
    public mutating func removeTrack(mid: String) throws(NegotiationError) {
        guard let i = slots.firstIndex(where: { $0.mid == mid }), case .active = slots[i].state else {
            throw .unknownMid(mid)
        }
        if !slots[i].offered && i == slots.count - 1 {
            slots.removeLast()  // never offered: as if it had never been added
        } else {
            slots[i].state = slots[i].offered ? .stopping : .stopped
        }
    }

    /// The mid currently assigned to each active track.
    public var activeMids: [String] {
        slots.compactMap { if case .active = $0.state { $0.mid } else { nil } }
    }

    /// A new offer reflecting the current tracks; the session version goes up by one.
    public mutating func createOffer() throws(NegotiationError) -> SessionDescription {
        let candidates = try AnswerOptions(
            iceCredentials: options.iceCredentials, fingerprint: options.fingerprint, candidates: options.candidates,
            sessionID: options.sessionID
        ).parsedCandidates()
        sessionVersion += 1
        var offer = SessionDescription(origin: Origin(sessionID: options.sessionID, sessionVersion: sessionVersion))
        let bundled = activeMids
        if !bundled.isEmpty { offer.attributes.append(.group(.bundle(bundled))) }
        if options.iceLite { offer.attributes.append(.iceLite) }
        if options.capabilities.extmapAllowMixed { offer.attributes.append(.extmapAllowMixed) }

        for i in slots.indices {
            slots[i].offered = true
            let slot = slots[i]
            guard case .active(let track) = slot.state else {
                // RFC 8829 5.2.2: a stopped section keeps its place with port 0.
                // An m= line needs one format (RFC 8866 5.14); any will do on a stopped one.
                let format = offeredCodecs(kind: slot.kind, restrictedTo: nil).first.map { String($0.payloadType) } ?? "0"
                offer.media.append(
                    MediaDescription(
                        kind: slot.kind, port: 0, formats: [format], connections: [Connection()],
                        attributes: [.mid(slot.mid), .direction(.inactive)]))
                continue
            }
            let codecs = offeredCodecs(kind: track.kind, restrictedTo: track.codecs)
            var a: [SDPAttribute] = [.mid(slot.mid)]
            // Candidates go in every bundled section, like the ICE credentials above: RFC 8843
            // 7.1.3 lets a subsequent offer carry them only in the tagged section, but receivers
            // that collect a transport's candidates from its last section (aiortc 1.16) then see
            // none, and a client that can only relay (TURN) cannot reach us at all.
            a += MediaSectionWriter.transport(
                ice: options.iceCredentials, fingerprint: options.fingerprint, setup: .actpass,
                trickle: options.iceTrickle, candidates: candidates,
                endOfCandidates: options.gatheringComplete)
            a += options.capabilities.headerExtensions(for: track.kind).compactMap { uri in
                extensionIDs[uri].map { .extmap(ExtMap(id: $0, uri: uri)) }
            }
            a.append(.direction(.sendonly))
            a.append(.msid(MSID(streamID: track.local.streamID, trackID: track.local.trackID)))
            a += [.rtcpMux, .rtcpRsize]
            a += MediaSectionWriter.codecs(codecs)
            var local = track.local
            if track.kind != .video || !codecs.contains(where: { $0.rtxPayloadType != nil }) { local.rtxSSRC = nil }
            a += MediaSectionWriter.localTrack(local)
            offer.media.append(
                MediaDescription(
                    kind: track.kind, formats: MediaSectionWriter.formats(codecs), connections: [Connection()],
                    attributes: a))
        }
        pendingOffer = offer
        return offer
    }

    /// Applies the peer's answer to the last offer and returns what was agreed.
    public mutating func applyAnswer(_ answer: SessionDescription) throws(NegotiationError) -> NegotiatedSession {
        guard let offer = pendingOffer else { throw .noPendingOffer }
        guard answer.media.count == offer.media.count else {
            throw .answerMediaCountMismatch(expected: offer.media.count, actual: answer.media.count)
        }
        for (i, (o, a)) in zip(offer.media, answer.media).enumerated() where a.mid != nil && a.mid != o.mid {
            throw .answerMidMismatch(index: i)
        }
        let acceptedIndex = answer.media.indices.first { answer.media[$0].port != 0 && offer.media[$0].port != 0 }
        // RFC 8842 5.3: an answer chooses active or passive; actpass is not an answer.
        var remote: RemoteTransport?
        if let acceptedIndex {
            remote = try RemoteTransport(
                session: answer, media: answer.media[acceptedIndex], mid: offer.media[acceptedIndex].mid ?? "",
                allowedSetup: [.active, .passive])
        }

        var media: [NegotiatedMedia] = []
        var newSlots = slots
        for (i, (o, a)) in zip(offer.media, answer.media).enumerated() {
            let mid = o.mid ?? ""
            guard o.port != 0, a.port != 0, case .active(let track) = slots[i].state else {
                // Stopped by us or rejected by the peer: the slot becomes free for recycling.
                if case .active = slots[i].state, o.port != 0 { newSlots[i].state = .stopped }
                if slots[i].state == .stopping { newSlots[i].state = .stopped }
                media.append(.rejected(mid: mid, kind: o.kind))
                continue
            }
            var codecs: [NegotiatedCodec] = []
            let offeredPTs = Set(o.payloadTypes)
            for pt in a.payloadTypes {
                guard offeredPTs.contains(pt) else { throw .answerCodecNotOffered(mid: mid, payloadType: pt) }
                guard let codec = Codec(payloadType: pt, in: a), !codec.isRTX else { continue }
                codecs.append(
                    NegotiatedCodec(
                        payloadType: pt, name: codec.name, clockRate: codec.clockRate, channels: codec.channels,
                        parameters: codec.parameters, rtxPayloadType: nil, feedback: a.feedback(for: pt).map { $0.with(payloadType: pt) }))
            }
            for pt in a.payloadTypes {
                guard let rtx = Codec(payloadType: pt, in: a), rtx.isRTX,
                    let apt: UInt8 = rtx.parameters["apt"].flatMap({ SDPToken.decimal(Substring($0)) }),
                    let j = codecs.firstIndex(where: { $0.payloadType == apt })
                else { continue }
                codecs[j].rtxPayloadType = pt
            }
            guard !codecs.isEmpty else { throw .answerHasNoCodec(mid: mid) }
            let answered = a.direction ?? .sendrecv
            var m = NegotiatedMedia(
                mid: mid, kind: o.kind, direction: Direction(sends: answered.receives, receives: false), rejected: false,
                codecs: codecs,
                headerExtensions: Dictionary(a.extmaps.map { ($0.uri, $0.id) }, uniquingKeysWith: { x, _ in x }),
                remoteSSRCs: [], remoteRTXPairs: [], remoteSimulcastGroups: [], rids: [], simulcast: nil,
                localTrack: answered.receives ? track.local : nil)
            m.readRemoteStreams(from: a)
            media.append(m)
        }
        slots = newSlots
        pendingOffer = nil
        let bundle = answer.bundleGroup?.mids ?? []
        let session = NegotiatedSession(
            media: media, bundleMids: bundle, remoteICE: remote?.ice ?? ICECredentials(ufrag: "", pwd: ""),
            remoteICELite: answer.iceLite, remoteFingerprints: remote?.fingerprints ?? [],
            remoteSetup: remote?.setup ?? .active, localSetup: remote?.setup == .passive ? .active : .passive,
            remoteCandidates: remote?.candidates ?? [], remoteEndOfCandidates: remote?.endOfCandidates ?? false)
        negotiated = session
        return session
    }

    /// Codecs of one kind with our payload types, RTX and feedback.
    private func offeredCodecs(kind: MediaKind, restrictedTo wanted: [Codec]?) -> [NegotiatedCodec] {
        let caps = options.capabilities
        var result: [NegotiatedCodec] = []
        for codec in caps.codecs(for: kind) {
            if let wanted, !wanted.contains(where: { $0.matches(codec) }) { continue }
            guard let assigned = payloadTypes[codec] else { continue }
            result.append(
                NegotiatedCodec(
                    payloadType: assigned.pt, name: codec.name, clockRate: codec.clockRate, channels: codec.channels,
                    parameters: codec.parameters, rtxPayloadType: assigned.rtx,
                    feedback: caps.feedback(for: kind).map { $0.with(payloadType: assigned.pt) }))
        }
        if kind == .audio, caps.audioRED, let opus = result.first(where: { $0.name.lowercased() == "opus" }),
            let red = payloadTypes[.audioRED]
        {
            result.append(
                NegotiatedCodec(
                    payloadType: red.pt, name: "red", clockRate: 48000, channels: 2,
                    parameters: FormatParameters([FormatParameter("\(opus.payloadType)/\(opus.payloadType)")]),
                    rtxPayloadType: nil, feedback: []))
        }
        return result
    }

    /// Fixed payload types and extension ids for the builder's lifetime, so that every offer and
    /// every section agree: a bundled transport demultiplexes on them (RFC 8843 9.1, RFC 8285).
    /// Opus gets 111 and RED 63 as browsers use; others take 96-127 then 35-63 (RFC 3551 6).
    private static func allocate(_ caps: CodecCapabilities) -> ([Codec: (pt: UInt8, rtx: UInt8?)], [String: UInt8]) {
        var free = Array(UInt8(96)...127) + Array(UInt8(35)...62)
        free.removeAll { $0 == 111 || $0 == 63 }
        var table: [Codec: (pt: UInt8, rtx: UInt8?)] = [:]
        func next() -> UInt8? { free.isEmpty ? nil : free.removeFirst() }
        var opusAssigned = false
        for codec in caps.codecs where table[codec] == nil {
            let isFirstOpus = codec.name.lowercased() == "opus" && !opusAssigned
            opusAssigned = opusAssigned || isFirstOpus
            let pt: UInt8? = isFirstOpus ? 111 : next()
            guard let pt else { break }
            let rtx: UInt8? = codec.kind == .video && caps.rtx ? next() : nil
            table[codec] = (pt, rtx)
        }
        if caps.audioRED { table[.audioRED] = (63, nil) }
        var ids: [String: UInt8] = [:]
        var id: UInt8 = 1
        for uri in caps.audioHeaderExtensions + caps.videoHeaderExtensions where ids[uri] == nil && id <= 14 {
            ids[uri] = id
            id += 1
        }
        return (table, ids)
    }
}
