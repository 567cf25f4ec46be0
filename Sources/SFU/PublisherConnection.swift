import Foundation
import RTP
import SDP
import Transport

/// A participant's publishing peer connection: the browser offers, we answer (RFC 8829), and
/// its RTP is demultiplexed by SSRC to the published tracks and forwarded.
final class PublisherConnection {
    unowned let participant: Participant
    let transport: PeerTransport
    let worker: MediaWorker
    private var binding = TransportBinding()
    private(set) var sessionVersion: UInt64 = 1
    private let sessionID = UInt64.random(in: 1...(1 << 62))
    /// Layers by publisher SSRC (media and RTX); a dictionary lookup allocates nothing.
    private var layersBySSRC: [UInt32: (track: PublishedTrack, layer: PublishedLayer)] = [:]
    /// Tracks by the publisher's mid, for packets whose SSRC the SDP did not announce.
    private(set) var tracksByMid: [String: PublishedTrack] = [:]
    private var midExtensionID: UInt8 = 0
    /// rtp-stream-id and repaired-rtp-stream-id (RFC 8852): name a simulcast layer's packets.
    private var ridExtensionID: UInt8 = 0
    private var repairedRIDExtensionID: UInt8 = 0
    /// The id of the transport-wide sequence number extension when the publisher negotiated
    /// transport-cc feedback, else 0.
    private var transportWideExtensionID: UInt8 = 0
    /// Arrivals of the publisher's transport-wide sequence numbers, reported back to it.
    @exclusivity(unchecked) private var congestionFeedback: TransportWideFeedbackGenerator?
    @exclusivity(unchecked) private var lastMediaSSRC: UInt32 = 0
    private let reportTimer: WorkerTimer
    private let feedbackTimer: WorkerTimer
    /// Asks again for packets still missing, and gives up on the ones too old.
    private let repairTimer: WorkerTimer
    static let repairIntervalMilliseconds = 20
    /// How often transport-wide feedback goes to the publisher. libwebrtc's own receiver sends
    /// it every 50 to 250 ms, more often the higher the bitrate (50 ms from about 200 kbit/s);
    /// its congestion controller ramps up at the pace of the feedback it gets.
    static let congestionFeedbackIntervalMilliseconds = 50
    /// Statuses per feedback message: at most 2 bytes of delta and 2/7 of a chunk each, so
    /// one message stays well inside an MTU.
    static let maximumFeedbackStatuses = 400
    private(set) var parseFailures = 0
    private(set) var unknownSSRCPackets = 0
    private(set) var keyframeRequestsSent = 0
    private(set) var congestionFeedbackSent = 0
    private(set) var nacksSent = 0
    /// The last cap told in a REMB (`PublisherBitrateCap`), and how many more REMBs lift it.
    private(set) var bitrateCapSent: Int?
    private var liftsLeft = 0
    /// `ActiveSpeakerDetection.soundLevel`, nil when detection is off.
    private let soundLevel: UInt8?

    init(participant: Participant, worker: MediaWorker, context: DTLSContext, configuration: SFUConfiguration) throws(RoomError) {
        self.participant = participant
        self.worker = worker
        do {
            transport = try PeerTransport(worker: worker, dtlsContext: context, ice: configuration.ice, timeouts: configuration.timeouts)
        } catch {
            throw .transportFailed(error.description)
        }
        reportTimer = WorkerTimer(worker: worker)
        feedbackTimer = WorkerTimer(worker: worker)
        repairTimer = WorkerTimer(worker: worker)
        soundLevel = configuration.activeSpeakers.map { UInt8(clamping: $0.soundLevel) }
        transport.onRTP = { [unowned self] in receiveRTP($0, length: $1) }
        transport.onRTCP = { [unowned self] in receiveRTCP($0, length: $1) }
    }

    var tracks: [PublishedTrack] { Array(tracksByMid.values).sorted { $0.mid < $1.mid } }

    /// Negotiates an offer; returns the answer and the tracks it publishes, new and kept.
    /// `makeTrackID` names a track the first time its mid appears.
    func negotiate(offer text: String, capabilities: CodecCapabilities, maxTracks: Int) throws(RoomError) -> (answer: String, added: [PublishedTrack], removed: [PublishedTrack]) {
        let offer: SessionDescription
        do {
            offer = try SessionDescription(parsing: text)
        } catch {
            throw .badSDP("\(error)")
        }
        // One codec per kind, the first the offer lists that we support (the publisher's
        // preference, RFC 8829 5.3.1's order): every subscriber takes the stream as it is
        // (nothing is transcoded).
        let chosen = Self.chooseCodecs(offer: offer, capabilities: capabilities)
        let receiving = offer.media.filter { ($0.direction ?? .sendrecv).sends && ($0.kind == .audio || $0.kind == .video) }
        guard receiving.count <= maxTracks else { throw .tooManyTracks(limit: maxTracks) }
        var media: [String: LocalMediaOptions] = [:]
        for section in offer.media { if let mid = section.mid { media[mid] = LocalMediaOptions(send: nil, receive: true) } }
        sessionVersion += 1
        var negotiated = try answer(offer, capabilities: chosen, media: media)
        if binding.isICERestart(negotiated.session) {
            // The browser restarted ICE (after an outage, or on resume): our side takes new
            // credentials before answering, and the answer carries them (RFC 8839 4.4.1.1.2)
            // with our candidates, which the restart keeps and the browser has just discarded.
            participant.log("publisher ICE restart by the peer (remote ufrag \(negotiated.session.remoteICE.ufrag))")
            do {
                try transport.restartLocalICE()
            } catch {
                throw .transportFailed(error.description)
            }
            negotiated = try answer(offer, capabilities: chosen, media: media)
        }
        let session = negotiated.session
        try applyTransport(session)

        // Tracks: one per receiving m-line with a codec.
        var added: [PublishedTrack] = []
        var seen = Set<String>()
        for m in session.media where !m.rejected && m.direction.receives {
            guard let codec = m.codecs.first, let kind = TrackKind(rawValue: m.kind.description) else { continue }
            seen.insert(m.mid)
            if let midID = m.headerExtensions[HeaderExtensionURI.mid] { midExtensionID = midID }
            if let id = m.headerExtensions[HeaderExtensionURI.rtpStreamID] { ridExtensionID = id }
            if let id = m.headerExtensions[HeaderExtensionURI.repairedRTPStreamID] { repairedRIDExtensionID = id }
            if let id = m.headerExtensions[HeaderExtensionURI.transportWideCC], codec.feedback.contains(where: { $0.sameKind(as: .transportCC) }) {
                startCongestionFeedback(extensionID: id)
            }
            let media = m.remoteRTXPairs.first?.media ?? m.remoteSSRCs.first ?? 0
            let rtx = m.remoteRTXPairs.first?.rtx
            if let existing = tracksByMid[m.mid] {
                if media != 0, !existing.isSimulcast, existing.primary.ssrc != media { bind(existing.primary, of: existing, ssrc: media, rtx: rtx) }
                continue
            }
            // Simulcast (RFC 8853): one layer per rid the answer accepted; their SSRCs are
            // learned from the packets' rid extensions (browsers do not list them).
            let rids = m.rids.count > 1 ? m.rids.map(\.id) : []
            let track = PublishedTrack(
                id: Identifier.make(prefix: "TR_"), participantID: participant.id, kind: kind, mid: m.mid, codec: codec,
                headerExtensions: Dictionary(m.headerExtensions.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a }),
                ssrc: rids.isEmpty ? media : 0, rtxSSRC: rids.isEmpty ? rtx : nil, rids: rids)
            if let soundLevel { track.speech = SpeechActivity(soundLevel: soundLevel) }
            track.redPayloadType = m.codecs.first(where: \.isRED)?.payloadType
            tracksByMid[m.mid] = track
            if track.primary.lossRepair != nil, !repairTimer.isScheduled {
                repairTimer.schedule(after: Self.repairIntervalMilliseconds, repeats: true) { [unowned self] in repairLosses() }
            }
            if !track.isSimulcast {
                if media != 0 { layersBySSRC[media] = (track, track.primary) }
                if let rtx { layersBySSRC[rtx] = (track, track.primary) }
            }
            added.append(track)
        }
        let removed = tracksByMid.values.filter { !seen.contains($0.mid) }
        for track in removed {
            tracksByMid[track.mid] = nil
            layersBySSRC = layersBySSRC.filter { $0.value.track !== track }
        }
        return (negotiated.answer.text, added, Array(removed))
    }

    /// Our answer with the transport's current credentials and candidates (none yet on the first
    /// answer: gathering starts with the transport, and they trickle).
    private func answer(_ offer: SessionDescription, capabilities: CodecCapabilities,
                        media: [String: LocalMediaOptions]) throws(RoomError) -> NegotiatedAnswer {
        let credentials = transport.localICECredentials
        do {
            return try makeAnswer(to: offer, options: AnswerOptions(
                iceCredentials: ICECredentials(ufrag: credentials.ufrag, pwd: credentials.password),
                fingerprint: transport.localFingerprint, capabilities: capabilities, media: media,
                defaultMedia: LocalMediaOptions(send: nil, receive: true),
                candidates: transport.localCandidates, gatheringComplete: transport.localGatheringComplete,
                sessionID: sessionID, sessionVersion: sessionVersion))
        } catch {
            if case .noUsableCodec = error { throw .noUsableCodec }
            throw .negotiationFailed("\(error)")
        }
    }

    /// Starts the transport on the first offer, follows the browser's ICE restarts after.
    private func applyTransport(_ session: NegotiatedSession) throws(RoomError) {
        if try binding.apply(session, to: transport) {
            reportTimer.schedule(after: 1000, repeats: true) { [unowned self] in
                sendReceiverReports()
                sendBitrateCap()
            }
        }
    }

    /// Transport-wide feedback from the first offer that negotiates it. The extension id is one
    /// per BUNDLE transport (RFC 8285 6: an id means one thing across the bundled m-lines).
    private func startCongestionFeedback(extensionID: UInt8) {
        transportWideExtensionID = extensionID
        guard congestionFeedback == nil else { return }
        congestionFeedback = TransportWideFeedbackGenerator()
        feedbackTimer.schedule(after: Self.congestionFeedbackIntervalMilliseconds, repeats: true) { [unowned self] in
            sendCongestionFeedback()
        }
    }

    func addRemoteCandidate(_ candidate: String) throws(RoomError) {
        try binding.addRemoteCandidate(candidate, to: transport)
    }

    /// Binds `layer` to a (new) SSRC and RTX SSRC.
    private func bind(_ layer: PublishedLayer, of track: PublishedTrack, ssrc: UInt32, rtx: UInt32?) {
        if layer.ssrc != 0 { layersBySSRC[layer.ssrc] = nil }
        if let old = layer.rtxSSRC { layersBySSRC[old] = nil }
        layer.rebind(ssrc: ssrc, rtxSSRC: rtx)
        layersBySSRC[ssrc] = (track, layer)
        if let rtx { layersBySSRC[rtx] = (track, layer) }
    }

    static func chooseCodecs(offer: SessionDescription, capabilities: CodecCapabilities) -> CodecCapabilities {
        var chosen = capabilities
        var codecs: [Codec] = []
        for kind in [MediaKind.audio, .video] {
            // The m-line's format list is in the offerer's order of preference (RFC 8866 5.14).
            let offered = offer.media.filter { $0.kind == kind }.flatMap { section in
                section.payloadTypes.compactMap { payloadType -> Codec? in
                    guard let rtpmap = section.rtpmaps.first(where: { $0.payloadType == payloadType }) else { return nil }
                    return Codec(kind: kind, name: rtpmap.encodingName, clockRate: rtpmap.clockRate, channels: rtpmap.channels,
                                 parameters: section.fmtp(for: rtpmap.payloadType))
                }
            }
            let ours = capabilities.codecs(for: kind)
            if let best = offered.lazy.compactMap({ theirs in ours.first { $0.matches(theirs) } }).first {
                codecs.append(best)
            }
        }
        chosen.codecs = codecs
        return chosen
    }

    // MARK: - Packet path (worker thread)

    private func receiveRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) {
        var bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
        guard var packet = try? RTPPacket(bytes) else {
            parseFailures += 1
            return
        }
        // Every packet the publisher's congestion controller counted, whatever its stream (RTX,
        // padding probes, a layer we drop), is reported as it arrived.
        if transportWideExtensionID != 0, let value = packet.headerExtension(id: transportWideExtensionID),
            let sequence = TransportSequenceNumberExtension.read(value) {
            congestionFeedback?.record(sequence: sequence, arrivalMicroseconds: worker.arrivalNanoseconds / 1000)
            lastMediaSSRC = packet.ssrc
        }
        guard let (track, layer) = layersBySSRC[packet.ssrc] ?? learnSSRC(of: packet) else {
            unknownSSRCPackets += 1
            return
        }
        // The arrival time the transport stamped on this datagram (no second clock read).
        let now = worker.arrivalNanoseconds / 1000
        let ssrcBeforeRepair = packet.ssrc
        if packet.ssrc != layer.ssrc {
            // RTX (RFC 4588): the answer to one of our NACKs becomes the packet it repairs and
            // goes on like any other. The rest of the RTX stream is not forwarded: padding
            // probes, and resends of packets that did arrive (libwebrtc probes with those too).
            guard packet.ssrc == layer.rtxSSRC, let original = try? RTX.originalSequenceNumber(of: packet),
                layer.lossRepair?.isMissing(original) == true,
                let unwrapped = try? RTX.unwrapInPlace(packet, in: buffer, originalSSRC: layer.ssrc,
                                                       originalPayloadType: track.codec.payloadType),
                let repaired = try? RTPPacket(UnsafeRawBufferPointer(rebasing: buffer[0..<unwrapped]))
            else { return }
            packet = repaired
            bytes = repaired.bytes
        }
        if layer.lossRepair != nil {
            let missingBefore = layer.lossRepair!.missingCount
            // A gap just opened: ask at once (RFC 4585 3.5.1 lets an immediate-mode receiver).
            let arrival = layer.lossRepair!.received(packet.sequenceNumber, now: now, retransmission: packet.ssrc != ssrcBeforeRepair)
            if arrival == .next, layer.lossRepair!.missingCount > missingBefore {
                requestRetransmissions(of: layer, now: now)
            }
        }
        layer.statistics.update(sequence: packet.sequenceNumber, timestamp: packet.timestamp,
                                payloadBytes: packet.payload.count, arrivalMicroseconds: now)
        layer.lastPacketMicroseconds = now
        // Who speaks (RFC 6464): one byte the publisher's encoder measured, counted as it is.
        if track.audioLevelExtensionID != 0, soundLevel != nil, !track.muted,
           let level = packet.headerExtension(id: track.audioLevelExtensionID), !level.isEmpty {
            track.speech.record(levelByte: level[0])
        }
        layer.cache?.store(bytes, sequence: packet.sequenceNumber)
        var keyframe = false
        var frame: ScalableFrame?
        if let codec = track.keyframeCodec {
            if let start = VideoKeyframe.start(in: packet.payload, codec: codec) {
                keyframe = true
                layer.keyframeStarted(start, timestamp: packet.timestamp, now: now)
            }
            if packet.marker { layer.framesReceived &+= 1 }
            // The frame's temporal layer: from the dependency descriptor when the publisher
            // sends one (Chromium then leaves VP8's picture id and TID out), else from VP8's
            // payload descriptor.
            if track.dependencyDescriptorID != 0, let value = packet.headerExtension(id: track.dependencyDescriptorID) {
                frame = layer.frameLayers?.frame(dependencyDescriptor: value)
            } else if codec == .vp8, let descriptor = VP8PayloadDescriptor(packet.payload) {
                frame = ScalableFrame(vp8: descriptor)
            }
            if let frame { layer.rates.record(spatial: frame.spatialLayer, temporal: frame.temporalLayer, bytes: packet.payload.count) }
        }
        let scratch = worker.forwardBuffer
        for forwarder in track.forwarders {
            forwarder.forward(packet, layer: layer, keyframe: keyframe, frame: frame, nowMicroseconds: now, scratch: scratch)
        }
    }

    /// A packet on an SSRC the SDP did not list (simulcast layers, Firefox without a=ssrc, a
    /// restarted encoder): bound to a track by its mid header extension (RFC 8843 15), and to a
    /// simulcast layer by its rid, or as the layer's RTX stream by its repaired rid (RFC 8852).
    /// Allocates (the mid and rid as strings), once per new SSRC.
    private func learnSSRC(of packet: RTPPacket) -> (track: PublishedTrack, layer: PublishedLayer)? {
        guard midExtensionID != 0, let value = packet.headerExtension(id: midExtensionID),
            let track = tracksByMid[String(decoding: value, as: UTF8.self)]
        else { return nil }
        if track.isSimulcast {
            if ridExtensionID != 0, let value = packet.headerExtension(id: ridExtensionID) {
                let rid = String(decoding: value, as: UTF8.self)
                guard let layer = track.layers.first(where: { $0.rid == rid }) else { return nil }
                bind(layer, of: track, ssrc: packet.ssrc, rtx: layer.rtxSSRC)
                return (track, layer)
            }
            if repairedRIDExtensionID != 0, let value = packet.headerExtension(id: repairedRIDExtensionID) {
                let rid = String(decoding: value, as: UTF8.self)
                guard let layer = track.layers.first(where: { $0.rid == rid }), layer.ssrc != 0 else { return nil }
                bind(layer, of: track, ssrc: layer.ssrc, rtx: packet.ssrc)
                return (track, layer)
            }
            return nil
        }
        // Only an unbound track learns: a second SSRC on a bound mid is its RTX stream or a
        // layer the SDP did not announce, which this SFU does not take.
        guard track.primary.ssrc == 0 else { return nil }
        bind(track.primary, of: track, ssrc: packet.ssrc, rtx: track.primary.rtxSSRC)
        return (track, track.primary)
    }

    private func receiveRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) {
        guard let compound = try? RTCPCompound(UnsafeRawBufferPointer(rebasing: buffer[0..<length])) else {
            parseFailures += 1
            return
        }
        let now = MediaClock.monotonicMicroseconds()
        for packet in compound where packet.packetType == .senderReport {
            guard let report = try? SenderReport(packet), let (_, layer) = layersBySSRC[report.ssrc], layer.ssrc == report.ssrc
            else { continue }
            layer.lastSenderReport = (report.ntpTime, report.rtpTimestamp, now)
        }
    }

    /// Asks the publisher for a keyframe of `layer` (PLI, RFC 4585 6.3.1), throttled per layer;
    /// of every layer when none is named (an unmute).
    func requestKeyframe(for track: PublishedTrack, layer: PublishedLayer? = nil) {
        guard track.kind == .video else { return }
        guard let layer else {
            for layer in track.layers { requestKeyframe(for: track, layer: layer) }
            return
        }
        // Not before the transport can send: an unsent request must not use up the throttle.
        guard layer.ssrc != 0, transport.srtpProfile != nil,
            layer.mayRequestKeyframe(now: MediaClock.monotonicMicroseconds())
        else { return }
        let buffer = worker.forwardBuffer
        guard let length = try? PictureLossIndication.write(senderSSRC: participant.rtcpSSRC, mediaSSRC: layer.ssrc, into: buffer) else { return }
        if transport.sendRTCP(buffer, length: length) {
            keyframeRequestsSent += 1
            layer.cadence.requested(at: MediaClock.monotonicMicroseconds())
        }
    }

    /// Transport-wide feedback for the arrivals since the last (draft-holmer-rmcat-transport-wide-
    /// cc-extensions-01 3.1): one message, or several when many packets came.
    private func sendCongestionFeedback() {
        guard transport.srtpProfile != nil, congestionFeedback?.hasPendingFeedback == true else { return }
        let buffer = worker.forwardBuffer
        // Room for the SRTCP trailer behind the message: it is protected in place.
        let room = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(buffer.count - SRTPSession.maximumTrailer)])
        var messages = 0
        while messages < 8, congestionFeedback?.hasPendingFeedback == true {
            messages += 1
            guard let length = try? congestionFeedback?.writeFeedback(
                senderSSRC: participant.rtcpSSRC, mediaSSRC: lastMediaSSRC, maximumStatuses: Self.maximumFeedbackStatuses, into: room),
                length > 0
            else { return }
            if transport.sendRTCP(buffer, length: length) { congestionFeedbackSent += 1 }
        }
    }

    /// NACKs for what is missing and due a request on `track` (RFC 4585 6.2.1); a keyframe
    /// request when a packet was given up, since subscribers cannot decode past it.
    private func requestRetransmissions(of layer: PublishedLayer, now: Int64) {
        guard transport.srtpProfile != nil, layer.ssrc != 0, layer.lossRepair != nil else { return }
        let buffer = worker.forwardBuffer
        let room = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(buffer.count - SRTPSession.maximumTrailer)])
        if let length = try? layer.lossRepair!.writeNACK(senderSSRC: participant.rtcpSSRC, mediaSSRC: layer.ssrc, now: now, into: room),
            length > 0, transport.sendRTCP(buffer, length: length) {
            nacksSent += 1
        }
        if layer.lossRepair!.takeKeyframeNeeded(), let (track, _) = layersBySSRC[layer.ssrc] { requestKeyframe(for: track, layer: layer) }
    }

    private func repairLosses() {
        let now = MediaClock.monotonicMicroseconds()
        for track in tracksByMid.values {
            for layer in track.layers where layer.lossRepair.map({ $0.missingCount > 0 || $0.keyframeNeeded }) == true {
                requestRetransmissions(of: layer, now: now)
            }
        }
    }

    /// Receiver reports for every published stream, once a second (RFC 3550 6.2, 6.4.2).
    private func sendReceiverReports() {
        guard transport.srtpProfile != nil else { return }
        let now = MediaClock.monotonicMicroseconds()
        for track in tracksByMid.values {
            for layer in track.layers where layer.statistics.packetsReceived > 0 {
                var lsr: UInt32 = 0
                var dlsr: UInt32 = 0
                if let sr = layer.lastSenderReport {
                    lsr = sr.ntp.middle32
                    dlsr = NTPTime.shortTime(microseconds: now &- sr.arrivalMicroseconds)
                }
                let report = ReceptionReport(
                    ssrc: layer.ssrc, fractionLost: layer.statistics.takeFractionLost(),
                    cumulativeLost: layer.statistics.cumulativeLost,
                    extendedHighestSequenceNumber: layer.statistics.extendedHighestSequence,
                    jitter: layer.statistics.jitter, lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
                let buffer = worker.forwardBuffer
                guard let length = try? ReceiverReport.write(ssrc: participant.rtcpSSRC, reports: CollectionOfOne(report), into: buffer)
                else { continue }
                transport.sendRTCP(buffer, length: length)
            }
        }
    }

    /// Once a second: a REMB with what this publisher's subscribers can take
    /// (`PublisherBitrateCap`), when its video negotiated goog-remb and a cap applies; after a
    /// cap, three REMBs of `liftedBitsPerSecond` once none applies (a REMB may be lost).
    private func sendBitrateCap() {
        guard transport.srtpProfile != nil else { return }
        let video = tracksByMid.values.filter { $0.kind == .video }
        guard video.contains(where: { $0.codec.feedback.contains { $0.sameKind(as: .remb) } }) else { return }
        let now = MediaClock.monotonicMicroseconds()
        let tracks = video.map { track in
            PublisherBitrateCap.Track(isLayered: track.isSimulcast || track.hasSpatialLayers, shares: track.forwarders.map { forwarder in
                forwarder.subscriber.limitingBitsPerSecond(now: now).map { estimate in
                    PublisherBitrateCap.share(estimate: estimate, sentBitsPerSecond: forwarder.subscriber.participant.bitrateOut.bitsPerSecond,
                                              trackBitsPerSecond: track.primary.bitsPerSecond)
                }
            })
        }
        let audio = tracksByMid.values.filter { $0.kind == .audio }.reduce(0) { $0 + $1.primary.bitsPerSecond }
        let value: Int
        if let cap = PublisherBitrateCap.cap(tracks: tracks, otherBitsPerSecond: audio) {
            value = cap
            bitrateCapSent = cap
            liftsLeft = 3
        } else {
            guard liftsLeft > 0 else { return }
            liftsLeft -= 1
            value = PublisherBitrateCap.liftedBitsPerSecond
            bitrateCapSent = nil
        }
        let ssrcs = video.flatMap { $0.layers.map(\.ssrc) }.filter { $0 != 0 }
        guard !ssrcs.isEmpty, let length = try? ReceiverEstimatedMaxBitrate.write(
            senderSSRC: participant.rtcpSSRC, bitrate: UInt64(value), ssrcs: ssrcs, into: worker.forwardBuffer) else { return }
        transport.sendRTCP(worker.forwardBuffer, length: length)
    }

    /// Closes the transport and takes every track off its subscribers: a forwarder holds its
    /// track unowned, so none may outlive it (the tracks go with this connection).
    func close() {
        reportTimer.cancel()
        feedbackTimer.cancel()
        repairTimer.cancel()
        transport.close()
        for track in tracksByMid.values {
            for forwarder in track.forwarders { forwarder.subscriber.remove(track) }
        }
    }
}
