import TestSupport
import Testing
@testable import RTP

/// Keyframe starts per codec, from hand-built payloads (RFC 7741, draft-ietf-payload-vp9,
/// RFC 6184, the AV1 RTP format).
@Suite struct VideoKeyframeTests {
    func start(_ bytes: [UInt8], _ codec: VideoKeyframe.Codec) -> VideoKeyframe.Start? {
        withBytes(bytes) { VideoKeyframe.start(in: $0, codec: codec) }
    }

    /// VP8: descriptor X|S, I with a 15-bit picture id, L, T; then a keyframe header for 640x480.
    static let vp8Keyframe = hex("90 E0 8123 05 40  10 02 00 9D 01 2A 80 02 E0 01  AA")

    @Test func vp8() {
        #expect(start(Self.vp8Keyframe, .vp8) == VideoKeyframe.Start(width: 640, height: 480))
        // The same without the extension byte, a 7-bit picture id, scale bits in the size.
        #expect(start(hex("10  10 02 00 9D 01 2A 80 C2 E0 41"), .vp8) == VideoKeyframe.Start(width: 640, height: 480))
        // An inter frame (P set), a continuation packet (S clear), another partition.
        #expect(start(hex("90 E0 8123 05 40  11 02 00"), .vp8) == nil)
        #expect(start(hex("80 E0 8123 05 40  10 02 00 9D 01 2A 80 02 E0 01"), .vp8) == nil)
        #expect(start(hex("11  10 02 00 9D 01 2A 80 02 E0 01"), .vp8) == nil)
        // A keyframe whose header is cut short: still a start, size unknown.
        #expect(start(hex("10  10 02 00"), .vp8) == VideoKeyframe.Start())
    }

    @Test func vp9() {
        // I (15-bit id), B, V: scalability structure with N_S = 1 (two layers), Y: 320x240, 640x480.
        let key = hex("8A 8001  38 0140 00F0 0280 01E0  AA")
        #expect(start(key, .vp9) == VideoKeyframe.Start(width: 640, height: 480))
        // L with SID 0 in non-flexible mode (TL0PICIDX follows), no SS.
        #expect(start(hex("A8 8001 00 07  AA"), .vp9) == VideoKeyframe.Start())
        // Spatial layer 1, inter-predicted (P), not the frame's beginning (B clear).
        #expect(start(hex("A8 8001 02 07  AA"), .vp9) == nil)
        #expect(start(hex("C8 8001  AA"), .vp9) == nil)
        #expect(start(hex("80 8001  AA"), .vp9) == nil)
    }

    @Test func h264() {
        // Single NAL units: IDR (5), SPS (7), a non-IDR slice (1).
        #expect(start(hex("65 88 84"), .h264) != nil)
        #expect(start(hex("67 42 E0 1F"), .h264) != nil)
        #expect(start(hex("41 9A 02"), .h264) == nil)
        // STAP-A with SPS and PPS; with only PPS and a slice.
        #expect(start(hex("78  0004 67 42 E0 1F  0002 68 CE"), .h264) != nil)
        #expect(start(hex("78  0002 68 CE  0002 41 9A"), .h264) == nil)
        // FU-A: the first fragment of an IDR; a middle fragment of one.
        #expect(start(hex("7C 85 88 84"), .h264) != nil)
        #expect(start(hex("7C 05 88 84"), .h264) == nil)
        // A STAP-A whose size runs past the end.
        #expect(start(hex("78  0009 67 42"), .h264) == nil)
    }

    @Test func av1() {
        #expect(start(hex("18 0A 0B"), .av1) != nil)  // N set
        #expect(start(hex("10 0A 0B"), .av1) == nil)
    }

    @Test func emptyAndRandomPayloadsNeverTrap() {
        var generator = SplitMix64(seed: 7)
        for codec in [VideoKeyframe.Codec.vp8, .vp9, .h264, .av1] {
            #expect(start([], codec) == nil)
            for length in 0..<64 {
                for _ in 0..<20 {
                    let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                    _ = start(bytes, codec)
                }
            }
        }
        #expect(VideoKeyframe.Codec(encodingName: "vp8") == .vp8)
        #expect(VideoKeyframe.Codec(encodingName: "opus") == nil)
    }
}
