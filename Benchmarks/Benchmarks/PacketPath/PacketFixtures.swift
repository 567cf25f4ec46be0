import RTP
import Transport

/// The packet every benchmark works on: a 1200-byte VP8 video RTP packet as a browser sends it,
/// with the one-byte header extensions an SFU reads or restamps (RFC 8285 section 4.2) and a
/// payload descriptor with a 15-bit picture id, TL0PICIDX and temporal layer (RFC 7741 4.2),
/// four packets a picture, none starting a keyframe.
enum VideoPacket {
    static let length = 1200
    static let payloadType: UInt8 = 96
    static let ssrc: UInt32 = 0x1122_3344
    static let absoluteSendTimeID: UInt8 = 2
    static let transportSequenceNumberID: UInt8 = 3
    static let midID: UInt8 = 4

    /// Writes the packet for `index` (sequence number, timestamp and extension values derived
    /// from it) at the start of `buffer`; returns its length. Only the header differs by index.
    static func write(index: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        template.withUnsafeBytes { buffer.copyMemory(from: $0) }
        do {
            let rewriter = try RTPRewriter(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length]))
            rewriter.setSequenceNumber(UInt16(truncatingIfNeeded: index))
            rewriter.setTimestamp(UInt32(truncatingIfNeeded: index / 4 &* 3000))
            let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[rewriter.packet.payloadRange])
            guard let descriptor = VP8PayloadDescriptor(UnsafeRawBufferPointer(payload)) else { fatalError("no VP8 descriptor") }
            descriptor.setPictureID(UInt16(truncatingIfNeeded: index / 4), in: payload)
            descriptor.setTL0PictureIndex(UInt8(truncatingIfNeeded: index / 16), in: payload)
            if let value = rewriter.extensionValue(id: absoluteSendTimeID) {
                AbsoluteSendTimeExtension.write(UInt32(truncatingIfNeeded: index) & 0xFF_FFFF, into: value)
            }
            if let value = rewriter.extensionValue(id: transportSequenceNumberID) {
                TransportSequenceNumberExtension.write(UInt16(truncatingIfNeeded: index), into: value)
            }
        } catch {
            fatalError("the benchmark packet does not parse: \(error)")
        }
        return length
    }

    /// The packet for index 0, written once with `RTPPacketWriter`.
    private static let template: [UInt8] = {
        let header = RTPHeaderFields(payloadType: payloadType, sequenceNumber: 0, timestamp: 0, ssrc: ssrc)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 16)
        defer { buffer.deallocate() }
        do {
            var writer = try RTPPacketWriter(into: buffer, header: header)
            try writer.appendExtension(id: absoluteSendTimeID, uint24: 0)
            try writer.appendExtension(id: transportSequenceNumberID, uint16: 0)
            try writer.appendExtension(id: midID, value: CollectionOfOne(UInt8(ascii: "0")))
            // The extension block is padded to 32 bits when the payload starts (RFC 3550 5.3.1).
            let extensionData = writer.count - RTPPacket.fixedHeaderLength - 4
            let headerLength = RTPPacket.fixedHeaderLength + 4 + (extensionData + 3) / 4 * 4
            // X|S, then I (15-bit picture id), L, T; an inter frame's payload header (P set).
            let descriptor: [UInt8] = [0x90, 0xE0, 0x80, 0x00, 0x00, 0x40, 0x01]
            try writer.appendPayload(descriptor + payload.prefix(length - headerLength - descriptor.count))
            let written = try writer.finish()
            precondition(written == length)
        } catch {
            fatalError("cannot write the benchmark packet: \(error)")
        }
        return Array(buffer)
    }()

    /// Arbitrary but fixed payload bytes (a linear congruential sequence).
    private static let payload: [UInt8] = {
        var state: UInt32 = 0x2545_F491
        return (0..<length).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }()
}

/// Fixed SRTP master keys and salts (RFC 3711 8.2): one for publisher to SFU, one for SFU to
/// subscriber, as two DTLS handshakes would give.
enum TestKeys {
    static func publisher(_ profile: SRTPProfile) -> [UInt8] { keyAndSalt(profile, seed: 0x11) }
    static func subscriber(_ profile: SRTPProfile) -> [UInt8] { keyAndSalt(profile, seed: 0x5A) }

    private static func keyAndSalt(_ profile: SRTPProfile, seed: UInt8) -> [UInt8] {
        (0..<(profile.keyLength + profile.saltLength)).map { seed &+ UInt8($0) &* 7 }
    }
}

/// One memory block holding `count` packets, each in a slot with room for the SRTP trailer, so
/// a benchmark iteration can prepare fresh packets outside the measurement and then work on
/// them in place. Nothing is allocated after `init`.
final class PacketPool {
    let count: Int
    /// Slot size: a 1200-byte packet plus `SRTPSession.maximumTrailer`, rounded to cache lines.
    static let slotSize = 1536
    private let memory: UnsafeMutableRawBufferPointer
    private let lengths: UnsafeMutableBufferPointer<Int>

    init(count: Int) {
        self.count = count
        memory = .allocate(byteCount: count * Self.slotSize, alignment: 64)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0)
    }

    deinit {
        memory.deallocate()
        lengths.deallocate()
    }

    /// The whole slot `index`: the packet starts at offset 0.
    @inline(__always)
    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[(index * Self.slotSize)..<((index + 1) * Self.slotSize)])
    }

    @inline(__always)
    func length(_ index: Int) -> Int { lengths[index] }

    @inline(__always)
    func setLength(_ length: Int, at index: Int) { lengths[index] = length }

    /// The packet in slot `index`, as a datagram would arrive.
    @inline(__always)
    func datagram(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: memory[(index * Self.slotSize)..<(index * Self.slotSize + lengths[index])])
    }
}

/// Hands out packet indexes that keep increasing across iterations, so every packet an SRTP
/// session sees has a sequence number it has not seen: the inbound replay window (RFC 3711
/// 3.3.2, `SRTPSession.replayWindow`) rejects a repeated one, and libsrtp2 follows the 16-bit
/// wrap with its rollover counter as long as packets come in order.
final class PacketSource {
    private var nextIndex = 0

    /// Fills every slot of `pool` with the next plain RTP packets.
    func fillPlain(_ pool: PacketPool) {
        for slot in 0..<pool.count {
            pool.setLength(VideoPacket.write(index: nextIndex, into: pool.slot(slot)), at: slot)
            nextIndex += 1
        }
    }

    /// Fills every slot of `pool` with the next packets, protected by `publisher` as the
    /// browser would send them.
    func fillProtected(_ pool: PacketPool, with publisher: SRTPSession) {
        for slot in 0..<pool.count {
            pool.setLength(nextProtected(into: pool.slot(slot), with: publisher), at: slot)
        }
    }

    /// Writes the next packet at the start of `buffer`, protects it with `publisher` and
    /// returns the protected length.
    func nextProtected(into buffer: UnsafeMutableRawBufferPointer, with publisher: SRTPSession) -> Int {
        let length = VideoPacket.write(index: nextIndex, into: buffer)
        nextIndex += 1
        do {
            return try publisher.protectRTP(buffer, length: length)
        } catch {
            fatalError("publisher protect failed: \(error)")
        }
    }
}
