/// A validated, read-only view of one RTP packet in the caller's buffer (RFC 3550 section 5.1).
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           timestamp                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           synchronization source (SSRC) identifier            |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |            contributing source (CSRC) identifiers             |
/// |                             ....                              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// Parsing checks every length once (CSRC list, header extension and its RFC 8285 elements,
/// padding), so the accessors afterwards cannot fail and nothing is copied or allocated.
/// The view borrows the buffer: it is valid only while the caller keeps those bytes alive,
/// which is why it is not `Sendable`.
public struct RTPPacket {
    /// The whole packet, as given to the parser.
    public let bytes: UnsafeRawBufferPointer
    /// Fixed header, CSRC list and header extension: where the payload starts.
    public let headerLength: Int
    /// Bytes of padding at the end, including the count octet itself; 0 when P is clear.
    public let paddingLength: Int
    /// The header extension block's data (after its 4-byte profile/length word), if X is set.
    let extensionDataRange: Range<Int>?

    /// The size of the fixed header (RFC 3550 section 5.1).
    public static let fixedHeaderLength = 12

    public init(_ bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        guard bytes.count >= Self.fixedHeaderLength else {
            throw .truncated(needed: Self.fixedHeaderLength, have: bytes.count)
        }
        let first = bytes[0]
        guard first >> 6 == 2 else { throw .unsupportedVersion(first >> 6) }
        let csrcCount = Int(first & 0x0F)
        var offset = Self.fixedHeaderLength + 4 * csrcCount
        guard offset <= bytes.count else { throw .csrcOverrun(csrcCount: csrcCount, have: bytes.count) }

        // RFC 3550 section 5.3.1: 16 bits defined by profile, 16 bits length in 32-bit words,
        // not counting the 4-byte word itself.
        if first & 0x10 != 0 {
            guard offset + 4 <= bytes.count else { throw .extensionOverrun(needed: offset + 4, have: bytes.count) }
            let profile = bytes.uint16(at: offset)
            let dataStart = offset + 4
            let dataEnd = dataStart + 4 * Int(bytes.uint16(at: offset + 2))
            guard dataEnd <= bytes.count else { throw .extensionOverrun(needed: dataEnd, have: bytes.count) }
            try RTPHeaderExtensions.validate(profile: profile, data: bytes.slice(dataStart..<dataEnd), baseOffset: dataStart)
            extensionDataRange = dataStart..<dataEnd
            offset = dataEnd
        } else {
            extensionDataRange = nil
        }
        headerLength = offset

        // RFC 3550 section 5.1: the last octet counts the padding, itself included; it may not
        // reach back into the header.
        if first & 0x20 != 0 {
            let available = bytes.count - offset
            guard available > 0 else { throw .invalidPadding(paddingLength: 0, available: 0) }
            let padding = Int(bytes[bytes.count - 1])
            guard padding >= 1, padding <= available else {
                throw .invalidPadding(paddingLength: padding, available: available)
            }
            paddingLength = padding
        } else {
            paddingLength = 0
        }
        self.bytes = bytes
    }

    public var version: UInt8 { bytes[0] >> 6 }
    public var hasPadding: Bool { bytes[0] & 0x20 != 0 }
    public var hasExtension: Bool { bytes[0] & 0x10 != 0 }
    public var csrcCount: Int { Int(bytes[0] & 0x0F) }
    public var marker: Bool { bytes[1] & 0x80 != 0 }
    public var payloadType: UInt8 { bytes[1] & 0x7F }
    public var sequenceNumber: UInt16 { bytes.uint16(at: 2) }
    public var timestamp: UInt32 { bytes.uint32(at: 4) }
    public var ssrc: UInt32 { bytes.uint32(at: 8) }

    /// The contributing source at `index` (0 ..< csrcCount).
    public func csrc(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < csrcCount, "CSRC index out of range")
        return bytes.uint32(at: Self.fixedHeaderLength + 4 * index)
    }

    /// The header extension block, if the X bit is set.
    public var headerExtensions: RTPHeaderExtensions? {
        guard let range = extensionDataRange else { return nil }
        return RTPHeaderExtensions(profile: bytes.uint16(at: range.lowerBound - 4), data: bytes.slice(range), baseOffset: range.lowerBound)
    }

    /// The value of the RFC 8285 element with `id`, if present.
    public func headerExtension(id: UInt8) -> UnsafeRawBufferPointer? {
        headerExtensions?.value(id: id)
    }

    /// Where the payload lies in `bytes`: after the header, before the padding.
    public var payloadRange: Range<Int> { headerLength..<(bytes.count - paddingLength) }

    public var payload: UnsafeRawBufferPointer { bytes.slice(payloadRange) }

    /// The fields a writer needs to reproduce this header.
    public var headerFields: RTPHeaderFields {
        RTPHeaderFields(payloadType: payloadType, marker: marker, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc)
    }
}

/// The fixed-header fields an SFU reads and rewrites, as a value.
public struct RTPHeaderFields: Sendable, Equatable, Hashable {
    public var payloadType: UInt8
    public var marker: Bool
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32

    public init(payloadType: UInt8, marker: Bool = false, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32) {
        self.payloadType = payloadType
        self.marker = marker
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
    }
}
