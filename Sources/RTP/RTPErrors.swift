/// Why a packet could not be read.
///
/// Every parser in this module reports malformed input with one of these cases instead of
/// trapping: the bytes come from the network, so any of them can be hostile. Offsets and lengths
/// are in bytes, relative to the start of the buffer the parser was given.
public enum RTPParseError: Error, Equatable, Sendable {
    /// The buffer ends before a field that must be there: `needed` bytes, `have` bytes.
    case truncated(needed: Int, have: Int)
    /// The version field is not 2 (RFC 3550 section 5.1 for RTP, 6.4.1 for RTCP).
    case unsupportedVersion(UInt8)
    /// The padding count in the last octet is zero or larger than the space it can take
    /// (RFC 3550 section 5.1: the count includes itself, so it is at least 1).
    case invalidPadding(paddingLength: Int, available: Int)
    /// The CSRC count says `csrcCount` entries but the packet is too short for them.
    case csrcOverrun(csrcCount: Int, have: Int)
    /// The header extension's length field (RFC 3550 section 5.3.1) runs past the packet.
    case extensionOverrun(needed: Int, have: Int)
    /// An RFC 8285 extension element at `offset` runs past the extension block.
    case malformedExtensionElement(offset: Int)
    /// An RTCP length field (RFC 3550 section 6.4.1) claims `declared` bytes; `have` are left.
    case lengthMismatch(declared: Int, have: Int)
    /// RFC 3550 section 6.1 / A.2: only the last packet of a compound packet may be padded.
    case paddingBeforeLastPacket(offset: Int)
    /// The RTCP packet type is not the one this parser reads.
    case unexpectedPacketType(expected: UInt8, found: UInt8)
    /// The RTCP feedback message type (FMT, RFC 4585 section 6.1) is not the one this parser reads.
    case unexpectedFormat(expected: UInt8, found: UInt8)
    /// A count field (report count, source count, SSRC count...) does not fit the packet's length.
    case countMismatch(declared: Int, available: Int)
    /// An SDES chunk at `offset` is not terminated inside the packet (RFC 3550 section 6.5).
    case malformedSourceDescription(offset: Int)
    /// A REMB message without the 'REMB' identifier (draft-alvestrand-rmcat-remb section 2.2).
    case missingREMBIdentifier
    /// A transport-wide feedback status chunk at `offset` uses the reserved symbol 3
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1.3).
    case reservedStatusSymbol(offset: Int)
}

/// Why a writer could not serialise into the caller's buffer.
public enum RTPWriteError: Error, Equatable, Sendable {
    /// The caller's buffer holds `have` bytes; the packet needs `needed`.
    case bufferTooSmall(needed: Int, have: Int)
    /// An RFC 8285 extension id outside 1...14 (one-byte form) or 1...255 (two-byte form).
    case extensionIDOutOfRange(Int)
    /// An RFC 8285 extension value longer than the form allows (16 one-byte, 255 two-byte), or
    /// empty in the one-byte form, which cannot express a zero length.
    case extensionLengthOutOfRange(Int)
    /// More entries than the header's count field holds (15 CSRCs, 31 report blocks or sources,
    /// 255 REMB SSRCs, 65535 transport-wide statuses, 255 octets of SDES item or BYE reason).
    case tooManyItems(count: Int, limit: Int)
    /// A value does not fit its field (for example a padding length outside 1...255).
    case valueOutOfRange(Int)
    /// Transport-wide feedback observations must be in increasing sequence-number order
    /// (modulo 2^16) without duplicates.
    case unorderedSequenceNumber(UInt16)
    /// A transport-wide receive delta that does not fit 16 signed bits of 250 µs ticks
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1.5): start a new feedback.
    case deltaOutOfRange(sequenceNumber: UInt16)
    /// A call out of order: e.g. a header extension added after the payload.
    case invalidOrder
}
