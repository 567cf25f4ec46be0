/// A picture loss indication (RFC 4585 section 6.3.1): payload-specific feedback, FMT 1, no FCI.
/// The receiver lost part of the picture; the sender should send a key frame. An SFU forwards
/// it, or generates one when a subscriber joins mid-stream.
public struct PictureLossIndication {
    public let feedback: RTCPFeedback

    public init(_ packet: RTCPPacket) throws(RTPParseError) {
        feedback = try RTCPFeedback(packet, type: .payloadFeedback, format: RTCPFeedback.Format.pictureLossIndication)
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        try self.init(RTCPPacket(bytes))
    }

    public var senderSSRC: UInt32 { feedback.senderSSRC }
    public var mediaSSRC: UInt32 { feedback.mediaSSRC }

    public static let length = RTCPFeedback.headerLength

    public static func write(senderSSRC: UInt32, mediaSSRC: UInt32, into buffer: UnsafeMutableRawBufferPointer) throws(RTPWriteError) -> Int {
        try RTCPFeedback.writeHeader(
            into: buffer, type: .payloadFeedback, format: RTCPFeedback.Format.pictureLossIndication,
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, length: length)
        return length
    }
}
