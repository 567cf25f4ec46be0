/// What arrived on a socket shared by ICE, DTLS, SRTP and SRTCP (RFC 7983 section 7, which
/// updates RFC 5764 section 5.1.2), decided from the first byte alone:
///
/// ```
///                 +----------------+
///                 |        [0..3] -+--> forward to STUN
///                 |                |
///                 |      [16..19] -+--> forward to ZRTP
///                 |                |
///     packet -->  |      [20..63] -+--> forward to DTLS
///                 |                |
///                 |      [64..79] -+--> forward to TURN Channel
///                 |                |
///                 |    [128..191] -+--> forward to RTP/RTCP
///                 +----------------+
/// ```
///
/// RTP and RTCP on one port (RFC 5761 section 4) are then told apart by the second byte: RTCP
/// packet types 192-223 read as "marker + payload type" give payload types 64-95, which RTP
/// must not use when multiplexed, so those are RTCP.
public enum PacketDemultiplexer {
    public enum Kind: Sendable, Equatable {
        case stun
        case zrtp
        case dtls
        case turnChannel
        case rtp
        case rtcp
        /// Empty, or a first byte in none of the ranges: drop it (RFC 7983 section 7).
        case unknown
    }

    public static func classify(_ packet: UnsafeRawBufferPointer) -> Kind {
        guard let first = packet.first else { return .unknown }
        switch first {
        case 0...3: return .stun
        case 16...19: return .zrtp
        case 20...63: return .dtls
        case 64...79: return .turnChannel
        case 128...191:
            guard packet.count >= 2 else { return .unknown }
            return isRTCP(secondByte: packet[1]) ? .rtcp : .rtp
        default: return .unknown
        }
    }

    /// RFC 5761 section 4: payload type (low 7 bits) 64...95 means an RTCP packet type 192...223.
    @inline(__always)
    public static func isRTCP(secondByte: UInt8) -> Bool {
        (64...95).contains(secondByte & 0x7F)
    }
}
