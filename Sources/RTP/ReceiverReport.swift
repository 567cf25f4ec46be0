/// A receiver report (RFC 3550 section 6.4.2): the reporter's SSRC and its reception report
/// blocks (see `ReceptionReport`).
///
/// ```
/// |V=2|P|    RC   |   PT=RR=201   |             length            |
/// |                     SSRC of packet sender                     |
/// |                 report blocks (RC x 24 bytes)                 |
/// |                  profile-specific extensions                  |
/// ```
public struct ReceiverReport {
    public let packet: RTCPPacket

    public init(_ packet: RTCPPacket) throws(RTPParseError) {
        try packet.expect(.receiverReport)
        let available = packet.body.count
        guard available >= 4 else { throw .truncated(needed: RTCPPacket.headerLength + 4, have: RTCPPacket.headerLength + available) }
        guard 4 + ReceptionReport.length * Int(packet.count) <= available else {
            throw .countMismatch(declared: Int(packet.count), available: (available - 4) / ReceptionReport.length)
        }
        self.packet = packet
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        try self.init(RTCPPacket(bytes))
    }

    public var ssrc: UInt32 { packet.body.uint32(at: 0) }
    public var reports: ReceptionReportBlocks {
        ReceptionReportBlocks(bytes: packet.body, offset: 4, count: Int(packet.count))
    }

    public static func length(reportCount: Int) -> Int { 8 + ReceptionReport.length * reportCount }

    /// Writes a receiver report with up to 31 report blocks and returns its length.
    public static func write(
        ssrc: UInt32,
        reports: some Collection<ReceptionReport>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        let reportCount = reports.count
        guard reportCount <= 31 else { throw .tooManyItems(count: reportCount, limit: 31) }
        let length = length(reportCount: reportCount)
        try buffer.require(length)
        try RTCPPacket.writeHeader(into: buffer, count: UInt8(reportCount), type: .receiverReport, length: length)
        buffer.setUInt32(ssrc, at: 4)
        _ = ReceptionReportBlocks.write(reports, into: buffer, at: 8)
        return length
    }
}
