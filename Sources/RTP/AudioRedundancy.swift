/// The payload of an RTP packet carrying redundant audio (RFC 2198 3), as Chromium sends Opus
/// when `red/48000/2` is negotiated: each earlier frame repeated before the current one, so that a
/// lost packet's audio arrives with the next.
///
///     redundant block header (4 bytes each, F set):
///     |1| block PT (7) | timestamp offset (14) | block length (10) |
///     primary block header (1 byte, F clear):
///     |0| block PT (7) |
///     then the redundant blocks' data in order, then the primary block's data.
///
/// Parsed from the payload without allocation; nil when a header runs past the payload or the
/// blocks' lengths do not fit it.
public struct AudioRedundancy: Sendable, Equatable {
    /// Blocks, the primary one included.
    public var blockCount: Int
    /// The primary block's payload type (the codec's, e.g. Opus) and where its data sits in the
    /// payload (to the end).
    public var primaryPayloadType: UInt8
    public var primaryOffset: Int
    /// Where the block headers end (the first block's data starts).
    public var headersLength: Int

    public init?(_ payload: UnsafeRawBufferPointer) {
        var at = 0
        var redundantBytes = 0
        var count = 0
        while true {
            guard at < payload.count else { return nil }
            let first = payload[at]
            count += 1
            if first & 0x80 == 0 {
                primaryPayloadType = first & 0x7F
                at += 1
                break
            }
            guard at + 4 <= payload.count else { return nil }
            redundantBytes += (Int(payload[at + 2]) & 0x03) << 8 | Int(payload[at + 3])
            at += 4
        }
        guard at + redundantBytes <= payload.count else { return nil }
        blockCount = count
        headersLength = at
        primaryOffset = at + redundantBytes
    }

    /// Replaces the block payload type `from` with `to` in every block header of `payload` (the
    /// bytes it was parsed from): a subscriber may number the codec differently.
    public func replaceBlockPayloadType(_ from: UInt8, with to: UInt8, in payload: UnsafeMutableRawBufferPointer) {
        var at = 0
        for _ in 0..<blockCount {
            if payload[at] & 0x7F == from { payload[at] = (payload[at] & 0x80) | (to & 0x7F) }
            at += payload[at] & 0x80 != 0 ? 4 : 1
        }
    }
}
