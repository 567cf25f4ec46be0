/// A source's numbers (RTP sequence numbers, or VP8 picture ids) mapped to ours when some of
/// them are dropped, as plain values: ours stay contiguous, so the receiver sees no loss where
/// the SFU left a packet out on purpose (a temporal layer it does not forward), and a late packet
/// or a NACK still finds its number.
///
/// The newest number seen decides (`advance`): kept, it takes the next of ours; dropped, ours
/// skip nothing and the offset moves down by one. Numbers skipped between two newest ones
/// (lost or reordered) keep a place each, since their fate is unknown, unless the caller knows
/// they are dropped too (the middle packets of a dropped picture). Late numbers, up to `window`
/// behind the newest, find the place kept for them (`late`). Until the first drop, ours are the
/// source's plus a constant, as without this type.
///
/// Why contiguous: a receiver counts a gap in sequence numbers as loss and asks for it again,
/// and libwebrtc's VP8 reference finder holds a frame of an upper temporal layer until every
/// picture id between it and the frame it references has arrived (a gap there freezes those
/// layers). mediasoup (SeqManager, VP8 PictureIdManager) and LiveKit (VP8 munger) renumber the
/// same way.
///
/// Storage is allocated once, in `init`; no allocation per number.
public struct SequenceRenumbering: Sendable {
    /// The numbers' range minus one: 0xFFFF for sequence numbers, 0x7FFF for 15-bit picture ids.
    public private(set) var modulusMask: UInt16
    /// How far behind the newest a late number is still mapped (a power of two).
    public let window: Int
    public private(set) var offset: UInt16 = 0
    public private(set) var newest: UInt16?
    /// Numbers dropped since the last `reset`.
    public private(set) var drops = 0

    private enum State: UInt8, Sendable { case empty, kept, dropped }
    private struct Slot: Sendable {
        var source: UInt16 = 0
        var output: UInt16 = 0
        var state = State.empty
    }
    private var slots: [Slot]
    /// Ours to the source's (for NACKs): `reverseTags` holds ours, `reverseSources` the source's.
    private var reverseTags: [UInt16]
    private var reverseSources: [UInt16]
    private var reverseValid: [Bool]

    public init(modulusMask: UInt16, window: Int) {
        precondition(window > 0 && window & (window - 1) == 0 && window <= Int(modulusMask) / 2)
        self.modulusMask = modulusMask
        self.window = window
        slots = [Slot](repeating: Slot(), count: window)
        reverseTags = [UInt16](repeating: 0, count: window)
        reverseSources = [UInt16](repeating: 0, count: window)
        reverseValid = [Bool](repeating: false, count: window)
    }

    /// A new source: ours continue as `offset` says (ours = source + offset), nothing is known;
    /// with `modulusMask`, numbers of another range.
    public mutating func reset(offset: UInt16, modulusMask: UInt16? = nil) {
        if let modulusMask {
            precondition(window <= Int(modulusMask) / 2)
            self.modulusMask = modulusMask
        }
        self.offset = offset & self.modulusMask
        newest = nil
        drops = 0
        for i in 0..<window {
            slots[i].state = .empty
            reverseValid[i] = false
        }
    }

    /// Whether `source` is newer than the newest seen (or the first).
    public func isNewest(_ source: UInt16) -> Bool {
        guard let newest else { return true }
        let ahead = (source &- newest) & modulusMask
        return ahead != 0 && ahead <= modulusMask / 2
    }

    /// The newest number: `dropped` or kept (ours returned). The numbers skipped since the
    /// previous newest are kept places, or dropped with `skippedDropped`.
    public mutating func advance(to source: UInt16, dropped: Bool, skippedDropped: Bool = false) -> UInt16? {
        let source = source & modulusMask
        if let newest {
            let skipped = Int((source &- newest &- 1) & modulusMask)
            // A jump of a window or more: what was skipped is too old to be mapped anyway.
            if skipped < window {
                var missing = (newest &+ 1) & modulusMask
                for _ in 0..<skipped {
                    if skippedDropped {
                        record(missing, output: 0, state: .dropped)
                        offset = (offset &- 1) & modulusMask
                        drops += 1
                    } else {
                        record(missing, output: (missing &+ offset) & modulusMask, state: .kept)
                    }
                    missing = (missing &+ 1) & modulusMask
                }
            }
        }
        newest = source
        if dropped {
            record(source, output: 0, state: .dropped)
            offset = (offset &- 1) & modulusMask
            drops += 1
            return nil
        }
        let output = (source &+ offset) & modulusMask
        record(source, output: output, state: .kept)
        return output
    }

    /// What became of a number that is not the newest (late, repeated, or of the newest
    /// picture's other packets).
    public enum Late: Equatable, Sendable {
        case kept(UInt16)
        case dropped
        /// Older than the window, from before the `reset`, or never seen.
        case unknown
    }

    public func late(_ source: UInt16) -> Late {
        let source = source & modulusMask
        guard let newest, Int((newest &- source) & modulusMask) < window else { return .unknown }
        let slot = slots[Int(source) & (window - 1)]
        guard slot.state != .empty, slot.source == source else { return .unknown }
        return slot.state == .kept ? .kept(slot.output) : .dropped
    }

    /// A kept place whose number is dropped after all (a late packet of a dropped picture): ours
    /// has a hole there.
    public mutating func dropLate(_ source: UInt16) {
        let source = source & modulusMask
        let index = Int(source) & (window - 1)
        guard slots[index].source == source, slots[index].state == .kept else { return }
        slots[index].state = .dropped
    }

    /// The source's number for one of ours sent within the window (a NACK's), nil if ours has no
    /// source number (a hole) or is too old.
    public func source(of output: UInt16) -> UInt16? {
        let index = Int(output & modulusMask) & (window - 1)
        guard reverseValid[index], reverseTags[index] == output & modulusMask else { return nil }
        let source = reverseSources[index]
        guard late(source) == .kept(output & modulusMask) else { return nil }
        return source
    }

    private mutating func record(_ source: UInt16, output: UInt16, state: State) {
        slots[Int(source) & (window - 1)] = Slot(source: source, output: output, state: state)
        guard state == .kept else { return }
        let index = Int(output) & (window - 1)
        reverseTags[index] = output
        reverseSources[index] = source
        reverseValid[index] = true
    }
}
