/// Receiver estimated maximum bitrate, REMB (draft-alvestrand-rmcat-remb-03 section 2.2): an
/// application layer feedback message (payload-specific feedback, FMT 15, media SSRC 0) with
/// the receiver's total bandwidth estimate for the listed SSRCs.
///
/// ```
/// |  Unique identifier 'R' 'E' 'M' 'B'                            |
/// |  Num SSRC     | BR Exp    |  BR Mantissa                      |
/// |   SSRC feedback                                               |
/// |  ...                                                          |
/// ```
/// The bitrate is mantissa (18 bits) * 2^exp (6 bits) in bits per second.
public struct ReceiverEstimatedMaxBitrate {
    public let feedback: RTCPFeedback

    /// "REMB" in ASCII.
    public static let identifier: UInt32 = 0x5245_4D42

    public init(_ packet: RTCPPacket) throws(RTPParseError) {
        let feedback = try RTCPFeedback(packet, type: .payloadFeedback, format: RTCPFeedback.Format.applicationLayer)
        let fci = feedback.fci
        guard fci.count >= 4, fci.uint32(at: 0) == Self.identifier else { throw .missingREMBIdentifier }
        guard fci.count >= 8 else { throw .truncated(needed: RTCPFeedback.headerLength + 8, have: RTCPFeedback.headerLength + fci.count) }
        let ssrcCount = Int(fci[4])
        guard 8 + 4 * ssrcCount <= fci.count else { throw .countMismatch(declared: ssrcCount, available: (fci.count - 8) / 4) }
        self.feedback = feedback
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        try self.init(RTCPPacket(bytes))
    }

    public var senderSSRC: UInt32 { feedback.senderSSRC }

    /// Bits per second. Saturates at UInt64.max for exponents that would overflow.
    public var bitrate: UInt64 {
        let word = feedback.fci.uint24(at: 5)
        let exponent = UInt64(word >> 18)
        let mantissa = UInt64(word & 0x3_FFFF)
        guard exponent <= 46 else { return mantissa == 0 ? 0 : .max }  // 18 + 46 = 64 bits
        return mantissa << exponent
    }

    public var ssrcCount: Int { Int(feedback.fci[4]) }

    public func ssrc(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < ssrcCount, "REMB SSRC index out of range")
        return feedback.fci.uint32(at: 8 + 4 * index)
    }

    /// Writes a REMB for up to 255 SSRCs. Bitrates needing more than 18 bits lose low bits
    /// (the exponent grows until the mantissa fits), so the value is rounded down.
    public static func write(
        senderSSRC: UInt32,
        bitrate: UInt64,
        ssrcs: some Collection<UInt32>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        let ssrcCount = ssrcs.count
        guard ssrcCount <= 255 else { throw .tooManyItems(count: ssrcCount, limit: 255) }
        let length = RTCPFeedback.headerLength + 8 + 4 * ssrcCount
        try RTCPFeedback.writeHeader(
            into: buffer, type: .payloadFeedback, format: RTCPFeedback.Format.applicationLayer,
            senderSSRC: senderSSRC, mediaSSRC: 0, length: length)
        var exponent: UInt32 = 0
        var mantissa = bitrate
        while mantissa > 0x3_FFFF {
            mantissa >>= 1
            exponent += 1
        }
        buffer.setUInt32(identifier, at: 12)
        buffer[16] = UInt8(ssrcCount)
        buffer.setUInt24(exponent << 18 | UInt32(mantissa), at: 17)
        var offset = 20
        for ssrc in ssrcs {
            buffer.setUInt32(ssrc, at: offset)
            offset += 4
        }
        return length
    }
}
