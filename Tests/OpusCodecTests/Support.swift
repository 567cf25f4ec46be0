import OpusCodec

/// SplitMix64: a seeded generator, so a failing "random garbage" case can be replayed exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Encodes `frames` 20 ms frames of `tone` and returns the packets.
func encodeFrames(_ tone: inout ToneGenerator, frames: Int, with encoder: OpusEncoder) throws -> [[UInt8]] {
    try (0..<frames).map { _ in try encoder.encode(pcm: tone.next()) }
}

/// Decodes packets in order and concatenates the PCM.
func decodeAll(_ packets: [[UInt8]], with decoder: OpusDecoder) throws -> [Int16] {
    try packets.flatMap { try decoder.decode(packet: $0) }
}
