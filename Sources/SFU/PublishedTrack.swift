import RTP
import SDP
import Transport

/// A track a participant publishes (mediasoup's Producer): its layers (one RTP stream, or one
/// per simulcast rid) and the forwarders that copy it to each subscriber.
final class PublishedTrack {
    let id: String
    let participantID: String
    let kind: TrackKind
    /// The m-line of the publisher's connection that carries it.
    let mid: String
    /// The codec the publisher sends (its payload type) and its RTX payload type, if any.
    let codec: NegotiatedCodec
    /// For keyframe detection; nil for audio and codecs without it.
    let keyframeCodec: VideoKeyframe.Codec?
    /// The publisher's header extension ids, id to URI (RFC 8285).
    let headerExtensions: [UInt8: String]
    /// In the order the publisher listed them (RFC 8853: its preference); `rankedLayers` orders
    /// them by picture size.
    let layers: [PublishedLayer]
    var muted = false
    @exclusivity(unchecked) var forwarders: [TrackForwarder] = []
    /// Which simulcast layers subscribers need, and the rids the publisher was last told to send
    /// (nil: never told, it sends all).
    var demand = LayerDemand()
    var activeRIDs: [String]?
    /// The id of the publisher's audio level extension (RFC 6464), 0 without one.
    let audioLevelExtensionID: UInt8
    /// Audio: the payload type of redundant audio (RFC 2198) when the publisher negotiated it;
    /// its packets come as RED or as the codec's.
    var redPayloadType: UInt8?
    /// The id of the publisher's dependency descriptor extension (video), 0 without one.
    let dependencyDescriptorID: UInt8
    /// How much of late this audio track was sound (`ActiveSpeakers`).
    @exclusivity(unchecked) var speech = SpeechActivity()

    /// Whether the publisher was told to pause `layer` (`LayerDemand`).
    func isPaused(_ layer: PublishedLayer) -> Bool {
        guard let rid = layer.rid, let active = activeRIDs else { return false }
        return !active.contains(rid)
    }

    init(id: String, participantID: String, kind: TrackKind, mid: String, codec: NegotiatedCodec,
         headerExtensions: [UInt8: String], ssrc: UInt32, rtxSSRC: UInt32?, rids: [String] = []) {
        self.id = id
        self.participantID = participantID
        self.kind = kind
        self.mid = mid
        self.codec = codec
        self.headerExtensions = headerExtensions
        audioLevelExtensionID = kind == .audio
            ? headerExtensions.filter { $0.value == HeaderExtensionURI.audioLevel }.keys.min() ?? 0 : 0
        dependencyDescriptorID = kind == .video
            ? headerExtensions.filter { $0.value == HeaderExtensionURI.dependencyDescriptor }.keys.min() ?? 0 : 0
        keyframeCodec = kind == .video ? VideoKeyframe.Codec(encodingName: codec.name) : nil
        if rids.isEmpty {
            layers = [PublishedLayer(rid: nil, ssrc: ssrc, rtxSSRC: rtxSSRC, kind: kind, codec: codec)]
        } else {
            layers = rids.enumerated().map { PublishedLayer(index: $0.offset, rid: $0.element, ssrc: 0, rtxSSRC: nil, kind: kind, codec: codec) }
        }
    }

    var isSimulcast: Bool { layers.count > 1 }
    /// One stream of several spatial layers (SVC: VP9 or AV1 in an `L2`/`L3` mode), as its
    /// dependency descriptors showed over the last second.
    var hasSpatialLayers: Bool { !isSimulcast && primary.rates.spatialLayerCount > 1 }
    /// The stream of a track sent as one (its first layer otherwise).
    var primary: PublishedLayer { layers[0] }

    var info: TrackInfo { TrackInfo(id: id, participantID: participantID, kind: kind, muted: muted) }

    /// The layers from the smallest picture to the largest: by the sizes keyframes announced,
    /// else in the publisher's order (sfu-client lists the smallest first, as Chromium's
    /// examples do).
    var rankedLayers: [PublishedLayer] {
        guard layers.allSatisfy({ $0.width != nil }) else { return layers }
        return layers.enumerated().sorted { ($0.element.width!, $0.offset) < ($1.element.width!, $1.offset) }.map(\.element)
    }
}
