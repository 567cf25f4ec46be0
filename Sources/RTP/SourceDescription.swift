/// A source description packet (RFC 3550 section 6.5): for each of SC sources, a chunk of
/// typed text items. WebRTC uses it for the CNAME, which ties a peer's audio and video SSRCs
/// together for lip sync.
///
/// ```
/// |V=2|P|    SC   |  PT=SDES=202  |             length            |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |                          SSRC/CSRC_1                          |
/// |     type      |     length    | text (length octets) ...      |
/// |  ... more items; then one or more zero octets up to a 32-bit boundary
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// ```
public struct SourceDescription: Sequence {
    public let packet: RTCPPacket

    public init(_ packet: RTCPPacket) throws(RTPParseError) {
        try packet.expect(.sourceDescription)
        let body = packet.body
        var offset = 0
        for _ in 0..<Int(packet.count) {
            offset = try Self.chunkEnd(body, from: offset)
        }
        self.packet = packet
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        try self.init(RTCPPacket(bytes))
    }

    /// Where the chunk starting at `offset` ends (after its null terminator and alignment).
    static func chunkEnd(_ body: UnsafeRawBufferPointer, from start: Int) throws(RTPParseError) -> Int {
        guard start + 4 <= body.count else { throw .malformedSourceDescription(offset: RTCPPacket.headerLength + start) }
        var offset = start + 4
        while true {
            guard offset < body.count else { throw .malformedSourceDescription(offset: RTCPPacket.headerLength + start) }
            if body[offset] == 0 {
                // End of the item list: the null octet, then zeros to the next 32-bit boundary.
                let end = (offset + 1 + 3) & ~3
                guard end <= body.count else { throw .malformedSourceDescription(offset: RTCPPacket.headerLength + start) }
                return end
            }
            guard offset + 2 <= body.count, offset + 2 + Int(body[offset + 1]) <= body.count else {
                throw .malformedSourceDescription(offset: RTCPPacket.headerLength + start)
            }
            offset += 2 + Int(body[offset + 1])
        }
    }

    public struct Iterator: IteratorProtocol {
        let body: UnsafeRawBufferPointer
        var remaining: Int
        var offset = 0

        public mutating func next() -> SourceDescriptionChunk? {
            guard remaining > 0, let end = try? SourceDescription.chunkEnd(body, from: offset) else { return nil }
            remaining -= 1
            defer { offset = end }
            return SourceDescriptionChunk(ssrc: body.uint32(at: offset), items: body.slice((offset + 4)..<end))
        }
    }

    public func makeIterator() -> Iterator { Iterator(body: packet.body, remaining: Int(packet.count)) }

    /// Writes one chunk with a CNAME item: what a WebRTC endpoint sends in every compound packet.
    public static func write(
        ssrc: UInt32,
        cname: some Collection<UInt8>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        var writer = try SourceDescriptionWriter(into: buffer)
        try writer.beginChunk(ssrc: ssrc)
        try writer.appendItem(type: SourceDescriptionItem.cname, value: cname)
        return try writer.finish()
    }
}

/// The chunk of one source: its SSRC and items.
public struct SourceDescriptionChunk: Sequence {
    public let ssrc: UInt32
    /// The items, then the terminating zero octets.
    let items: UnsafeRawBufferPointer

    public struct Iterator: IteratorProtocol {
        let items: UnsafeRawBufferPointer
        var offset = 0

        public mutating func next() -> SourceDescriptionItem? {
            // Validated by SourceDescription.init: each item fits, the list ends with a zero.
            guard offset + 2 <= items.count, items[offset] != 0 else { return nil }
            let type = items[offset]
            let end = offset + 2 + Int(items[offset + 1])
            defer { offset = end }
            return SourceDescriptionItem(type: type, value: items.slice((offset + 2)..<end))
        }
    }

    public func makeIterator() -> Iterator { Iterator(items: items) }

    /// The value of the first item of `type`.
    public func value(type: UInt8) -> UnsafeRawBufferPointer? {
        for item in self where item.type == type { return item.value }
        return nil
    }

    /// The canonical name (RFC 3550 section 6.5.1).
    public var cname: UnsafeRawBufferPointer? { value(type: SourceDescriptionItem.cname) }
}

/// One SDES item (RFC 3550 sections 6.5.1-6.5.8).
public struct SourceDescriptionItem {
    public let type: UInt8
    public let value: UnsafeRawBufferPointer

    public static let cname: UInt8 = 1
    public static let name: UInt8 = 2
    public static let email: UInt8 = 3
    public static let phone: UInt8 = 4
    public static let location: UInt8 = 5
    public static let tool: UInt8 = 6
    public static let note: UInt8 = 7
    public static let privateExtension: UInt8 = 8
}

/// Builds an SDES packet in the caller's buffer: `beginChunk`, `appendItem`..., more chunks,
/// then `finish` for the length.
public struct SourceDescriptionWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    var count = RTCPPacket.headerLength
    var chunkCount = 0
    var inChunk = false

    public init(into buffer: UnsafeMutableRawBufferPointer) throws(RTPWriteError) {
        try buffer.require(RTCPPacket.headerLength)
        self.buffer = buffer
    }

    public mutating func beginChunk(ssrc: UInt32) throws(RTPWriteError) {
        try endChunk()
        guard chunkCount < 31 else { throw .tooManyItems(count: chunkCount + 1, limit: 31) }
        try buffer.require(count + 4)
        buffer.setUInt32(ssrc, at: count)
        count += 4
        chunkCount += 1
        inChunk = true
    }

    public mutating func appendItem(type: UInt8, value: some Collection<UInt8>) throws(RTPWriteError) {
        guard inChunk, type != 0 else { throw .invalidOrder }
        let length = value.count
        guard length <= 255 else { throw .tooManyItems(count: length, limit: 255) }
        try buffer.require(count + 2 + length)
        buffer[count] = type
        buffer[count + 1] = UInt8(length)
        buffer.copy(value, to: count + 2)
        count += 2 + length
    }

    /// The null item and zeros to the 32-bit boundary (RFC 3550 section 6.5).
    mutating func endChunk() throws(RTPWriteError) {
        guard inChunk else { return }
        let end = (count + 1 + 3) & ~3
        try buffer.require(end)
        buffer.zero(count..<end)
        count = end
        inChunk = false
    }

    public mutating func finish() throws(RTPWriteError) -> Int {
        try endChunk()
        try RTCPPacket.writeHeader(into: buffer, count: UInt8(chunkCount), type: .sourceDescription, length: count)
        return count
    }
}
