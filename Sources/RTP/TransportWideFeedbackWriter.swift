/// One packet as seen by the receiver, input to `TransportWideFeedback.write`.
public struct TransportWideObservation: Sendable, Equatable, Hashable {
    /// Transport-wide sequence number (from the header extension).
    public var sequenceNumber: UInt16
    /// Arrival time in microseconds on the receiver's clock; nil if the packet was not received.
    public var arrivalTime: Int64?

    public init(sequenceNumber: UInt16, arrivalTime: Int64?) {
        self.sequenceNumber = sequenceNumber
        self.arrivalTime = arrivalTime
    }
}

extension TransportWideFeedback {
    /// Builds a feedback message from observations into the caller's buffer and returns its
    /// length (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1).
    ///
    /// `observations` must be in increasing sequence-number order (modulo 2^16); gaps are
    /// reported as not received. The reference time is the first arrival rounded down to 64 ms;
    /// each delta is the arrival rounded down to 250 µs minus the previous one, so times that
    /// are multiples of 250 µs survive a round trip exactly. A delta outside the 16-bit signed
    /// range throws `deltaOutOfRange`: the caller should send what it has and start a new
    /// feedback at that packet. Chunks are packed as libwebrtc does: run-length for runs of a
    /// symbol, else 1-bit vectors of 14 when there are no large deltas, else 2-bit vectors of 7.
    public static func write(
        senderSSRC: UInt32,
        mediaSSRC: UInt32,
        feedbackPacketCount: UInt8,
        observations: some Collection<TransportWideObservation>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        let header = RTCPFeedback.headerLength
        try buffer.require(header + fixedLength)
        let base = observations.first?.sequenceNumber ?? 0
        var referenceTime: Int64 = 0
        for observation in observations {
            if let arrival = observation.arrivalTime {
                referenceTime = floorDivide(arrival, referenceTimeUnit)
                break
            }
        }

        // Pass 1: symbols into chunks, written as they fill up.
        var encoder = ChunkEncoder()
        var offset = header + fixedLength
        var symbols = SymbolStream(base: base, referenceTime: referenceTime)
        for observation in observations {
            while true {
                let next = try symbols.next(observation)
                guard let (symbol, _) = next else { break }
                if !encoder.canAdd(symbol) {
                    try buffer.require(offset + 2)
                    buffer.setUInt16(encoder.emit(), at: offset)
                    offset += 2
                }
                encoder.add(symbol)
                if symbols.consumed { break }
            }
        }
        guard symbols.statusCount <= 0xFFFF else { throw .tooManyItems(count: symbols.statusCount, limit: 0xFFFF) }
        if encoder.size > 0 {
            try buffer.require(offset + 2)
            buffer.setUInt16(encoder.emitRemaining(), at: offset)
            offset += 2
        }

        // Pass 2: the deltas, recomputed the same way.
        symbols = SymbolStream(base: base, referenceTime: referenceTime)
        for observation in observations {
            while true {
                let next = try symbols.next(observation)
                guard let (symbol, delta) = next else { break }
                switch symbol {
                case 1:
                    try buffer.require(offset + 1)
                    buffer[offset] = UInt8(delta)
                    offset += 1
                case 2:
                    try buffer.require(offset + 2)
                    buffer.setUInt16(UInt16(bitPattern: Int16(delta)), at: offset)
                    offset += 2
                default: break
                }
                if symbols.consumed { break }
            }
        }

        // Zero padding to a 32-bit boundary, flagged with the P bit and counted in the last
        // octet as RFC 3550 section 6.4.1 requires for any padded RTCP packet.
        let length = (offset + 3) & ~3
        let padding = length - offset
        try buffer.require(length)
        if padding > 0 {
            buffer.zero(offset..<(length - 1))
            buffer[length - 1] = UInt8(padding)
        }
        try RTCPFeedback.writeHeader(
            into: buffer, type: .transportFeedback, format: RTCPFeedback.Format.transportWideCC,
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, length: length, padding: padding > 0)
        buffer.setUInt16(base, at: header)
        buffer.setUInt16(UInt16(symbols.statusCount), at: header + 2)
        buffer.setUInt24(UInt32(truncatingIfNeeded: referenceTime) & 0xFF_FFFF, at: header + 4)
        buffer[header + 7] = feedbackPacketCount
        return length
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient
    }
}

/// Turns observations into (symbol, delta) pairs, including the not-received symbols of gaps.
/// For each observation, call `next` until `consumed` is true: first the gap's symbols, then
/// the observation's own.
struct SymbolStream {
    var expected: UInt16
    var statusCount = 0
    var lastTicks: Int64
    var consumed = false
    var started = false

    init(base: UInt16, referenceTime: Int64) {
        expected = base
        lastTicks = referenceTime * (TransportWideFeedback.referenceTimeUnit / TransportWideFeedback.deltaTick)
    }

    mutating func next(_ observation: TransportWideObservation) throws(RTPWriteError) -> (UInt8, Int64)? {
        consumed = false
        let distance = observation.sequenceNumber &- expected
        if started && distance >= 0x8000 { throw .unorderedSequenceNumber(observation.sequenceNumber) }
        started = true
        statusCount += 1
        guard statusCount <= 0xFFFF else { throw .tooManyItems(count: statusCount, limit: 0xFFFF) }
        if distance != 0 {
            expected &+= 1  // a gap: one more lost packet before this observation
            return (0, 0)
        }
        expected &+= 1
        consumed = true
        guard let arrival = observation.arrivalTime else { return (0, 0) }
        let ticks = TransportWideFeedback.floorDivide(arrival, TransportWideFeedback.deltaTick)
        let delta = ticks - lastTicks
        lastTicks = ticks
        if (0...255).contains(delta) { return (1, delta) }
        guard (Int64(Int16.min)...Int64(Int16.max)).contains(delta) else {
            throw .deltaOutOfRange(sequenceNumber: observation.sequenceNumber)
        }
        return (2, delta)
    }
}

/// Packs status symbols into chunks the way libwebrtc's TransportFeedback::LastChunk does.
struct ChunkEncoder {
    /// Up to 14 symbols, symbol i in bits 2i...2i+1.
    var symbols: UInt32 = 0
    var size = 0
    var allSame = true
    var hasLarge = false

    static let twoBitCapacity = 7
    static let oneBitCapacity = 14
    static let runLengthCapacity = 0x1FFF

    func symbol(_ index: Int) -> UInt8 { UInt8((symbols >> (2 * UInt32(index))) & 3) }

    func canAdd(_ symbol: UInt8) -> Bool {
        if size < Self.twoBitCapacity { return true }
        if size < Self.oneBitCapacity && !hasLarge && symbol != 2 { return true }
        if size < Self.runLengthCapacity && allSame && self.symbol(0) == symbol { return true }
        return false
    }

    mutating func add(_ symbol: UInt8) {
        if size < Self.oneBitCapacity { symbols |= UInt32(symbol) << (2 * UInt32(size)) }
        size += 1
        allSame = allSame && symbol == self.symbol(0)
        hasLarge = hasLarge || symbol == 2
    }

    /// A full chunk; symbols that did not fit in it stay for the next one.
    mutating func emit() -> UInt16 {
        if allSame {
            defer { self = ChunkEncoder() }
            return runLength()
        }
        if size == Self.oneBitCapacity {
            defer { self = ChunkEncoder() }
            return oneBit(count: Self.oneBitCapacity)
        }
        let chunk = twoBit(count: Self.twoBitCapacity)
        let rest = size - Self.twoBitCapacity
        let remaining = symbols >> (2 * UInt32(Self.twoBitCapacity))
        self = ChunkEncoder()
        for index in 0..<rest { add(UInt8((remaining >> (2 * UInt32(index))) & 3)) }
        return chunk
    }

    /// The last, possibly partial chunk (unused vector slots read as "not received" and are
    /// beyond the packet status count).
    mutating func emitRemaining() -> UInt16 {
        defer { self = ChunkEncoder() }
        if allSame { return runLength() }
        if size <= Self.twoBitCapacity { return twoBit(count: size) }
        return oneBit(count: size)
    }

    func runLength() -> UInt16 { UInt16(symbol(0)) << 13 | UInt16(size) }

    func oneBit(count: Int) -> UInt16 {
        var chunk: UInt16 = 0x8000
        for index in 0..<count { chunk |= UInt16(symbol(index) & 1) << (13 - index) }
        return chunk
    }

    func twoBit(count: Int) -> UInt16 {
        var chunk: UInt16 = 0xC000
        for index in 0..<count { chunk |= UInt16(symbol(index)) << (12 - 2 * index) }
        return chunk
    }
}
