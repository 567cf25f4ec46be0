import RTP
import SDP
import Transport

/// One RTP stream of a published track (mediasoup's RtpStreamRecv): the track's only stream, or
/// one of its simulcast layers (RFC 8853), named by its rid (RFC 8851). Its SSRCs come from the
/// SDP or are learned from the first packets' mid, rid and repaired-rid header extensions.
final class PublishedLayer {
    /// Its place in the track's `layers` (a forwarder's `LayerSwitch` names layers by it).
    let index: Int
    /// nil for a track sent as one stream.
    let rid: String?
    var ssrc: UInt32
    var rtxSSRC: UInt32?
    @exclusivity(unchecked) var statistics: ReceiveStatistics
    /// Video keeps the last packets to answer subscribers' NACKs.
    let cache: PacketCache?
    /// Video with NACK negotiated asks the publisher for what did not arrive (upstream loss).
    @exclusivity(unchecked) var lossRepair: NACKRequester?
    /// The publisher's last sender report for this stream: NTP and RTP time (RFC 3550 6.4.1),
    /// for our RR's LSR/DLSR and for the SRs sent on to subscribers.
    var lastSenderReport: (ntp: NTPTime, rtpTimestamp: UInt32, arrivalMicroseconds: Int64)?
    /// The picture size of the last keyframe that carried it (VP8, VP9).
    @exclusivity(unchecked) var width: Int?
    @exclusivity(unchecked) var height: Int?
    /// When the last packet and the last keyframe arrived (monotonic microseconds).
    @exclusivity(unchecked) var lastPacketMicroseconds: Int64?
    @exclusivity(unchecked) var lastKeyframeMicroseconds: Int64?
    private var lastKeyframeRequest: Int64 = .min / 2
    // Ingest health: frames (RTP marker bit), the keyframe rhythm, rates sampled once a second.
    @exclusivity(unchecked) var framesReceived = 0
    @exclusivity(unchecked) var cadence = KeyframeCadence()
    /// The RTP timestamp of the last keyframe: one keyframe can start in several packets
    /// (H.264's SPS, then its IDR slice).
    @exclusivity(unchecked) var lastKeyframeTimestamp: UInt32?
    private var bitrate = BitrateMeter()
    private var frames = BitrateMeter()
    /// Per spatial and temporal layer, for a stream that has them (dependency descriptors, or
    /// VP8 TIDs).
    @exclusivity(unchecked) var rates = LayerRates()
    /// Video: the layers its dependency descriptors describe.
    @exclusivity(unchecked) var frameLayers: FrameLayerTracker?
    /// SVC: each spatial layer's picture width, smallest first, from the dependency descriptor's
    /// structure; nil for a stream of one size (or a structure without sizes). Allocates: for
    /// the layer choice and statistics, not per packet.
    var spatialLayerWidths: [Int]? {
        guard let structure = frameLayers?.structure, structure.isValid, structure.hasResolutions,
              structure.spatialLayerCount > 1 else { return nil }
        return Array(structure.widths[0..<structure.spatialLayerCount])
    }

    /// At most one keyframe request to the publisher per this interval, however many
    /// subscribers ask (RFC 4585 3.4 leaves the rate to the application).
    static let keyframeRequestInterval: Int64 = 500_000
    /// A layer that sent nothing for this long is taken as paused (a browser drops its top
    /// layers when its uplink estimate falls): subscribers move to another.
    static let activeWithinMicroseconds: Int64 = 1_000_000

    init(index: Int = 0, rid: String?, ssrc: UInt32, rtxSSRC: UInt32?, kind: TrackKind, codec: NegotiatedCodec) {
        self.index = index
        self.rid = rid
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        statistics = ReceiveStatistics(clockRate: codec.clockRate)
        let repairable = kind == .video && codec.feedback.contains { $0.sameKind(as: .nack) }
        cache = repairable ? PacketCache() : nil
        lossRepair = repairable ? NACKRequester() : nil
        frameLayers = kind == .video ? FrameLayerTracker() : nil
    }

    /// Bits per second received over the last second (the room's tick samples it).
    var bitsPerSecond: Int { bitrate.bitsPerSecond }

    func isActive(now: Int64) -> Bool {
        guard let last = lastPacketMicroseconds else { return false }
        return now &- last < Self.activeWithinMicroseconds
    }

    /// True if a keyframe request may go to the publisher now (and records that it does).
    func mayRequestKeyframe(now: Int64) -> Bool {
        guard now &- lastKeyframeRequest >= Self.keyframeRequestInterval else { return false }
        lastKeyframeRequest = now
        return true
    }

    /// Once a second, from the room's tick.
    func sample(nanoseconds: Int64) {
        bitrate.sample(bytes: statistics.bytesReceived, nanoseconds: nanoseconds)
        frames.sample(bytes: framesReceived, nanoseconds: nanoseconds)
        rates.sample(nanoseconds: nanoseconds)
    }

    /// A packet that starts a keyframe arrived (`VideoKeyframe`).
    @inline(__always)
    func keyframeStarted(_ start: VideoKeyframe.Start, timestamp: UInt32, now: Int64) {
        lastKeyframeMicroseconds = now
        if let width = start.width {
            self.width = width
            height = start.height
        }
        guard lastKeyframeTimestamp != timestamp else { return }
        lastKeyframeTimestamp = timestamp
        cadence.keyframe(at: now)
    }

    func statistics(isVideo: Bool) -> LayerStatistics {
        let expected = Int(statistics.expected)
        let lost = max(0, Int(statistics.cumulativeLost))
        return LayerStatistics(
            rid: rid, ssrc: ssrc, bitrateBitsPerSecond: bitrate.bitsPerSecond,
            framesPerSecond: isVideo ? (frames.perSecond * 10).rounded() / 10 : nil,
            width: width, height: height, packetsReceived: statistics.packetsReceived, packetsLost: lost,
            lossRatio: expected > 0 ? Double(lost) / Double(expected) : 0, jitterSeconds: statistics.jitterSeconds,
            keyframes: cadence.keyframes, requestedKeyframes: cadence.requestedKeyframes,
            keyframeIntervalSeconds: cadence.lastIntervalSeconds, meanKeyframeIntervalSeconds: cadence.meanIntervalSeconds,
            irregularKeyframeIntervals: cadence.irregularIntervals)
    }

    /// Another source on this layer (a new SSRC): it numbers its packets afresh, so nothing
    /// missing from the old one is asked for.
    func rebind(ssrc: UInt32, rtxSSRC: UInt32?) {
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        if let repair = lossRepair { lossRepair = NACKRequester(settings: repair.settings) }
    }
}
