/// In-place edits of an RTP header in the caller's (mutable) buffer: what an SFU does to every
/// forwarded packet (new SSRC, payload type, sequence number and timestamp for the subscriber,
/// its own extmap ids and transport-wide sequence numbers) without copying the payload.
///
/// The packet is validated once by `init`; every setter then writes a fixed offset.
public struct RTPRewriter {
    public let buffer: UnsafeMutableRawBufferPointer
    /// The read-only view of the same bytes, as validated by `init`.
    public let packet: RTPPacket

    public init(_ buffer: UnsafeMutableRawBufferPointer) throws(RTPParseError) {
        self.packet = try RTPPacket(UnsafeRawBufferPointer(buffer))
        self.buffer = buffer
    }

    public func setSSRC(_ ssrc: UInt32) { buffer.setUInt32(ssrc, at: 8) }

    /// Payload types are 7 bits (RFC 3550 section 5.1); the high bit is ignored.
    public func setPayloadType(_ payloadType: UInt8) {
        buffer[1] = (buffer[1] & 0x80) | (payloadType & 0x7F)
    }

    public func setSequenceNumber(_ sequenceNumber: UInt16) { buffer.setUInt16(sequenceNumber, at: 2) }

    public func setTimestamp(_ timestamp: UInt32) { buffer.setUInt32(timestamp, at: 4) }

    public func setMarker(_ marker: Bool) {
        buffer[1] = marker ? buffer[1] | 0x80 : buffer[1] & 0x7F
    }

    /// The value bytes of the extension element with `id`, writable in place (for example to
    /// stamp this hop's transport-wide sequence number or abs-send-time).
    public func extensionValue(id: UInt8) -> UnsafeMutableRawBufferPointer? {
        guard let element = packet.headerExtensions?.element(id: id) else { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[element.range])
    }

    /// Renumbers the first element with id `from` to `to`, e.g. from the publisher's extmap id
    /// to the subscriber's. Returns false when there is no such element. The new id must fit the
    /// block's form (RFC 8285: 1...14 one-byte, 1...255 two-byte).
    @discardableResult
    public func rewriteExtensionID(from: UInt8, to: UInt8) throws(RTPWriteError) -> Bool {
        guard let extensions = packet.headerExtensions, let form = extensions.form else { return false }
        switch form {
        case .oneByte: guard (1...14).contains(to) else { throw .extensionIDOutOfRange(Int(to)) }
        case .twoByte: guard to >= 1 else { throw .extensionIDOutOfRange(Int(to)) }
        }
        guard let element = extensions.element(id: from) else { return false }
        switch form {
        case .oneByte:
            let idOffset = element.range.lowerBound - 1
            buffer[idOffset] = (to << 4) | (buffer[idOffset] & 0x0F)
        case .twoByte:
            buffer[element.range.lowerBound - 2] = to
        }
        return true
    }

    /// Turns the element with `id` into padding (RFC 8285: zero bytes), so a receiver skips it:
    /// the way to drop an extension the subscriber did not negotiate without moving bytes.
    @discardableResult
    public func removeExtension(id: UInt8) -> Bool {
        guard let extensions = packet.headerExtensions, let form = extensions.form,
            let element = extensions.element(id: id)
        else { return false }
        let headerLength = form == .oneByte ? 1 : 2
        buffer.zero((element.range.lowerBound - headerLength)..<element.range.upperBound)
        return true
    }
}
