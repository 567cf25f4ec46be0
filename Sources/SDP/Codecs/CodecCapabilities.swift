/// What the server accepts, in order of preference: codecs per kind, the RTCP feedback it
/// implements and the RTP header extensions it understands. Used both to answer offers and to
/// build our own.
public struct CodecCapabilities: Hashable, Sendable {
    /// Primary codecs in preference order (RTX and RED are controlled by the flags below).
    public var codecs: [Codec]
    /// Accept RTX (RFC 4588) for each kept video codec that has one.
    public var rtx: Bool
    /// Accept audio RED (RFC 2198) when it protects a kept audio codec.
    public var audioRED: Bool
    /// Feedback we implement per kind (`payloadType` is ignored).
    public var audioFeedback: [RTCPFeedback]
    public var videoFeedback: [RTCPFeedback]
    /// Header extension URIs per kind, in the order we prefer to offer them.
    public var audioHeaderExtensions: [String]
    public var videoHeaderExtensions: [String]
    /// Accept mixing one- and two-byte header extensions (RFC 8285 6).
    public var extmapAllowMixed: Bool

    public init(
        codecs: [Codec], rtx: Bool = true, audioRED: Bool = true, audioFeedback: [RTCPFeedback] = [.transportCC],
        videoFeedback: [RTCPFeedback] = [.nack, .pli, .fir, .remb, .transportCC],
        audioHeaderExtensions: [String] = [
            HeaderExtensionURI.mid, HeaderExtensionURI.audioLevel, HeaderExtensionURI.absSendTime,
            HeaderExtensionURI.transportWideCC,
        ],
        videoHeaderExtensions: [String] = [
            HeaderExtensionURI.mid, HeaderExtensionURI.rtpStreamID, HeaderExtensionURI.repairedRTPStreamID,
            HeaderExtensionURI.absSendTime, HeaderExtensionURI.transportWideCC, HeaderExtensionURI.videoOrientation,
            HeaderExtensionURI.dependencyDescriptor,
        ],
        extmapAllowMixed: Bool = true
    ) {
        self.codecs = codecs
        self.rtx = rtx
        self.audioRED = audioRED
        self.audioFeedback = audioFeedback
        self.videoFeedback = videoFeedback
        self.audioHeaderExtensions = audioHeaderExtensions
        self.videoHeaderExtensions = videoHeaderExtensions
        self.extmapAllowMixed = extmapAllowMixed
    }

    /// Opus; VP8, VP9 profile 0, H.264 Constrained Baseline and Baseline (packetization mode 1),
    /// AV1 profile 0; all of them with RTX, Opus with RED.
    public static let `default` = CodecCapabilities(codecs: [
        .opus, .vp8, .vp9(profileID: 0), .h264(profileLevelID: "42e01f"), .h264(profileLevelID: "42001f"), .av1(profile: 0),
    ])

    public func codecs(for kind: MediaKind) -> [Codec] { codecs.filter { $0.kind == kind } }

    public func feedback(for kind: MediaKind) -> [RTCPFeedback] {
        switch kind {
        case .audio: audioFeedback
        case .video: videoFeedback
        default: []
        }
    }

    public func headerExtensions(for kind: MediaKind) -> [String] {
        switch kind {
        case .audio: audioHeaderExtensions
        case .video: videoHeaderExtensions
        default: []
        }
    }

    /// Index of the first capability matching `codec`, i.e. its preference rank.
    public func preference(of codec: Codec) -> Int? {
        codecs.firstIndex { $0.kind == codec.kind && $0.matches(codec) }
    }
}
