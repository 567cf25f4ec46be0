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

/// Lays RTCP packets one after another into the caller's buffer to form a compound packet
/// (RFC 3550 section 6.1): each message's `write(..., into: writer.remaining)` is followed by
/// `advance(by:)` with the length it returned.
///
/// ```swift
/// var compound = RTCPCompoundWriter(into: buffer)
/// compound.advance(by: try ReceiverReport.write(ssrc: ssrc, reports: reports, into: compound.remaining))
/// compound.advance(by: try SourceDescription.write(ssrc: ssrc, cname: cname.utf8, into: compound.remaining))
/// send(buffer[0..<compound.count])
/// ```
public struct RTCPCompoundWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count = 0

    public init(into buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// The space after the packets written so far.
    public var remaining: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: buffer[count..<buffer.count])
    }

    /// Records a packet of `length` bytes written at `remaining`.
    public mutating func advance(by length: Int) {
        precondition(length >= 0 && count + length <= buffer.count, "advanced past the buffer")
        count += length
    }
}
