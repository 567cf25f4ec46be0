/// RTP retransmission payload format (RFC 4588).
///
/// RFC 4588 section 4: an RTX packet carries the original packet's header extensions and CSRCs,
/// its own SSRC, payload type and sequence number, and a payload that starts with the original
/// sequence number (OSN, 2 bytes) followed by the original payload. Padding is not carried over.
public enum RTX {
    /// The original sequence number: the first two payload bytes of an RTX packet.
    public static func originalSequenceNumber(of rtx: RTPPacket) throws(RTPParseError) -> UInt16 {
        let payload = rtx.payload
        guard payload.count >= 2 else { throw .truncated(needed: rtx.payloadRange.lowerBound + 2, have: rtx.bytes.count) }
        return payload.uint16(at: 0)
    }

    /// The original payload inside an RTX packet: after the 2-byte OSN.
    public static func originalPayloadRange(of rtx: RTPPacket) throws(RTPParseError) -> Range<Int> {
        _ = try originalSequenceNumber(of: rtx)
        return (rtx.payloadRange.lowerBound + 2)..<rtx.payloadRange.upperBound
    }

    /// Writes `packet` in RTX form into `buffer` (RFC 4588 section 4) and returns its length.
    public static func wrap(
        _ packet: RTPPacket,
        rtxSSRC: UInt32,
        rtxPayloadType: UInt8,
        rtxSequenceNumber: UInt16,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        let headerLength = packet.headerLength
        let payload = packet.payload
        let total = headerLength + 2 + payload.count
        try buffer.require(total)
        buffer.copy(packet.bytes.slice(0..<headerLength), to: 0)
        buffer[0] &= ~0x20  // padding is not carried over
        buffer[1] = (buffer[1] & 0x80) | (rtxPayloadType & 0x7F)
        buffer.setUInt16(rtxSequenceNumber, at: 2)
        buffer.setUInt32(rtxSSRC, at: 8)
        buffer.setUInt16(packet.sequenceNumber, at: headerLength)
        buffer.copy(payload, to: headerLength + 2)
        return total
    }

    /// Writes the original packet of an RTX packet into `buffer` and returns its length. The
    /// caller knows the original SSRC and payload type from the SDP (RFC 4588 section 8.6, "apt").
    public static func unwrap(
        _ rtx: RTPPacket,
        originalSSRC: UInt32,
        originalPayloadType: UInt8,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        let payload = rtx.payload
        guard payload.count >= 2 else { throw .valueOutOfRange(payload.count) }
        let headerLength = rtx.headerLength
        let total = headerLength + payload.count - 2
        try buffer.require(total)
        buffer.copy(rtx.bytes.slice(0..<headerLength), to: 0)
        buffer[0] &= ~0x20
        buffer[1] = (buffer[1] & 0x80) | (originalPayloadType & 0x7F)
        buffer.setUInt16(payload.uint16(at: 0), at: 2)
        buffer.setUInt32(originalSSRC, at: 8)
        buffer.copy(payload.slice(2..<payload.count), to: headerLength)
        return total
    }

    /// Turns the RTX packet `rtx`, which lies at the start of `buffer`, back into its original
    /// packet in place (the payload moves two bytes towards the header) and returns the new
    /// length. The receiving path's form of `unwrap`: no second buffer.
    public static func unwrapInPlace(
        _ rtx: RTPPacket,
        in buffer: UnsafeMutableRawBufferPointer,
        originalSSRC: UInt32,
        originalPayloadType: UInt8
    ) throws(RTPParseError) -> Int {
        precondition(rtx.bytes.baseAddress == UnsafeRawPointer(buffer.baseAddress), "the RTX packet must lie at the start of the buffer")
        let sequenceNumber = try originalSequenceNumber(of: rtx)
        let headerLength = rtx.headerLength
        let moved = rtx.payload.count - 2
        let base = buffer.baseAddress!
        base.advanced(by: headerLength).copyMemory(from: base.advanced(by: headerLength + 2), byteCount: moved)  // memmove
        buffer[0] &= ~0x20  // the RTX packet's own padding is gone with the move
        buffer[1] = (buffer[1] & 0x80) | (originalPayloadType & 0x7F)
        buffer.setUInt16(sequenceNumber, at: 2)
        buffer.setUInt32(originalSSRC, at: 8)
        return headerLength + moved
    }
}
