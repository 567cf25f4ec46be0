/// A sender report (RFC 3550 section 6.4.1): the sender's NTP and RTP clocks at one instant,
/// its packet and octet counts, and reception report blocks.
///
/// ```
/// |V=2|P|    RC   |   PT=SR=200   |             length            |
/// |                         SSRC of sender                        |
/// |              NTP timestamp, most significant word             |
/// |             NTP timestamp, least significant word             |
/// |                         RTP timestamp                         |
/// |                     sender's packet count                     |
/// |                      sender's octet count                     |
/// |                 report blocks (RC x 24 bytes)                 |
/// |                  profile-specific extensions                  |
/// ```
public struct SenderReport {
    public let packet: RTCPPacket

    /// Bytes of body before the report blocks.
    static let senderInfoLength = 24

    public init(_ packet: RTCPPacket) throws(RTPParseError) {
        try packet.expect(.senderReport)
        let needed = Self.senderInfoLength + ReceptionReport.length * Int(packet.count)
        let available = packet.body.count
        guard needed <= available else {
            if available < Self.senderInfoLength {
                throw .truncated(needed: RTCPPacket.headerLength + Self.senderInfoLength, have: RTCPPacket.headerLength + available)
            }
            throw .countMismatch(declared: Int(packet.count), available: (available - Self.senderInfoLength) / ReceptionReport.length)
        }
        self.packet = packet
    }

    /// Parses the first RTCP packet in `bytes`.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        try self.init(RTCPPacket(bytes))
    }

    public var ssrc: UInt32 { packet.body.uint32(at: 0) }
    public var ntpTime: NTPTime { NTPTime(rawValue: packet.body.uint64(at: 4)) }
    public var rtpTimestamp: UInt32 { packet.body.uint32(at: 12) }
    public var packetCount: UInt32 { packet.body.uint32(at: 16) }
    public var octetCount: UInt32 { packet.body.uint32(at: 20) }
    public var reports: ReceptionReportBlocks {
        ReceptionReportBlocks(bytes: packet.body, offset: Self.senderInfoLength, count: Int(packet.count))
    }

    /// The size `write` needs for `reportCount` blocks.
    public static func length(reportCount: Int) -> Int { 28 + ReceptionReport.length * reportCount }

    /// Writes a sender report with up to 31 report blocks and returns its length.
    public static func write(
        ssrc: UInt32,
        ntpTime: NTPTime,
        rtpTimestamp: UInt32,
        packetCount: UInt32,
        octetCount: UInt32,
        reports: some Collection<ReceptionReport>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        let reportCount = reports.count
        guard reportCount <= 31 else { throw .tooManyItems(count: reportCount, limit: 31) }
        let length = length(reportCount: reportCount)
        try buffer.require(length)
        try RTCPPacket.writeHeader(into: buffer, count: UInt8(reportCount), type: .senderReport, length: length)
        buffer.setUInt32(ssrc, at: 4)
        buffer.setUInt64(ntpTime.rawValue, at: 8)
        buffer.setUInt32(rtpTimestamp, at: 16)
        buffer.setUInt32(packetCount, at: 20)
        buffer.setUInt32(octetCount, at: 24)
        _ = ReceptionReportBlocks.write(reports, into: buffer, at: 28)
        return length
    }
}
