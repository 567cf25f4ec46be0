/// Serialises an RTP packet into the caller's buffer (RFC 3550 section 5.1, RFC 8285), in the
/// order the bytes appear: header and CSRCs at `init`, then header extension elements, then
/// payload, then `finish` adds the padding and returns the length.
///
/// Nothing is allocated: the writer keeps offsets into the buffer. It throws
/// `RTPWriteError.bufferTooSmall` as soon as a piece would not fit.
public struct RTPPacketWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count: Int
    let extensionForm: RTPHeaderExtensions.Form
    /// Offset of the 4-byte extension word once the first element was written.
    var extensionStart: Int?
    var payloadStarted = false

    /// Writes the fixed header. `extensionForm` is the RFC 8285 form used if any element is added.
    public init(
        into buffer: UnsafeMutableRawBufferPointer,
        header: RTPHeaderFields,
        extensionForm: RTPHeaderExtensions.Form = .oneByte
    ) throws(RTPWriteError) {
        try buffer.require(RTPPacket.fixedHeaderLength)
        guard header.payloadType < 128 else { throw .valueOutOfRange(Int(header.payloadType)) }
        buffer[0] = 2 << 6
        buffer[1] = (header.marker ? 0x80 : 0) | header.payloadType
        buffer.setUInt16(header.sequenceNumber, at: 2)
        buffer.setUInt32(header.timestamp, at: 4)
        buffer.setUInt32(header.ssrc, at: 8)
        self.buffer = buffer
        self.count = RTPPacket.fixedHeaderLength
        self.extensionForm = extensionForm
    }

    /// Writes the fixed header followed by up to 15 contributing sources (RFC 3550 section 5.1).
    public init(
        into buffer: UnsafeMutableRawBufferPointer,
        header: RTPHeaderFields,
        csrcs: some Collection<UInt32>,
        extensionForm: RTPHeaderExtensions.Form = .oneByte
    ) throws(RTPWriteError) {
        try self.init(into: buffer, header: header, extensionForm: extensionForm)
        guard csrcs.count <= 15 else { throw .tooManyItems(count: csrcs.count, limit: 15) }
        try buffer.require(count + 4 * csrcs.count)
        for csrc in csrcs {
            buffer.setUInt32(csrc, at: count)
            count += 4
        }
        buffer[0] |= UInt8(csrcs.count)
    }

    /// Appends one RFC 8285 element. Its bytes can be any collection: a buffer slice,
    /// `someString.utf8`, an array in tests.
    public mutating func appendExtension(id: UInt8, value: some Collection<UInt8>) throws(RTPWriteError) {
        guard !payloadStarted else { throw .invalidOrder }
        let length = value.count
        let elementHeader: Int
        switch extensionForm {
        case .oneByte:
            guard (1...14).contains(id) else { throw .extensionIDOutOfRange(Int(id)) }
            guard (1...16).contains(length) else { throw .extensionLengthOutOfRange(length) }
            elementHeader = 1
        case .twoByte:
            guard id >= 1 else { throw .extensionIDOutOfRange(Int(id)) }
            guard length <= 255 else { throw .extensionLengthOutOfRange(length) }
            elementHeader = 2
        }
        let start = extensionStart ?? count
        let elementOffset = extensionStart == nil ? count + 4 : count
        try buffer.require(elementOffset + elementHeader + length)
        if extensionStart == nil {
            buffer.setUInt16(extensionForm.profile, at: start)
            buffer.setUInt16(0, at: start + 2)  // set by closeExtensions()
            buffer[0] |= 0x10
            extensionStart = start
        }
        switch extensionForm {
        case .oneByte:
            buffer[elementOffset] = id << 4 | UInt8(length - 1)
        case .twoByte:
            buffer[elementOffset] = id
            buffer[elementOffset + 1] = UInt8(length)
        }
        buffer.copy(value, to: elementOffset + elementHeader)
        count = elementOffset + elementHeader + length
    }

    /// Appends a big-endian 16-bit value, e.g. a transport-wide sequence number.
    public mutating func appendExtension(id: UInt8, uint16 value: UInt16) throws(RTPWriteError) {
        try appendExtension(id: id, value: CollectionOfTwo(UInt8(value >> 8), UInt8(truncatingIfNeeded: value)))
    }

    /// Appends a big-endian 24-bit value, e.g. abs-send-time.
    public mutating func appendExtension(id: UInt8, uint24 value: UInt32) throws(RTPWriteError) {
        try appendExtension(id: id, value: CollectionOfThree(value))
    }

    /// Pads the extension block to a 32-bit boundary and fills in its length (RFC 3550 5.3.1).
    mutating func closeExtensions() throws(RTPWriteError) {
        guard let start = extensionStart, !payloadStarted else { return }
        let dataLength = count - start - 4
        let padded = (dataLength + 3) & ~3
        try buffer.require(start + 4 + padded)
        buffer.zero(count..<(start + 4 + padded))  // RFC 8285: zero bytes are padding
        count = start + 4 + padded
        buffer.setUInt16(UInt16(padded / 4), at: start + 2)
    }

    /// Appends payload bytes; may be called several times.
    public mutating func appendPayload(_ bytes: UnsafeRawBufferPointer) throws(RTPWriteError) {
        try closeExtensions()
        payloadStarted = true
        try buffer.require(count + bytes.count)
        buffer.copy(bytes, to: count)
        count += bytes.count
    }

    /// Appends payload bytes from any collection.
    public mutating func appendPayload(_ bytes: some Collection<UInt8>) throws(RTPWriteError) {
        try closeExtensions()
        payloadStarted = true
        try buffer.require(count + bytes.count)
        buffer.copy(bytes, to: count)
        count += bytes.count
    }

    /// Adds `paddingLength` bytes of padding (RFC 3550 section 5.1: zeros, then the count in
    /// the last octet, so 1...255) and returns the packet's length.
    public mutating func finish(paddingLength: Int = 0) throws(RTPWriteError) -> Int {
        try closeExtensions()
        payloadStarted = true
        guard paddingLength >= 0, paddingLength <= 255 else { throw .valueOutOfRange(paddingLength) }
        if paddingLength > 0 {
            try buffer.require(count + paddingLength)
            buffer.zero(count..<(count + paddingLength - 1))
            buffer[count + paddingLength - 1] = UInt8(paddingLength)
            buffer[0] |= 0x20
            count += paddingLength
        }
        return count
    }
}

/// Two bytes as a collection, so fixed-width values go through the generic path unallocated.
struct CollectionOfTwo: RandomAccessCollection {
    let first: UInt8
    let second: UInt8
    init(_ first: UInt8, _ second: UInt8) { self.first = first; self.second = second }
    var startIndex: Int { 0 }
    var endIndex: Int { 2 }
    subscript(position: Int) -> UInt8 { position == 0 ? first : second }
}

/// The low 24 bits of a value, big-endian, as a collection.
struct CollectionOfThree: RandomAccessCollection {
    let value: UInt32
    init(_ value: UInt32) { self.value = value }
    var startIndex: Int { 0 }
    var endIndex: Int { 3 }
    subscript(position: Int) -> UInt8 { UInt8(truncatingIfNeeded: value >> (8 * (2 - position))) }
}
