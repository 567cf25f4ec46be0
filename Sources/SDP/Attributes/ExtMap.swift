/// `a=extmap` (RFC 8285 7): maps an RTP header extension URI to a local id.
public struct ExtMap: Hashable, Sendable {
    /// 1-14 fit the one-byte header, 16-255 need the two-byte one (RFC 8285 4.2, 4.3); 15 is reserved.
    public var id: UInt8
    /// Optional direction: when absent the extension follows the media direction.
    public var direction: Direction?
    public var uri: String
    /// Extension attributes after the URI, verbatim.
    public var extensionAttributes: String?

    public init(id: UInt8, direction: Direction? = nil, uri: String, extensionAttributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }

    init?(attributeValue value: Substring) {
        let words = SDPToken.words(value)
        guard words.count >= 2 else { return nil }
        let idPart = words[0].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let id: UInt8 = SDPToken.decimal(idPart[0]), id != 0, id != 15 else { return nil }
        var direction: Direction?
        if idPart.count == 2 {
            guard let d = Direction(rawValue: String(idPart[1])) else { return nil }
            direction = d
        }
        guard SDPToken.isVisible(words[1]) else { return nil }
        let rest = words.dropFirst(2)
        self.init(
            id: id, direction: direction, uri: String(words[1]),
            extensionAttributes: rest.isEmpty ? nil : rest.joined(separator: " "))
    }

    public var attributeValue: String {
        var s = String(id)
        if let direction { s += "/" + direction.rawValue }
        s += " " + uri
        if let extensionAttributes { s += " " + extensionAttributes }
        return s
    }
}

/// Header extension URIs used by WebRTC endpoints.
public enum HeaderExtensionURI {
    public static let mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    public static let rtpStreamID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    public static let repairedRTPStreamID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
    public static let audioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    public static let absSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    public static let transportWideCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    public static let videoOrientation = "urn:3gpp:video-orientation"
    public static let timeOffset = "urn:ietf:params:rtp-hdrext:toffset"
    public static let playoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
    public static let dependencyDescriptor =
        "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension"
}
