/// The packets of a compound RTCP packet (RFC 3550 section 6.1), i.e. one SRTCP datagram.
///
/// `init` walks the whole datagram once and checks each packet's version, length and padding
/// (RFC 3550 appendix A.2: the lengths must add up exactly, and only the last packet may be
/// padded), so iterating afterwards cannot fail. Each step advances by at least 4 bytes, so
/// no input can make it loop. A reduced-size datagram with one packet (RFC 5506) is accepted;
/// the "first packet is SR or RR" rule is left to the caller, as WebRTC peers send lone
/// feedback messages.
public struct RTCPCompound: Sequence {
    public let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        guard !bytes.isEmpty else { throw .truncated(needed: RTCPPacket.headerLength, have: 0) }
        var offset = 0
        while offset < bytes.count {
            let packet = try RTCPPacket(bytes.slice(offset..<bytes.count))
            offset += packet.bytes.count
            if packet.hasPadding, offset < bytes.count { throw .paddingBeforeLastPacket(offset: offset - packet.bytes.count) }
        }
        self.bytes = bytes
    }

    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        public mutating func next() -> RTCPPacket? {
            guard offset < bytes.count, let packet = try? RTCPPacket(bytes.slice(offset..<bytes.count)) else { return nil }
            offset += packet.bytes.count
            return packet
        }
    }

    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}
