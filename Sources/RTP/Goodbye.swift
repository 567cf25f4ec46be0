/// A BYE packet (RFC 3550 section 6.6): the listed sources are leaving, optionally with a reason.
///
/// ```
/// |V=2|P|    SC   |   PT=BYE=203  |             length            |
/// |                           SSRC/CSRC                           |
/// :                              ...                              :
/// |     length    |               reason for leaving            ...  (optional)
/// ```
public struct Goodbye {
    public let packet: RTCPPacket

    public init(_ packet: RTCPPacket) throws(RTPParseError) {
        try packet.expect(.goodbye)
        let body = packet.body
        let sourcesEnd = 4 * Int(packet.count)
        guard sourcesEnd <= body.count else { throw .countMismatch(declared: Int(packet.count), available: body.count / 4) }
        if sourcesEnd < body.count {
            let reasonEnd = sourcesEnd + 1 + Int(body[sourcesEnd])
            guard reasonEnd <= body.count else {
                throw .truncated(needed: RTCPPacket.headerLength + reasonEnd, have: RTCPPacket.headerLength + body.count)
            }
        }
        self.packet = packet
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        try self.init(RTCPPacket(bytes))
    }

    public var sourceCount: Int { Int(packet.count) }

    public func source(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < sourceCount, "source index out of range")
        return packet.body.uint32(at: 4 * index)
    }

    /// The reason text (UTF-8, RFC 3550 section 6.6), if present.
    public var reason: UnsafeRawBufferPointer? {
        let body = packet.body
        let start = 4 * sourceCount
        guard start < body.count else { return nil }
        return body.slice((start + 1)..<(start + 1 + Int(body[start])))
    }

    public static func write(sources: some Collection<UInt32>, into buffer: UnsafeMutableRawBufferPointer) throws(RTPWriteError) -> Int {
        try write(sources: sources, reason: EmptyCollection<UInt8>(), into: buffer)
    }

    /// Writes a BYE for up to 31 sources with a reason of up to 255 octets (empty: no reason).
    public static func write(
        sources: some Collection<UInt32>,
        reason: some Collection<UInt8>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTPWriteError) -> Int {
        let sourceCount = sources.count
        guard sourceCount <= 31 else { throw .tooManyItems(count: sourceCount, limit: 31) }
        let reasonLength = reason.count
        guard reasonLength <= 255 else { throw .tooManyItems(count: reasonLength, limit: 255) }
        var length = 4 + 4 * sourceCount
        let reasonOffset = length
        if reasonLength > 0 { length = (length + 1 + reasonLength + 3) & ~3 }
        try buffer.require(length)
        try RTCPPacket.writeHeader(into: buffer, count: UInt8(sourceCount), type: .goodbye, length: length)
        var offset = 4
        for source in sources {
            buffer.setUInt32(source, at: offset)
            offset += 4
        }
        if reasonLength > 0 {
            buffer[reasonOffset] = UInt8(reasonLength)
            buffer.copy(reason, to: reasonOffset + 1)
            buffer.zero((reasonOffset + 1 + reasonLength)..<length)
        }
        return length
    }
}
