import RTP
import SDP
import Transport

/// One subscriber's copy of one published track (mediasoup's Consumer): takes each packet of
/// the publisher's stream that its `LayerSwitch` admits, rewrites it into the subscriber's
/// numbering (`ForwardedStream`) and sends it on the subscriber's transport. The two values hold
/// everything done to a packet's bytes; this class joins them to the track, the subscriber's
/// transport, its congestion-control history and the keyframe requests.
final class TrackForwarder {
    unowned let track: PublishedTrack
    unowned let subscriber: SubscriberConnection
    let mid: String
    let rtxSSRC: UInt32
    @exclusivity(unchecked) private(set) var stream: ForwardedStream
    @exclusivity(unchecked) private(set) var layers: LayerSwitch
    private(set) var rtxPayloadType: UInt8?
    @exclusivity(unchecked) private(set) var isActive = false
    /// The width the subscriber renders this track at (from the client), for the layer choice.
    var renderedWidth: Int?
    private var rtxSequence = UInt16.random(in: 0...0x7FFF)

    // For sender reports (RFC 3550 6.4.1).
    @exclusivity(unchecked) private(set) var packetsSent: UInt32 = 0
    @exclusivity(unchecked) private(set) var octetsSent: UInt32 = 0

    init(track: PublishedTrack, subscriber: SubscriberConnection, mid: String, ssrc: UInt32, rtxSSRC: UInt32) {
        self.track = track
        self.subscriber = subscriber
        self.mid = mid
        self.rtxSSRC = rtxSSRC
        stream = ForwardedStream(ssrc: ssrc, codec: track.keyframeCodec, clockRate: track.codec.clockRate)
        layers = LayerSwitch(layerCount: track.layers.count)
    }

    var ssrc: UInt32 { stream.ssrc }
    var payloadType: UInt8 { stream.payloadType }
    var transportWideID: UInt8 { stream.transportWideID }
    var lastSequence: UInt16 { stream.lastSequence }
    var hasSentMedia: Bool { stream.hasSent }
    var layerSwitches: Int { layers.switches }
    /// The layer forwarded now, and the one wanted (a switch waits for its keyframe).
    var currentLayer: PublishedLayer? { layers.current.map { track.layers[$0] } }
    var targetLayer: PublishedLayer? { layers.target.map { track.layers[$0] } }

    /// Takes the subscriber's negotiated m-line: payload types and extension ids.
    func configure(with media: NegotiatedMedia) {
        // The codec, not its redundancy (RFC 2198), whichever the answer listed first.
        guard let codec = media.codecs.first(where: { !$0.isRED }) else {
            isActive = false
            return
        }
        stream.configure(payloadType: codec.payloadType, publisherExtensions: track.headerExtensions,
                         subscriberExtensions: media.headerExtensions,
                         redundancy: track.redPayloadType.map {
                             ($0, track.codec.payloadType, media.codecs.first(where: \.isRED)?.payloadType)
                         })
        rtxPayloadType = codec.rtxPayloadType
        isActive = !media.rejected && media.direction.sends
    }

    func deactivate() { isActive = false }

    /// Picks the layer to forward: the track's only one, or for simulcast what the subscriber's
    /// allocation gives it (`SubscriberConnection.chooseLayers`, all its tracks at once), which
    /// also sets how many temporal layers go out.
    func chooseLayer(now: Int64) {
        if !track.isSimulcast { layers.setTarget(0) }
        if track.isSimulcast || track.primary.rates.temporalLayerCount > 1 || isScalable { subscriber.chooseLayers(now: now) }
    }

    /// SVC: the spatial layer the subscriber's rendered width asks for, among the widths the
    /// dependency descriptor gives (all layers, the top one, without them).
    func preferredSpatialLayer(widths: [Int]?, count: Int) -> Int {
        guard let widths, widths.count == count else { return count - 1 }
        return LayerChoice.choose(renderedWidth: renderedWidth, layers: widths.map { LayerChoice.Layer(width: $0, active: true) }) ?? count - 1
    }

    /// The layers being sent, smallest first, and the one the subscriber's rendered width asks
    /// for (`LayerChoice`); nil when no layer is sent.
    func preferredLayer(now: Int64) -> (ranked: [PublishedLayer], index: Int)? {
        let ranked = track.rankedLayers
        let index = LayerChoice.choose(renderedWidth: renderedWidth,
                                       layers: ranked.map { LayerChoice.Layer(width: $0.width, active: $0.isActive(now: now)) })
        return index.map { (ranked, $0) }
    }

    /// The layer to switch to (`LayerSwitch.setTarget`); a change waits for its keyframe, asked
    /// for here.
    func setTarget(_ layer: PublishedLayer, dropCurrent: Bool = false) {
        if layers.setTarget(layer.index, dropCurrent: dropCurrent) { subscriber.participant.requestKeyframe(track, layer: layer) }
    }

    /// Whether RED audio goes out as its primary block only (`ForwardedStream.stripsRedundancy`).
    var stripsRedundancy: Bool {
        get { stream.stripsRedundancy }
        set { stream.stripsRedundancy = newValue }
    }

    /// Whether this forwarder sends redundant audio when not stripped.
    var sendsRedundancy: Bool { stream.publisherRED != nil && stream.subscriberRED != nil }

    /// The highest temporal layer to forward (`ForwardedStream.setTemporalTarget`).
    func setTemporalTarget(_ layer: UInt8) {
        stream.setTemporalTarget(layer)
    }

    /// The highest spatial layer to forward (`ForwardedStream.setSpatialTarget`). Going up, the
    /// publisher is asked for a keyframe: in the `_KEY` modes Chromium sends, an upper layer can
    /// only start at one.
    func setSpatialTarget(_ layer: UInt8) {
        stream.setSpatialTarget(layer)
        if stream.hasSent, stream.spatialLimit < layer { subscriber.participant.requestKeyframe(track, layer: track.primary) }
    }

    /// Whether the track is one stream of several spatial layers (SVC).
    var isScalable: Bool { track.hasSpatialLayers }

    /// Rewrites the publisher's `packet` (of `layer`, starting a keyframe or not, of `frame`'s
    /// temporal layer) into `scratch` and sends it. No allocation.
    @inline(__always)
    func forward(_ packet: RTPPacket, layer: PublishedLayer, keyframe: Bool, frame: ScalableFrame? = nil, nowMicroseconds: Int64,
                 scratch: UnsafeMutableRawBufferPointer) {
        guard isActive, let transport = subscriber.transport, transport.srtpProfile != nil else { return }
        guard layers.admit(layer: layer.index, keyframe: keyframe) else { return }
        // Room for the SRTP trailer, which is added in place.
        guard packet.bytes.count + SRTPSession.maximumTrailer <= scratch.count,
            let rewritten = stream.rewrite(packet, frame: frame, into: scratch, transportWide: subscriber.transportWideSequence,
                                           nowMicroseconds: nowMicroseconds)
        else { return }
        let length = rewritten.length
        if rewritten.stampedTransportWide { subscriber.sentTransportWide(bytes: length, now: nowMicroseconds) }
        if transport.sendRTP(scratch, length: length, forwarded: true) {
            packetsSent &+= 1
            octetsSent &+= UInt32(truncatingIfNeeded: length == packet.bytes.count ? packet.payload.count : length - packet.headerLength)
            transport.worker.packetsForwarded &+= 1
            let participant = subscriber.participant
            if !participant.hasReceivedMedia { participant.firstMediaSent(nanoseconds: MediaWorker.monotonicNanoseconds()) }
        }
        // A subscriber that starts (or restarts) mid-stream cannot decode video until the next
        // keyframe: ask for one now rather than wait for the periodic one. Only after the send:
        // the request is written through the worker's buffers, `scratch` among them.
        if rewritten.rebound, track.kind == .video, !keyframe { subscriber.participant.requestKeyframe(track, layer: layer) }
    }

    /// Answers a NACK for our sequence number `sequence` from the track's cache: as RTX when
    /// negotiated (RFC 4588), else as the same packet again. Returns the bytes sent, 0 if the
    /// packet is gone (or the send failed). A bandwidth probe (`probeCluster`) resends recent
    /// packets the same way: the subscriber discards the copies, and its feedback on them
    /// measures the path.
    func retransmit(sequence: UInt16, scratch: UnsafeMutableRawBufferPointer, probeCluster: Int? = nil) -> Int {
        // A layer being left because the link cannot carry it (`LayerSwitch.dropsCurrent`): its
        // resends would only queue ahead of the keyframe the switch waits for.
        guard isActive, !layers.dropsCurrent, let transport = subscriber.transport, let cache = currentLayer?.cache,
            let source = stream.sourceSequence(of: sequence), let stored = cache.packet(sequence: source),
            let original = try? RTPPacket(stored)
        else { return 0 }
        let length = stored.count
        let packetBuffer = subscriber.worker.packetBuffer
        // Room for the SRTP trailer after the packet: sent as it is (no RTX negotiated), it is
        // protected in place, and a buffer cut at `length` made every such send fail.
        guard length + SRTPSession.maximumTrailer <= packetBuffer.count else { return 0 }
        let rewritten = UnsafeMutableRawBufferPointer(rebasing: packetBuffer[0..<(length + SRTPSession.maximumTrailer)])
        guard let stamped = stream.rewriteResend(original, as: sequence, into: rewritten, transportWide: subscriber.transportWideSequence)
        else { return 0 }
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
        isActive && !layers.dropsCurrent && stream.hasSent && rtxPayloadType != nil && stream.transportWideID != 0 && currentLayer?.cache != nil
    }

    /// The NTP and RTP times of one instant for a sender report (RFC 3550 6.4.1).
    func senderReportTimes(nowMicroseconds now: Int64) -> (ntp: NTPTime, rtpTimestamp: UInt32) {
        Self.senderReportTimes(now: now, lastSenderReport: currentLayer?.lastSenderReport, clockRate: track.codec.clockRate,
                               timestampOffset: stream.timestampOffset, lastTimestamp: stream.lastTimestamp,
                               lastSentMicroseconds: stream.lastSentMicroseconds, wallClock: MediaClock.ntpNow)
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
}
