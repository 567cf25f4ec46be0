/// `a=rtpmap` (RFC 8866 6.6): `<payload type> <encoding name>/<clock rate>[/<channels>]`.
public struct RTPMap: Hashable, Sendable {
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    /// Audio channel count; absent means 1 (RFC 8866 6.6). Opus always says 2 (RFC 7587 7).
    public var channels: UInt8?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt8? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    init?(attributeValue value: Substring) {
        let words = SDPToken.words(value)
        guard words.count == 2, let pt: UInt8 = SDPToken.decimal(words[0]), pt <= 127 else { return nil }
        let parts = words[1].split(separator: "/", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), SDPToken.isToken(parts[0]),
            let rate: UInt32 = SDPToken.decimal(parts[1]), rate > 0
        else { return nil }
        var channels: UInt8?
        if parts.count == 3 {
            guard let c: UInt8 = SDPToken.decimal(parts[2]), c > 0 else { return nil }
            channels = c
        }
        self.init(payloadType: pt, encodingName: String(parts[0]), clockRate: rate, channels: channels)
    }

    public var attributeValue: String {
        "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}
