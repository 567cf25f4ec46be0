import RTP
import SDP
import Transport

/// One subscriber's copy of one published track (mediasoup's Consumer): rewrites each packet
/// of the publisher's stream into the subscriber's numbering and sends it on the subscriber's
/// transport.
///
/// Per packet (RFC 3550 5.1, RFC 7667 3.7 on RTP translators/SFUs): SSRC and payload type become
/// the ones the subscriber's SDP declares; sequence numbers and timestamps are offset so that
/// the subscriber sees one continuous stream even when the source changes (a re-published
/// track) or pauses; header extension ids are mapped from the publisher's numbering to the
/// subscriber's (RFC 8285), and extensions the subscriber did not negotiate are renamed to an
/// id it does not use, which receivers ignore (RFC 8285 4.1.1).
final class TrackForwarder {
    unowned let track: PublishedTrack
    unowned let subscriber: SubscriberConnection
    let mid: String
    let ssrc: UInt32
    let rtxSSRC: UInt32
    /// The subscriber's payload types, known once it answered.
    private(set) var payloadType: UInt8 = 0
    private(set) var rtxPayloadType: UInt8?
    /// Publisher extension id (1-255) to subscriber id; built when the answer is applied.
    @exclusivity(unchecked) private var extensionMap = [UInt8](repeating: 0, count: 256)
    private var unusedExtensionID: UInt8 = 14
    /// The subscriber's id for the transport-wide sequence number, 0 if not negotiated: the
    /// publisher's value is replaced by the subscriber transport's own numbering, which its
    /// congestion feedback refers to (`TransportWideSendHistory`).
    @exclusivity(unchecked) private(set) var transportWideID: UInt8 = 0
    @exclusivity(unchecked) private(set) var isActive = false

    // Simulcast: the layer forwarded now, and the one wanted (a switch waits for its keyframe).
    @exclusivity(unchecked) private(set) var currentLayer: PublishedLayer?
    @exclusivity(unchecked) private(set) var targetLayer: PublishedLayer?
    /// The current layer is not forwarded while the switch down waits (`setTarget`).
    @exclusivity(unchecked) private var dropsCurrentLayer = false
    /// The width the subscriber renders this track at (from the client), for the layer choice.
    var renderedWidth: Int?
    private(set) var layerSwitches = 0

    // Continuity across source changes (RFC 7667 3.7).
    @exclusivity(unchecked) private var boundSourceSSRC: UInt32 = 0
    /// The source's sequence number at the bind: older packets of that source came before the
    /// switch to it, and their numbers in our numbering belong to the previous source.
    @exclusivity(unchecked) private var boundFirstSequence: UInt16 = 0
    @exclusivity(unchecked) private var packetsSinceBind = 0
    @exclusivity(unchecked) private var sequenceOffset: UInt16 = 0
    @exclusivity(unchecked) private var timestampOffset: UInt32 = 0
    @exclusivity(unchecked) private var hasSent = false
    @exclusivity(unchecked) private(set) var lastSequence = UInt16.random(in: 0...0x7FFF)
    @exclusivity(unchecked) private(set) var lastTimestamp = UInt32.random(in: 0...0x7FFF_FFFF)
    @exclusivity(unchecked) private var lastSentMicroseconds: Int64 = 0
    private var rtxSequence = UInt16.random(in: 0...0x7FFF)

    // For sender reports (RFC 3550 6.4.1).
    @exclusivity(unchecked) private(set) var packetsSent: UInt32 = 0
    @exclusivity(unchecked) private(set) var octetsSent: UInt32 = 0

    init(track: PublishedTrack, subscriber: SubscriberConnection, mid: String, ssrc: UInt32, rtxSSRC: UInt32) {
        self.track = track
        self.subscriber = subscriber
        self.mid = mid
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
    }

    /// Takes the subscriber's negotiated m-line: payload types and extension ids.
    func configure(with media: NegotiatedMedia) {
        guard let codec = media.codecs.first else {
            isActive = false
            return
        }
        payloadType = codec.payloadType
        rtxPayloadType = codec.rtxPayloadType
        let used = Set(media.headerExtensions.values)
        unusedExtensionID = (1...14).reversed().first { !used.contains(UInt8($0)) }.map(UInt8.init) ?? 14
        for id in 0..<256 { extensionMap[id] = unusedExtensionID }
        for (publisherID, uri) in track.headerExtensions {
            if let subscriberID = media.headerExtensions[uri] { extensionMap[Int(publisherID)] = subscriberID }
        }
        transportWideID = media.headerExtensions[HeaderExtensionURI.transportWideCC] ?? 0
        isActive = !media.rejected && media.direction.sends
    }

    func deactivate() { isActive = false }

    /// Picks the layer to forward: the track's only one, or for simulcast what the subscriber's
    /// allocation gives it (`SubscriberConnection.chooseLayers`, all its tracks at once).
    func chooseLayer(now: Int64) {
        guard track.isSimulcast else {
            targetLayer = track.primary
            return
        }
        subscriber.chooseLayers(now: now)
    }

    /// The layers being sent, smallest first, and the one the subscriber's rendered width asks
    /// for (`LayerChoice`); nil when no layer is sent.
    func preferredLayer(now: Int64) -> (ranked: [PublishedLayer], index: Int)? {
        let ranked = track.rankedLayers
        let index = LayerChoice.choose(renderedWidth: renderedWidth,
                                       layers: ranked.map { LayerChoice.Layer(width: $0.width, active: $0.isActive(now: now)) })
        return index.map { (ranked, $0) }
    }

    /// The layer to switch to; a change waits for its keyframe, asked for here. With
    /// `dropCurrent` (the subscriber's link cannot carry the current layer), the current layer
    /// stops at once rather than at the switch: its packets would only fill the link's queue
    /// ahead of the keyframe that ends the wait.
    func setTarget(_ layer: PublishedLayer, dropCurrent: Bool = false) {
        targetLayer = layer
        dropsCurrentLayer = dropCurrent && layer !== currentLayer
        if layer !== currentLayer { subscriber.participant.requestKeyframe(track, layer: layer) }
    }

    /// Rewrites the publisher's `packet` (of `layer`, starting a keyframe or not) into `scratch`
    /// and sends it. No allocation.
    @inline(__always)
    func forward(_ packet: RTPPacket, layer: PublishedLayer, keyframe: Bool, nowMicroseconds: Int64,
                 scratch: UnsafeMutableRawBufferPointer) {
        guard isActive, let transport = subscriber.transport, transport.srtpProfile != nil else { return }
        if dropsCurrentLayer, layer === currentLayer { return }
        if layer !== currentLayer {
            if track.isSimulcast {
                // One layer at a time, switched only at the target layer's keyframe: the
                // decoder needs one to start on another stream.
                guard layer === (targetLayer ?? track.layers.last), keyframe else { return }
                if currentLayer != nil { layerSwitches += 1 }
            }
            currentLayer = layer
            dropsCurrentLayer = false
        }
        let length = packet.bytes.count
        guard length + SRTPSession.maximumTrailer <= scratch.count else { return }
        if packet.ssrc != boundSourceSSRC || !hasSent {
            bind(to: packet, nowMicroseconds: nowMicroseconds)
            // A subscriber that starts (or restarts) mid-stream cannot decode video until the
            // next keyframe: ask for one now rather than wait for the periodic one.
            if track.kind == .video, !keyframe { subscriber.participant.requestKeyframe(track, layer: layer) }
        } else if packetsSinceBind < Self.bindWindow {
            packetsSinceBind += 1
            // From before the bind: its number would land among the previous source's.
            if Self.precedesBind(packet.sequenceNumber, boundFirst: boundFirstSequence) { return }
        }
        scratch.baseAddress!.copyMemory(from: packet.bytes.baseAddress!, byteCount: length)
        let sequence = packet.sequenceNumber &+ sequenceOffset
        let timestamp = packet.timestamp &+ timestampOffset
        let wide = subscriber.transportWideSequence
        let stamped = rewrite(scratch, length: length, packet: packet, sequence: sequence, timestamp: timestamp, transportWide: wide)
        if stamped { subscriber.sentTransportWide(bytes: length, now: nowMicroseconds) }
        if isNewer(sequence, than: lastSequence) || !hasSent {
            lastSequence = sequence
            lastTimestamp = timestamp
            lastSentMicroseconds = nowMicroseconds
        }
        hasSent = true
        if transport.sendRTP(scratch, length: length, forwarded: true) {
            packetsSent &+= 1
            octetsSent &+= UInt32(truncatingIfNeeded: packet.payload.count)
            transport.worker.packetsForwarded &+= 1
            let participant = subscriber.participant
            if !participant.hasReceivedMedia { participant.firstMediaSent(nanoseconds: MediaWorker.monotonicNanoseconds()) }
        }
    }

    /// Answers a NACK for our sequence number `sequence` from the track's cache: as RTX when
    /// negotiated (RFC 4588), else as the same packet again. Returns the bytes sent, 0 if the
    /// packet is gone (or the send failed). A bandwidth probe (`probeCluster`) resends recent
    /// packets the same way: the subscriber discards the copies, and its feedback on them
    /// measures the path.
    func retransmit(sequence: UInt16, scratch: UnsafeMutableRawBufferPointer, probeCluster: Int? = nil) -> Int {
        guard isActive, let transport = subscriber.transport, let cache = currentLayer?.cache,
            let stored = cache.packet(sequence: sequence &- sequenceOffset),
            let original = try? RTPPacket(stored), original.ssrc == boundSourceSSRC
        else { return 0 }
        let length = stored.count
        let packetBuffer = subscriber.worker.packetBuffer
        // Room for the SRTP trailer after the packet: sent as it is (no RTX negotiated), it is
        // protected in place, and a buffer cut at `length` made every such send fail.
        guard length + SRTPSession.maximumTrailer <= packetBuffer.count else { return 0 }
        let rewritten = UnsafeMutableRawBufferPointer(rebasing: packetBuffer[0..<(length + SRTPSession.maximumTrailer)])
        rewritten.baseAddress!.copyMemory(from: stored.baseAddress!, byteCount: length)
        let wide = subscriber.transportWideSequence
        let stamped = rewrite(rewritten, length: length, packet: original, sequence: sequence,
                              timestamp: original.timestamp &+ timestampOffset, transportWide: wide)
        let now = MediaClock.monotonicMicroseconds()
        guard let rtxPayloadType, let view = try? RTPPacket(UnsafeRawBufferPointer(rebasing: rewritten[0..<length])) else {
            guard probeCluster == nil else { return 0 }  // probes only as RTX: a plain copy would count as media
            if stamped { subscriber.sentTransportWide(bytes: length, now: now) }
            return transport.sendRTP(rewritten, length: length) ? length : 0
        }
        rtxSequence &+= 1
        // The RTX packet carries the rewritten packet's extensions, the transport-wide number
        // stamped above among them.
        guard let rtxLength = try? RTX.wrap(view, rtxSSRC: rtxSSRC, rtxPayloadType: rtxPayloadType,
                                            rtxSequenceNumber: rtxSequence, into: scratch)
        else { return 0 }
        if stamped { subscriber.sentTransportWide(bytes: rtxLength, now: now, probeCluster: probeCluster) }
        return transport.sendRTP(scratch, length: rtxLength) ? rtxLength : 0
    }

    /// Whether probes can be sent on this forwarder: video with RTX, forwarding, numbered.
    var canProbe: Bool {
        isActive && hasSent && rtxPayloadType != nil && transportWideID != 0 && currentLayer?.cache != nil
    }

    /// A new source (first packet, or the track re-published with another SSRC): continue our
    /// numbering where it stopped; the timestamp advances by the wall time that passed.
    private func bind(to packet: RTPPacket, nowMicroseconds: Int64) {
        boundSourceSSRC = packet.ssrc
        boundFirstSequence = packet.sequenceNumber
        packetsSinceBind = 0
        let nextSequence = lastSequence &+ 1
        var nextTimestamp = lastTimestamp
        if hasSent {
            nextTimestamp &+= RTPClock.ticks(microseconds: max(0, nowMicroseconds &- lastSentMicroseconds), clockRate: track.codec.clockRate)
        }
        sequenceOffset = nextSequence &- packet.sequenceNumber
        timestampOffset = nextTimestamp &- packet.timestamp
    }

    /// Returns true if the packet carried a transport-wide sequence number and `transportWide`
    /// was written in its place.
    @inline(__always)
    private func rewrite(_ buffer: UnsafeMutableRawBufferPointer, length: Int, packet: RTPPacket, sequence: UInt16, timestamp: UInt32,
                         transportWide: UInt16) -> Bool {
        buffer[1] = (buffer[1] & 0x80) | (payloadType & 0x7F)
        buffer[2] = UInt8(sequence >> 8)
        buffer[3] = UInt8(truncatingIfNeeded: sequence)
        buffer[4] = UInt8(truncatingIfNeeded: timestamp >> 24)
        buffer[5] = UInt8(truncatingIfNeeded: timestamp >> 16)
        buffer[6] = UInt8(truncatingIfNeeded: timestamp >> 8)
        buffer[7] = UInt8(truncatingIfNeeded: timestamp)
        buffer[8] = UInt8(truncatingIfNeeded: ssrc >> 24)
        buffer[9] = UInt8(truncatingIfNeeded: ssrc >> 16)
        buffer[10] = UInt8(truncatingIfNeeded: ssrc >> 8)
        buffer[11] = UInt8(truncatingIfNeeded: ssrc)
        guard let extensions = packet.headerExtensions, let form = extensions.form else { return false }
        var stamped = false
        // Each element's id sits just before its value: in the high nibble of the byte before it
        // (one-byte form, RFC 8285 4.2), or in the byte two before it (two-byte form, 4.3).
        for element in extensions {
            let mapped = extensionMap[Int(element.id)]
            if mapped == transportWideID, transportWideID != 0, element.range.count == 2 {
                buffer[element.range.lowerBound] = UInt8(transportWide >> 8)
                buffer[element.range.lowerBound + 1] = UInt8(truncatingIfNeeded: transportWide)
                stamped = true
            }
            switch form {
            case .oneByte:
                let at = element.range.lowerBound - 1
                let id = mapped <= 14 ? mapped : unusedExtensionID
                buffer[at] = (id << 4) | (buffer[at] & 0x0F)
            case .twoByte:
                buffer[element.range.lowerBound - 2] = mapped
            }
        }
        return stamped
    }

    @inline(__always)
    private func isNewer(_ a: UInt16, than b: UInt16) -> Bool { a != b && a &- b < 0x8000 }

    /// Packets after a bind during which older packets of the new source are dropped; later the
    /// sequence space moves on (32 768 packets after the bind, half of it is "before" the bind
    /// point again, modulo 2^16, and dropping those froze a long call's video for minutes).
    static let bindWindow = 512

    /// True if `sequence` came before the bind's first packet `boundFirst`, within the window a
    /// late packet can be that old (1 to 1 023 behind).
    static func precedesBind(_ sequence: UInt16, boundFirst: UInt16) -> Bool {
        let behind = boundFirst &- sequence
        return behind != 0 && behind < 1024
    }

    /// The NTP and RTP times of one instant for a sender report (RFC 3550 6.4.1).
    func senderReportTimes(nowMicroseconds now: Int64) -> (ntp: NTPTime, rtpTimestamp: UInt32) {
        Self.senderReportTimes(now: now, lastSenderReport: currentLayer?.lastSenderReport, clockRate: track.codec.clockRate,
                               timestampOffset: timestampOffset, lastTimestamp: lastTimestamp,
                               lastSentMicroseconds: lastSentMicroseconds, wallClock: MediaClock.ntpNow)
    }

    /// From the publisher's own last SR when there is one, moved into our timestamp numbering:
    /// the subscriber then lines up this publisher's audio and video as the publisher's clock
    /// says (lip sync). Otherwise the wall clock and the last forwarded timestamp. The time since
    /// that SR or packet can be anything (a camera turned off for hours in a long call): the
    /// arithmetic wraps as NTP and RTP time do, and never traps.
    static func senderReportTimes(now: Int64, lastSenderReport: (ntp: NTPTime, rtpTimestamp: UInt32, arrivalMicroseconds: Int64)?,
                                  clockRate: UInt32, timestampOffset: UInt32, lastTimestamp: UInt32,
                                  lastSentMicroseconds: Int64, wallClock: () -> NTPTime) -> (ntp: NTPTime, rtpTimestamp: UInt32) {
        if let report = lastSenderReport {
            let elapsed = max(0, now &- report.arrivalMicroseconds)
            let rtp = report.rtpTimestamp &+ RTPClock.ticks(microseconds: elapsed, clockRate: clockRate) &+ timestampOffset
            return (report.ntp.advanced(byMicroseconds: elapsed), rtp)
        }
        let rtp = lastTimestamp &+ RTPClock.ticks(microseconds: max(0, now &- lastSentMicroseconds), clockRate: clockRate)
        return (wallClock(), rtp)
    }

    var hasSentMedia: Bool { hasSent }
}
