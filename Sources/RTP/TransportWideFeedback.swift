/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
/// section 3.1): transport-layer feedback, FMT 15. For a range of transport-wide sequence
/// numbers it says which packets arrived and when, so the sender can estimate bandwidth.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  FMT=15 |    PT=205     |           length              |
/// |                     SSRC of packet sender                     |
/// |                      SSRC of media source                     |
/// |      base sequence number     |      packet status count      |
/// |                 reference time                | fb pkt. count |
/// |          packet chunk         |         packet chunk          |
/// .                                                               .
/// |         packet chunk          |  recv delta   |  recv delta   |
/// .                                                               .
/// |           recv delta          |  recv delta   | zero padding  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// - Reference time: 24-bit signed, in multiples of 64 ms (section 3.1.1).
/// - Packet chunks (section 3.1.3, 3.1.4), 16 bits each:
///   run length `0 | S(2) | run length(13)`, or status vector `1 | s | symbols(14)` with
///   fourteen 1-bit symbols (s = 0: 0 not received, 1 received) or seven 2-bit symbols
///   (s = 1: 00 not received, 01 small delta, 10 large delta, 11 reserved).
/// - Receive deltas (section 3.1.5), one per received packet, in 250 µs ticks relative to the
///   previous received packet (the first: to the reference time): 1 byte unsigned for "small",
///   2 bytes signed for "large".
///
/// `init` walks every chunk and delta once to check they fit; iteration then cannot fail.
public struct TransportWideFeedback: Sequence {
    public let feedback: RTCPFeedback
    /// Offset in the FCI of the first receive delta (just after the last chunk).
    let deltasOffset: Int

    /// Bytes of FCI before the first chunk.
    static let fixedLength = 8
    /// One delta tick, in microseconds.
    public static let deltaTick: Int64 = 250
    /// One reference-time unit, in microseconds.
    public static let referenceTimeUnit: Int64 = 64_000

    public init(_ packet: RTCPPacket) throws(RTPParseError) {
        let feedback = try RTCPFeedback(packet, type: .transportFeedback, format: RTCPFeedback.Format.transportWideCC)
        let fci = feedback.fci
        guard fci.count >= Self.fixedLength else {
            throw .truncated(needed: RTCPFeedback.headerLength + Self.fixedLength, have: RTCPFeedback.headerLength + fci.count)
        }
        // Pass over the chunks: count the delta bytes the symbols call for.
        var cursor = ChunkCursor(statusCount: Int(fci.uint16(at: 2)), offset: Self.fixedLength)
        var deltaBytes = 0
        while cursor.remaining > 0 {
            guard cursor.left > 0 || cursor.offset + 2 <= fci.count else {
                throw .truncated(needed: RTCPFeedback.headerLength + cursor.offset + 2, have: RTCPFeedback.headerLength + fci.count)
            }
            let symbol = cursor.nextSymbol(fci)
            switch symbol {
            case 1: deltaBytes += 1
            case 2: deltaBytes += 2
            case 3: throw .reservedStatusSymbol(offset: RTCPFeedback.headerLength + cursor.chunkOffset)
            default: break
            }
        }
        let deltasOffset = cursor.end
        guard deltasOffset + deltaBytes <= fci.count else {
            throw .truncated(needed: RTCPFeedback.headerLength + deltasOffset + deltaBytes, have: RTCPFeedback.headerLength + fci.count)
        }
        self.feedback = feedback
        self.deltasOffset = deltasOffset
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        try self.init(RTCPPacket(bytes))
    }

    public var senderSSRC: UInt32 { feedback.senderSSRC }
    public var mediaSSRC: UInt32 { feedback.mediaSSRC }
    public var baseSequenceNumber: UInt16 { feedback.fci.uint16(at: 0) }
    public var packetStatusCount: Int { Int(feedback.fci.uint16(at: 2)) }
    /// 24-bit signed, in units of 64 ms.
    public var referenceTime: Int32 { Int32(bitPattern: feedback.fci.uint24(at: 4) << 8) >> 8 }
    public var referenceTimeMicroseconds: Int64 { Int64(referenceTime) * Self.referenceTimeUnit }
    /// Counts feedback packets sent, so the sender can detect lost feedback.
    public var feedbackPacketCount: UInt8 { feedback.fci[7] }

    /// Status of one packet, as yielded by iteration.
    public struct PacketStatus: Sendable, Equatable {
        public enum Symbol: UInt8, Sendable {
            case notReceived = 0
            case receivedSmallDelta = 1
            case receivedLargeDelta = 2
        }
        public let sequenceNumber: UInt16
        public let symbol: Symbol
        /// Receive delta in 250 µs ticks; 0 when not received.
        public let delta: Int16
        /// Arrival time in microseconds on the feedback sender's clock (reference time plus
        /// the deltas so far); nil when not received.
        public let arrivalTime: Int64?
    }

    public struct Iterator: IteratorProtocol {
        let fci: UnsafeRawBufferPointer
        var cursor: ChunkCursor
        var deltaOffset: Int
        var sequenceNumber: UInt16
        var time: Int64

        public mutating func next() -> PacketStatus? {
            guard cursor.remaining > 0 else { return nil }
            let sequenceNumber = self.sequenceNumber
            self.sequenceNumber &+= 1
            switch cursor.nextSymbol(fci) {
            case 1:
                let delta = Int16(fci[deltaOffset])
                deltaOffset += 1
                time += Int64(delta) * TransportWideFeedback.deltaTick
                return PacketStatus(sequenceNumber: sequenceNumber, symbol: .receivedSmallDelta, delta: delta, arrivalTime: time)
            case 2:
                let delta = Int16(bitPattern: fci.uint16(at: deltaOffset))
                deltaOffset += 2
                time += Int64(delta) * TransportWideFeedback.deltaTick
                return PacketStatus(sequenceNumber: sequenceNumber, symbol: .receivedLargeDelta, delta: delta, arrivalTime: time)
            default:
                return PacketStatus(sequenceNumber: sequenceNumber, symbol: .notReceived, delta: 0, arrivalTime: nil)
            }
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(
            fci: feedback.fci,
            cursor: ChunkCursor(statusCount: packetStatusCount, offset: Self.fixedLength),
            deltaOffset: deltasOffset,
            sequenceNumber: baseSequenceNumber,
            time: referenceTimeMicroseconds)
    }
}

/// Walks packet status chunks symbol by symbol. The caller checks `offset + 2 <= count` before
/// each `nextSymbol` (the parser does it once; the iterator relies on that check).
struct ChunkCursor {
    /// Statuses still to read.
    var remaining: Int
    /// Offset of the next chunk to load.
    var offset: Int
    /// Offset of the chunk symbols are being read from.
    var chunkOffset = 0
    var chunk: UInt16 = 0
    /// Symbols left in the current chunk.
    var left = 0
    var index = 0

    init(statusCount: Int, offset: Int) {
        remaining = statusCount
        self.offset = offset
    }

    /// Offset after the last chunk read.
    var end: Int { offset }

    mutating func nextSymbol(_ fci: UnsafeRawBufferPointer) -> UInt8 {
        // A run-length chunk of length 0 holds no symbol: skip it (offset still advances).
        while left == 0 {
            chunkOffset = offset
            chunk = fci.uint16(at: offset)
            offset += 2
            index = 0
            if chunk & 0x8000 == 0 {
                left = Int(chunk & 0x1FFF)
            } else {
                left = chunk & 0x4000 == 0 ? 14 : 7
            }
            left = min(left, remaining)
            if left == 0, offset + 2 > fci.count { return 0 }
        }
        let symbol: UInt8
        if chunk & 0x8000 == 0 {
            symbol = UInt8((chunk >> 13) & 0x3)
        } else if chunk & 0x4000 == 0 {
            symbol = UInt8((chunk >> (13 - index)) & 0x1)
        } else {
            symbol = UInt8((chunk >> (12 - 2 * index)) & 0x3)
        }
        index += 1
        left -= 1
        remaining -= 1
        return symbol
    }
}
