import TestSupport
import OpusCodec


/// Encodes `frames` 20 ms frames of `tone` and returns the packets.
func encodeFrames(_ tone: inout ToneGenerator, frames: Int, with encoder: OpusEncoder) throws -> [[UInt8]] {
    try (0..<frames).map { _ in try encoder.encode(pcm: tone.next()) }
}

/// Decodes packets in order and concatenates the PCM.
func decodeAll(_ packets: [[UInt8]], with decoder: OpusDecoder) throws -> [Int16] {
    try packets.flatMap { try decoder.decode(packet: $0) }
}
