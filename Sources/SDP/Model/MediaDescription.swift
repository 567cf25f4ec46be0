/// One m= section (RFC 8866 5.14) with its lines in order.
public struct MediaDescription: Hashable, Sendable {
    public var kind: MediaKind
    /// 0 rejects or stops the section (RFC 8829 5.3.1); 9 is the JSEP placeholder (RFC 8829 5.2.1).
    public var port: UInt16
    /// `<port>/<number of ports>`: never used by WebRTC, kept for round trips.
    public var portCount: UInt16?
    /// e.g. `UDP/TLS/RTP/SAVPF` (RFC 5764) or `UDP/DTLS/SCTP` (RFC 8841).
    public var proto: String
    /// RTP payload type numbers as text, or e.g. `webrtc-datachannel`.
    public var formats: [String]
    public var information: String?
    public var connections: [Connection]
    public var bandwidths: [Bandwidth]
    /// `k=` is obsolete (RFC 8866 5.12) and kept only to round-trip.
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]

    public init(
        kind: MediaKind, port: UInt16 = 9, portCount: UInt16? = nil, proto: String = "UDP/TLS/RTP/SAVPF",
        formats: [String], information: String? = nil, connections: [Connection] = [],
        bandwidths: [Bandwidth] = [], encryptionKey: String? = nil, attributes: [SDPAttribute] = []
    ) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.information = information
        self.connections = connections
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }

    /// RTP payload types of the format list, skipping formats that are not numbers.
    public var payloadTypes: [UInt8] {
        formats.compactMap { SDPToken.decimal(Substring($0)).flatMap { $0 <= 127 ? $0 : nil } }
    }

    /// A section is RTP when its proto names an RTP profile (RFC 8866 5.14, RFC 5764 8).
    public var isRTP: Bool { proto.split(separator: "/").contains("RTP") }
}
