/// A full intra request (RFC 5104 section 4.3.1): payload-specific feedback, FMT 4. Asks the
/// listed media senders for a decoder refresh point. The header's media SSRC is 0; each
/// FCI entry names the target (RFC 5104 section 4.3.1.1):
///
/// ```
/// |                              SSRC                             |
/// | Seq nr.       |    Reserved                                   |
/// ```
/// The sequence number increases by one per new request, so a repeat is recognisable.
public struct FullIntraRequest: Sequence {
    public let feedback: RTCPFeedback

    public init(_ packet: RTCPPacket) throws(RTPParseError) {
        feedback = try RTCPFeedback(packet, type: .payloadFeedback, format: RTCPFeedback.Format.fullIntraRequest)
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        try self.init(RTCPPacket(bytes))
    }

    public var senderSSRC: UInt32 { feedback.senderSSRC }
    public var entryCount: Int { feedback.fci.count / FullIntraRequestEntry.length }

    public func entry(at index: Int) -> FullIntraRequestEntry {
        precondition(index >= 0 && index < entryCount, "FIR entry index out of range")
        let fci = feedback.fci
        return FullIntraRequestEntry(ssrc: fci.uint32(at: 8 * index), sequenceNumber: fci[8 * index + 4])
    }

    public struct Iterator: IteratorProtocol {
        let request: FullIntraRequest
        var index = 0
        public mutating func next() -> FullIntraRequestEntry? {
            guard index < request.entryCount else { return nil }
            defer { index += 1 }
            return request.entry(at: index)
        }
    }

    public func makeIterator() -> Iterator { Iterator(request: self) }

    public static func write(
        senderSSRC: UInt32,
        entries: some Collection<FullIntraRequestEntry>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        let length = RTCPFeedback.headerLength + FullIntraRequestEntry.length * entries.count
        try RTCPFeedback.writeHeader(
            into: buffer, type: .payloadFeedback, format: RTCPFeedback.Format.fullIntraRequest,
            senderSSRC: senderSSRC, mediaSSRC: 0, length: length)
        var offset = RTCPFeedback.headerLength
        for entry in entries {
            buffer.setUInt32(entry.ssrc, at: offset)
            buffer.setUInt32(UInt32(entry.sequenceNumber) << 24, at: offset + 4)  // reserved: zero
            offset += FullIntraRequestEntry.length
        }
        return length
    }
}

/// One FIR target: the media sender and the request's command sequence number.
public struct FullIntraRequestEntry: Sendable, Equatable, Hashable {
    public var ssrc: UInt32
    public var sequenceNumber: UInt8

    public static let length = 8

    public init(ssrc: UInt32, sequenceNumber: UInt8) {
        self.ssrc = ssrc
        self.sequenceNumber = sequenceNumber
    }
}
