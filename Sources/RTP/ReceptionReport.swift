/// One reception report block (RFC 3550 section 6.4.1), decoded as a value: 24 bytes on the wire.
///
/// ```
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |                 SSRC_1 (SSRC of first source)                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | fraction lost |       cumulative number of packets lost       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           extended highest sequence number received           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      interarrival jitter                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         last SR (LSR)                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   delay since last SR (DLSR)                  |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// ```
public struct ReceptionReport: Sendable, Equatable, Hashable {
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, in 1/256.
    public var fractionLost: UInt8
    /// Cumulative packets lost: 24-bit signed (duplicates can make it negative).
    public var cumulativeLost: Int32
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in RTP timestamp units (RFC 3550 section 6.4.1).
    public var jitter: UInt32
    /// Middle 32 bits of the last SR's NTP timestamp (`NTPTime.middle32`), 0 if none.
    public var lastSenderReport: UInt32
    /// Delay since that SR, in 1/65536 s.
    public var delaySinceLastSenderReport: UInt32

    public static let length = 24

    public init(
        ssrc: UInt32,
        fractionLost: UInt8 = 0,
        cumulativeLost: Int32 = 0,
        extendedHighestSequenceNumber: UInt32 = 0,
        jitter: UInt32 = 0,
        lastSenderReport: UInt32 = 0,
        delaySinceLastSenderReport: UInt32 = 0
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// Decodes the block at `offset`; the caller has checked 24 bytes are there.
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        ssrc = bytes.uint32(at: offset)
        fractionLost = bytes[offset + 4]
        // Sign-extend the 24-bit count.
        cumulativeLost = Int32(bitPattern: bytes.uint24(at: offset + 5) << 8) >> 8
        extendedHighestSequenceNumber = bytes.uint32(at: offset + 8)
        jitter = bytes.uint32(at: offset + 12)
        lastSenderReport = bytes.uint32(at: offset + 16)
        delaySinceLastSenderReport = bytes.uint32(at: offset + 20)
    }

    /// Encodes at `offset`; the caller has checked 24 bytes of room. The loss count is
    /// clamped to the 24-bit signed range, as RFC 3550 appendix A.3 does.
    func write(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.setUInt32(ssrc, at: offset)
        buffer[offset + 4] = fractionLost
        let lost = min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF)
        buffer.setUInt24(UInt32(bitPattern: lost) & 0xFF_FFFF, at: offset + 5)
        buffer.setUInt32(extendedHighestSequenceNumber, at: offset + 8)
        buffer.setUInt32(jitter, at: offset + 12)
        buffer.setUInt32(lastSenderReport, at: offset + 16)
        buffer.setUInt32(delaySinceLastSenderReport, at: offset + 20)
    }
}

/// The report blocks of an SR or RR, decoded on access.
public struct ReceptionReportBlocks: RandomAccessCollection {
    let bytes: UnsafeRawBufferPointer
    let offset: Int
    public let count: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> ReceptionReport {
        precondition(position >= 0 && position < count, "report index out of range")
        return ReceptionReport(bytes, at: offset + ReceptionReport.length * position)
    }

    /// Writes `reports` at `offset`; returns the offset after them.
    static func write(_ reports: some Collection<ReceptionReport>, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var offset = offset
        for report in reports {
            report.write(into: buffer, at: offset)
            offset += ReceptionReport.length
        }
        return offset
    }
}
