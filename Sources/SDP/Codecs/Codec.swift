/// A media format as both sides of a negotiation name it: encoding, clock rate, channels and
/// the fmtp parameters that decide compatibility. Payload type numbers are not part of a codec:
/// the offerer chooses them and the answer keeps them (RFC 8829 5.3.1).
public struct Codec: Hashable, Sendable {
    public var kind: MediaKind
    /// Encoding name as in rtpmap; compared case-insensitively (RFC 8866 6.6 via RFC 4855 3).
    public var name: String
    public var clockRate: UInt32
    /// Audio channels; nil means 1 (RFC 8866 6.6).
    public var channels: UInt8?
    public var parameters: FormatParameters

    public init(kind: MediaKind, name: String, clockRate: UInt32, channels: UInt8? = nil, parameters: FormatParameters = FormatParameters()) {
        self.kind = kind
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
    }

    /// Opus (RFC 7587 7): always `opus/48000/2`, whatever the real channel count.
    public static let opus = Codec(
        kind: .audio, name: "opus", clockRate: 48000, channels: 2,
        parameters: ["minptime": "10", "useinbandfec": "1"])
    /// Audio redundancy (RFC 2198), as Chromium offers it for Opus: `red/48000/2` with fmtp
    /// `<opus pt>/<opus pt>`. The fmtp names payload types, so it is rewritten per negotiation.
    public static let audioRED = Codec(kind: .audio, name: "red", clockRate: 48000, channels: 2)
    public static let vp8 = Codec(kind: .video, name: "VP8", clockRate: 90000)
    /// VP9 (RFC 9628 6): `profile-id` must match, default 0.
    public static func vp9(profileID: Int = 0) -> Codec {
        Codec(kind: .video, name: "VP9", clockRate: 90000, parameters: ["profile-id": String(profileID)])
    }
    /// H.264 (RFC 6184 8.1).
    public static func h264(profileLevelID: String = "42e01f", packetizationMode: Int = 1) -> Codec {
        Codec(
            kind: .video, name: "H264", clockRate: 90000,
            parameters: [
                "level-asymmetry-allowed": "1", "packetization-mode": String(packetizationMode),
                "profile-level-id": profileLevelID,
            ])
    }
    /// AV1 (AV1 RTP payload spec, 7.2): `profile` must match, default 0.
    public static func av1(profile: Int = 0) -> Codec {
        Codec(kind: .video, name: "AV1", clockRate: 90000, parameters: ["profile": String(profile)])
    }

    public var isRTX: Bool { name.lowercased() == "rtx" }
    public var isRED: Bool { name.lowercased() == "red" }
    /// Formats that only repair or protect another one; never chosen on their own.
    public var isRepair: Bool { isRTX || isRED || ["ulpfec", "flexfec-03", "flexfec"].contains(name.lowercased()) }

    /// Whether an offered format can be answered with this one: same encoding, clock rate and
    /// channels, and the codec-specific parameters that must agree do (see `parametersMatch`).
    public func matches(_ other: Codec) -> Bool {
        name.lowercased() == other.name.lowercased() && clockRate == other.clockRate
            && (channels ?? 1) == (other.channels ?? 1) && parametersMatch(other)
    }

    func parametersMatch(_ other: Codec) -> Bool {
        func int(_ p: FormatParameters, _ key: String, default d: Int) -> Int? {
            guard let v = p[key] else { return d }
            return SDPToken.decimal(Substring(v))
        }
        switch name.lowercased() {
        case "h264":
            return H264Parameters(parameters).isCompatible(with: H264Parameters(other.parameters))
        case "vp9":
            // RFC 9628 6: "profile-id" absent means profile 0.
            return int(parameters, "profile-id", default: 0) == int(other.parameters, "profile-id", default: 0)
        case "av1":
            return int(parameters, "profile", default: 0) == int(other.parameters, "profile", default: 0)
        default:
            return true
        }
    }
}

extension Codec {
    /// The codec an m= section describes for one payload type.
    public init?(payloadType pt: UInt8, in media: MediaDescription) {
        guard let map = media.rtpmap(for: pt) else { return nil }
        self.init(
            kind: media.kind, name: map.encodingName, clockRate: map.clockRate, channels: map.channels,
            parameters: media.fmtp(for: pt))
    }
}
