/// A generic NACK (RFC 4585 section 6.2.1): transport-layer feedback, FMT 1, listing lost RTP
/// sequence numbers of the media source. Each FCI entry names a lost packet (PID) and a bitmask
/// of the 16 following ones (BLP: bit i set means PID + i + 1 is lost too).
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            PID                |             BLP               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct GenericNACK: Sequence {
    public let feedback: RTCPFeedback

    public init(_ packet: RTCPPacket) throws(RTPParseError) {
        feedback = try RTCPFeedback(packet, type: .transportFeedback, format: RTCPFeedback.Format.genericNACK)
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        try self.init(RTCPPacket(bytes))
    }

    public var senderSSRC: UInt32 { feedback.senderSSRC }
    public var mediaSSRC: UInt32 { feedback.mediaSSRC }
    public var entryCount: Int { feedback.fci.count / 4 }

    /// The (PID, BLP) pair at `index`.
    public func entry(at index: Int) -> (packetID: UInt16, bitmask: UInt16) {
        precondition(index >= 0 && index < entryCount, "NACK entry index out of range")
        let fci = feedback.fci
        return (fci.uint16(at: 4 * index), fci.uint16(at: 4 * index + 2))
    }

    /// Yields every lost sequence number, in entry order, without allocating.
    public struct Iterator: IteratorProtocol {
        let fci: UnsafeRawBufferPointer
        let entryCount: Int
        var entry = 0
        /// -1: the PID itself is next; 0...15: BLP bit to look at next.
        var bit = -1

        public mutating func next() -> UInt16? {
            while entry < entryCount {
                let pid = fci.uint16(at: 4 * entry)
                if bit < 0 {
                    bit = 0
                    return pid
                }
                let blp = fci.uint16(at: 4 * entry + 2)
                while bit < 16 {
                    let current = bit
                    bit += 1
                    if blp & (1 << current) != 0 { return pid &+ UInt16(current + 1) }
                }
                entry += 1
                bit = -1
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(fci: feedback.fci, entryCount: entryCount) }

    /// All lost sequence numbers as an array: a control-plane and test helper (it allocates).
    public func makeLostSequenceNumberArray() -> [UInt16] { Array(self) }

    /// Writes a NACK for `lost`, which must be in increasing order modulo 2^16 (duplicates are
    /// skipped); consecutive losses within 16 of an entry's PID share that entry.
    public static func write(
        senderSSRC: UInt32,
        mediaSSRC: UInt32,
        lost: some Collection<UInt16>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        var length = RTCPFeedback.headerLength
        var pid: UInt16 = 0
        var blp: UInt16 = 0
        var open = false
        for sequenceNumber in lost {
            if open {
                let distance = sequenceNumber &- pid
                if distance == 0 { continue }
                if distance <= 16 {
                    blp |= 1 << (distance - 1)
                    continue
                }
                try buffer.require(length + 4)
                buffer.setUInt16(pid, at: length)
                buffer.setUInt16(blp, at: length + 2)
                length += 4
            }
            pid = sequenceNumber
            blp = 0
            open = true
        }
        if open {
            try buffer.require(length + 4)
            buffer.setUInt16(pid, at: length)
            buffer.setUInt16(blp, at: length + 2)
            length += 4
        }
        try RTCPFeedback.writeHeader(
            into: buffer, type: .transportFeedback, format: RTCPFeedback.Format.genericNACK,
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, length: length)
        return length
    }
}
