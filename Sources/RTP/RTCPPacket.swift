/// RTCP packet types (RFC 3550 section 12.1, RFC 4585 section 6.1, RFC 3611).
public struct RTCPPacketType: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let senderReport = RTCPPacketType(rawValue: 200)
    public static let receiverReport = RTCPPacketType(rawValue: 201)
    public static let sourceDescription = RTCPPacketType(rawValue: 202)
    public static let goodbye = RTCPPacketType(rawValue: 203)
    public static let applicationDefined = RTCPPacketType(rawValue: 204)
    /// Transport-layer feedback (RFC 4585 section 6.2): NACK, transport-wide CC.
    public static let transportFeedback = RTCPPacketType(rawValue: 205)
    /// Payload-specific feedback (RFC 4585 section 6.3): PLI, FIR, REMB.
    public static let payloadFeedback = RTCPPacketType(rawValue: 206)
    public static let extendedReport = RTCPPacketType(rawValue: 207)
}

/// A view of one RTCP packet (RFC 3550 section 6.4.1 common header):
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  count  |      PT       |             length            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// `length` is the packet's size in 32-bit words minus one, so every packet is at least 4
/// bytes and walking a compound packet always advances. `count` is the report count, source
/// count or feedback message type (FMT) depending on the type.
public struct RTCPPacket {
    /// This packet's bytes, header and padding included (exactly `(length + 1) * 4`).
    public let bytes: UnsafeRawBufferPointer
    /// Bytes of padding at the end (RFC 3550 section 6.4.1, P bit), count octet included.
    public let paddingLength: Int

    public static let headerLength = 4

    /// Reads the first RTCP packet in `buffer`; bytes after it (a compound packet's next
    /// packets) are ignored.
    public init(_ buffer: UnsafeRawBufferPointer) throws(RTPParseError) {
        guard buffer.count >= Self.headerLength else { throw .truncated(needed: Self.headerLength, have: buffer.count) }
        let first = buffer[0]
        guard first >> 6 == 2 else { throw .unsupportedVersion(first >> 6) }
        let length = (Int(buffer.uint16(at: 2)) + 1) * 4
        guard length <= buffer.count else { throw .lengthMismatch(declared: length, have: buffer.count) }
        if first & 0x20 != 0 {
            let padding = Int(buffer[length - 1])
            guard padding >= 1, padding <= length - Self.headerLength else {
                throw .invalidPadding(paddingLength: padding, available: length - Self.headerLength)
            }
            paddingLength = padding
        } else {
            paddingLength = 0
        }
        bytes = buffer.slice(0..<length)
    }

    public var hasPadding: Bool { bytes[0] & 0x20 != 0 }
    /// Reception report count, source count, or feedback message type (FMT).
    public var count: UInt8 { bytes[0] & 0x1F }
    public var packetType: RTCPPacketType { RTCPPacketType(rawValue: bytes[1]) }
    /// The length field: size in 32-bit words minus one.
    public var lengthField: UInt16 { bytes.uint16(at: 2) }
    /// The contents after the 4-byte header, without padding.
    public var body: UnsafeRawBufferPointer { bytes.slice(Self.headerLength..<(bytes.count - paddingLength)) }

    /// Checks the type (and for feedback messages the FMT) a parser expects.
    func expect(_ type: RTCPPacketType, format: UInt8? = nil) throws(RTPParseError) {
        guard packetType == type else { throw .unexpectedPacketType(expected: type.rawValue, found: packetType.rawValue) }
        if let format, count != format { throw .unexpectedFormat(expected: format, found: count) }
    }

    /// The largest packet the 16-bit length field can describe.
    public static let maximumLength = 65536 * 4

    /// Writes a common header for a packet of `length` bytes (a multiple of 4); the caller has
    /// checked the buffer holds `length` bytes.
    static func writeHeader(
        into buffer: UnsafeMutableRawBufferPointer,
        count: UInt8,
        type: RTCPPacketType,
        length: Int,
        padding: Bool = false
    ) throws(RTPWriteError) {
        guard length <= maximumLength else { throw .valueOutOfRange(length) }
        buffer[0] = 2 << 6 | (padding ? 0x20 : 0) | (count & 0x1F)
        buffer[1] = type.rawValue
        buffer.setUInt16(UInt16(length / 4 - 1), at: 2)
    }
}
