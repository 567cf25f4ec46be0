/// The last packets of one published video stream, kept to answer subscribers' NACKs
/// (RFC 4585 6.2.1) without asking the publisher again.
///
/// A fixed ring of slots allocated once when the track is published; storing copies a packet
/// into the slot its sequence number selects, so nothing is allocated per packet. 512 slots
/// hold about 1.5 s of a 2.5 Mbit/s stream, longer than a NACK is useful.
final class PacketCache {
    static let slotCount = 512
    static let slotSize = 1500

    private let storage: UnsafeMutableRawBufferPointer
    private var lengths: [Int]
    private var sequences: [UInt16]

    init() {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slotCount * Self.slotSize, alignment: 16)
        lengths = [Int](repeating: 0, count: Self.slotCount)
        sequences = [UInt16](repeating: 0, count: Self.slotCount)
    }

    deinit { storage.deallocate() }

    func store(_ packet: UnsafeRawBufferPointer, sequence: UInt16) {
        guard packet.count <= Self.slotSize else { return }
        let slot = Int(sequence) % Self.slotCount
        storage.baseAddress!.advanced(by: slot * Self.slotSize).copyMemory(from: packet.baseAddress!, byteCount: packet.count)
        lengths[slot] = packet.count
        sequences[slot] = sequence
    }

    /// The stored packet with `sequence`, valid until the next `store`; nil if overwritten.
    func packet(sequence: UInt16) -> UnsafeRawBufferPointer? {
        let slot = Int(sequence) % Self.slotCount
        guard lengths[slot] > 0, sequences[slot] == sequence else { return nil }
        return UnsafeRawBufferPointer(start: storage.baseAddress!.advanced(by: slot * Self.slotSize), count: lengths[slot])
    }
}
