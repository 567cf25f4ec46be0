/// Whether an RTP packet starts a keyframe, read from its payload's first bytes, per codec: what
/// an SFU needs to switch a subscriber between simulcast layers (only at a keyframe of the
/// target layer can it start decoding that layer) and to watch a publisher's keyframe interval.
/// Reads a few bytes of the payload; no allocation, and any payload, however malformed, only
/// gives "not a keyframe".
public enum VideoKeyframe {
    public enum Codec: Sendable, Equatable {
        case vp8, vp9, h264, av1

        /// From an rtpmap encoding name; nil for codecs without keyframe detection.
        public init?(encodingName: String) {
            switch encodingName.lowercased() {
            case "vp8": self = .vp8
            case "vp9": self = .vp9
            case "h264": self = .h264
            case "av1": self = .av1
            default: return nil
            }
        }
    }

    /// A keyframe's start, with the picture size when the packet carries it (VP8's keyframe
    /// header, VP9's scalability structure).
    public struct Start: Sendable, Equatable {
        public var width: Int?
        public var height: Int?

        public init(width: Int? = nil, height: Int? = nil) {
            self.width = width
            self.height = height
        }
    }

    /// The keyframe start in `payload`, or nil when the packet does not start a keyframe.
    public static func start(in payload: UnsafeRawBufferPointer, codec: Codec) -> Start? {
        switch codec {
        case .vp8: vp8(payload)
        case .vp9: vp9(payload)
        case .h264: h264(payload)
        case .av1: av1(payload)
        }
    }

    /// RFC 7741 4.2 (payload descriptor) and 4.3 (payload header), RFC 6386 9.1 (keyframe header).
    static func vp8(_ p: UnsafeRawBufferPointer) -> Start? {
        guard p.count >= 1 else { return nil }
        // S (start of partition) and partition index 0: the frame's first packet.
        guard p[0] & 0x10 != 0, p[0] & 0x07 == 0 else { return nil }
        var at = 1
        if p[0] & 0x80 != 0 {  // X: the extension byte
            guard p.count > at else { return nil }
            let x = p[at]
            at += 1
            if x & 0x80 != 0 {  // I: picture ID, 7 or 15 bits (M)
                guard p.count > at else { return nil }
                at += p[at] & 0x80 != 0 ? 2 : 1
            }
            if x & 0x40 != 0 { at += 1 }  // L: TL0PICIDX
            if x & 0x30 != 0 { at += 1 }  // T or K: TID/Y/KEYIDX
        }
        // The payload header: P (inverse key frame flag) is bit 0 of its first byte.
        guard p.count > at, p[at] & 0x01 == 0 else { return nil }
        // A keyframe's header: 3-byte frame tag, start code 9d 01 2a, 14-bit width and height.
        guard p.count >= at + 10, p[at + 3] == 0x9D, p[at + 4] == 0x01, p[at + 5] == 0x2A else { return Start() }
        let width = Int(p[at + 6]) | Int(p[at + 7] & 0x3F) << 8
        let height = Int(p[at + 8]) | Int(p[at + 9] & 0x3F) << 8
        return Start(width: width, height: height)
    }

    /// draft-ietf-payload-vp9-16 4.2: a frame's first packet (B) that is not inter-picture
    /// predicted (P clear), of the lowest spatial layer.
    static func vp9(_ p: UnsafeRawBufferPointer) -> Start? {
        guard p.count >= 1 else { return nil }
        let flags = p[0]
        let i = flags & 0x80 != 0, inter = flags & 0x40 != 0, l = flags & 0x20 != 0, f = flags & 0x10 != 0
        let b = flags & 0x08 != 0, v = flags & 0x02 != 0
        guard b, !inter else { return nil }
        var at = 1
        if i {
            guard p.count > at else { return nil }
            at += p[at] & 0x80 != 0 ? 2 : 1
        }
        if l {
            guard p.count > at else { return nil }
            guard (p[at] >> 1) & 0x07 == 0 else { return nil }  // SID: not the base spatial layer
            at += f ? 1 : 2
        }
        // Flexible mode's reference indices only follow P, which is clear here.
        guard v, p.count > at else { return Start() }
        // The scalability structure: N_S, Y (sizes present), G.
        let ss = p[at]
        guard ss & 0x10 != 0, p.count >= at + 5 else { return Start() }
        // The highest spatial layer's size: the last of the N_S + 1.
        let layers = Int(ss >> 5) + 1
        guard p.count >= at + 1 + 4 * layers else { return Start() }
        let last = at + 1 + 4 * (layers - 1)
        return Start(width: Int(p[last]) << 8 | Int(p[last + 1]), height: Int(p[last + 2]) << 8 | Int(p[last + 3]))
    }

    /// RFC 6184 5.6-5.8: an IDR slice (5) or a sequence parameter set (7), as a single NAL unit,
    /// inside a STAP-A (24), or at the start of an FU-A (28).
    static func h264(_ p: UnsafeRawBufferPointer) -> Start? {
        guard p.count >= 1 else { return nil }
        func isKey(_ type: UInt8) -> Bool { type == 5 || type == 7 }
        let type = p[0] & 0x1F
        switch type {
        case 24:
            var at = 1
            while at + 2 < p.count {
                let size = Int(p[at]) << 8 | Int(p[at + 1])
                guard size > 0, at + 2 + size <= p.count else { return nil }
                if isKey(p[at + 2] & 0x1F) { return Start() }
                at += 2 + size
            }
            return nil
        case 28:
            guard p.count >= 2, p[1] & 0x80 != 0 else { return nil }  // S: the first fragment
            return isKey(p[1] & 0x1F) ? Start() : nil
        default:
            return isKey(type) ? Start() : nil
        }
    }

    /// The AV1 RTP payload format (aomedia, 4.4): N in the aggregation header marks the first
    /// packet of a coded video sequence, which starts with a keyframe.
    static func av1(_ p: UnsafeRawBufferPointer) -> Start? {
        guard p.count >= 1, p[0] & 0x08 != 0 else { return nil }
        return Start()
    }
}
