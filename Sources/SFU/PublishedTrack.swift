import RTP
import SDP
import Transport

/// A track a participant publishes (mediasoup's Producer): one incoming RTP stream and the
/// forwarders that copy it to each subscriber.
final class PublishedTrack {
    let id: String
    let participantID: String
    let kind: TrackKind
    /// The m-line of the publisher's connection that carries it.
    let mid: String
    /// The codec the publisher sends (its payload type) and its RTX payload type, if any.
    let codec: NegotiatedCodec
    /// The publisher's header extension ids, id to URI (RFC 8285).
    let headerExtensions: [UInt8: String]
    var ssrc: UInt32
    var rtxSSRC: UInt32?
    var muted = false
    @exclusivity(unchecked) var forwarders: [TrackForwarder] = []
    @exclusivity(unchecked) var statistics: ReceiveStatistics
    /// Video keeps the last packets to answer subscribers' NACKs.
    let cache: PacketCache?
    /// Video with NACK negotiated asks the publisher for what did not arrive (upstream loss).
    @exclusivity(unchecked) var lossRepair: NACKRequester?
    /// The publisher's last sender report: NTP and RTP time (RFC 3550 6.4.1), for our RR's
    /// LSR/DLSR and for mapping forwarded timestamps to wall clock.
    var lastSenderReport: (ntp: NTPTime, rtpTimestamp: UInt32, arrivalMicroseconds: Int64)?
    private var lastKeyframeRequest: Int64 = .min / 2
    /// At most one keyframe request to the publisher per this interval, however many
    /// subscribers ask (RFC 4585 3.4 leaves the rate to the application).
    static let keyframeRequestInterval: Int64 = 500_000

    init(id: String, participantID: String, kind: TrackKind, mid: String, codec: NegotiatedCodec,
         headerExtensions: [UInt8: String], ssrc: UInt32, rtxSSRC: UInt32?) {
        self.id = id
        self.participantID = participantID
        self.kind = kind
        self.mid = mid
        self.codec = codec
        self.headerExtensions = headerExtensions
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        statistics = ReceiveStatistics(clockRate: codec.clockRate)
        let repairable = kind == .video && codec.feedback.contains { $0.sameKind(as: .nack) }
        cache = repairable ? PacketCache() : nil
        lossRepair = repairable ? NACKRequester() : nil
    }

    var info: TrackInfo { TrackInfo(id: id, participantID: participantID, kind: kind, muted: muted) }

    /// True if a keyframe request may go to the publisher now (and records that it does).
    func mayRequestKeyframe(now: Int64) -> Bool {
        guard kind == .video, now - lastKeyframeRequest >= Self.keyframeRequestInterval else { return false }
        lastKeyframeRequest = now
        return true
    }
}
