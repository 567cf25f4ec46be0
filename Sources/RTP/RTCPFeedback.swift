/// The common layout of RTCP feedback messages (RFC 4585 section 6.1):
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|   FMT   |       PT      |          length               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of packet sender                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of media source                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// :            Feedback Control Information (FCI)                 :
/// ```
public struct RTCPFeedback {
    public let packet: RTCPPacket

    /// Bytes before the FCI: common header and the two SSRCs.
    public static let headerLength = 12

    /// Feedback message types (FMT) this module reads.
    public enum Format {
        /// RFC 4585 section 6.2.1, in a transport-layer feedback (205).
        public static let genericNACK: UInt8 = 1
        /// draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1, in 205.
        public static let transportWideCC: UInt8 = 15
        /// RFC 4585 section 6.3.1, in a payload-specific feedback (206).
        public static let pictureLossIndication: UInt8 = 1
        /// RFC 5104 section 4.3.1, in 206.
        public static let fullIntraRequest: UInt8 = 4
        /// RFC 4585 section 6.4, application layer feedback (REMB rides on it), in 206.
        public static let applicationLayer: UInt8 = 15
    }

    init(_ packet: RTCPPacket, type: RTCPPacketType, format: UInt8) throws(RTPParseError) {
        try packet.expect(type, format: format)
        let body = packet.body
        guard body.count >= 8 else { throw .truncated(needed: RTCPPacket.headerLength + 8, have: RTCPPacket.headerLength + body.count) }
        self.packet = packet
    }

    public var senderSSRC: UInt32 { packet.body.uint32(at: 0) }
    public var mediaSSRC: UInt32 { packet.body.uint32(at: 4) }
    /// The feedback control information, without padding.
    public var fci: UnsafeRawBufferPointer { let body = packet.body; return body.slice(8..<body.count) }

    /// Checks room for a feedback message of `length` bytes and writes its first 12 bytes.
    static func writeHeader(
        into buffer: UnsafeMutableRawBufferPointer,
        type: RTCPPacketType,
        format: UInt8,
        senderSSRC: UInt32,
        mediaSSRC: UInt32,
        length: Int,
        padding: Bool = false
    ) throws(RTPWriteError) {
        try buffer.require(length)
        try RTCPPacket.writeHeader(into: buffer, count: format, type: type, length: length, padding: padding)
        buffer.setUInt32(senderSSRC, at: 4)
        buffer.setUInt32(mediaSSRC, at: 8)
    }
}
