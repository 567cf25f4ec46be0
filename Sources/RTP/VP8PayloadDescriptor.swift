/// The VP8 payload descriptor at the start of every VP8 RTP payload (RFC 7741 4.2): what an SFU
/// reads to keep picture ids continuous across a simulcast switch and, later, to drop temporal
/// layers. Parsed from a payload's first bytes without allocation; nil for a descriptor cut short.
///
///      0 1 2 3 4 5 6 7
///     +-+-+-+-+-+-+-+-+
///     |X|R|N|S|R| PID | (REQUIRED)
///     +-+-+-+-+-+-+-+-+
///     |I|L|T|K| RSV   | (OPTIONAL, present when X)
///     +-+-+-+-+-+-+-+-+
///     |M| PictureID   | (OPTIONAL, I; M set: a 15-bit id over two bytes)
///     +-+-+-+-+-+-+-+-+
///     |   TL0PICIDX   | (OPTIONAL, L)
///     +-+-+-+-+-+-+-+-+
///     |TID|Y| KEYIDX  | (OPTIONAL, T or K)
///     +-+-+-+-+-+-+-+-+
public struct VP8PayloadDescriptor: Sendable, Equatable {
    /// S: the packet starts a VP8 partition; with `partitionIndex` 0, a frame.
    public var startOfPartition: Bool
    public var partitionIndex: UInt8
    /// The picture id (7 or 15 bits, `pictureIDBits`) and where it sits in the payload.
    public var pictureID: UInt16?
    public var pictureIDBits: Int
    public var pictureIDOffset: Int
    /// The temporal level 0 picture index (L) and where it sits.
    public var tl0PictureIndex: UInt8?
    public var tl0PictureIndexOffset: Int
    /// TID, the temporal layer (T), and Y, "layer sync": the frame depends only on TL0 frames.
    public var temporalLayer: UInt8?
    public var layerSync: Bool
    /// The descriptor's length: the VP8 payload header starts here.
    public var length: Int

    public init?(_ p: UnsafeRawBufferPointer) {
        guard p.count >= 1 else { return nil }
        startOfPartition = p[0] & 0x10 != 0
        partitionIndex = p[0] & 0x07
        pictureID = nil
        pictureIDBits = 0
        pictureIDOffset = 0
        tl0PictureIndex = nil
        tl0PictureIndexOffset = 0
        temporalLayer = nil
        layerSync = false
        var at = 1
        if p[0] & 0x80 != 0 {
            guard p.count > at else { return nil }
            let x = p[at]
            at += 1
            if x & 0x80 != 0 {
                guard p.count > at else { return nil }
                pictureIDOffset = at
                if p[at] & 0x80 != 0 {
                    guard p.count > at + 1 else { return nil }
                    pictureID = UInt16(p[at] & 0x7F) << 8 | UInt16(p[at + 1])
                    pictureIDBits = 15
                    at += 2
                } else {
                    pictureID = UInt16(p[at])
                    pictureIDBits = 7
                    at += 1
                }
            }
            if x & 0x40 != 0 {
                guard p.count > at else { return nil }
                tl0PictureIndexOffset = at
                tl0PictureIndex = p[at]
                at += 1
            }
            if x & 0x30 != 0 {
                guard p.count > at else { return nil }
                if x & 0x20 != 0 {
                    temporalLayer = p[at] >> 6
                    layerSync = p[at] & 0x20 != 0
                }
                at += 1
            }
        }
        length = at
    }

    /// Whether the packet starts a frame (S set, partition 0).
    public var startsFrame: Bool { startOfPartition && partitionIndex == 0 }

    /// Writes `id` (cut to the field's width, 7 or 15 bits) as this descriptor's picture id in
    /// `payload`, the bytes it was parsed from. Does nothing when the packet carries none.
    public func setPictureID(_ id: UInt16, in payload: UnsafeMutableRawBufferPointer) {
        switch pictureIDBits {
        case 15:
            payload[pictureIDOffset] = 0x80 | UInt8(truncatingIfNeeded: id >> 8) & 0x7F
            payload[pictureIDOffset + 1] = UInt8(truncatingIfNeeded: id)
        case 7:
            payload[pictureIDOffset] = UInt8(truncatingIfNeeded: id) & 0x7F
        default:
            break
        }
    }

    /// Writes `index` as the TL0PICIDX, when the packet carries one.
    public func setTL0PictureIndex(_ index: UInt8, in payload: UnsafeMutableRawBufferPointer) {
        guard tl0PictureIndex != nil else { return }
        payload[tl0PictureIndexOffset] = index
    }
}
