import OpusCodec
import Testing

@Suite("Encoder: frame size, buffers, bitrate")
struct EncoderTests {
    @Test(arguments: [0, 1, 480, 959, 961, 1_920, 2_880])
    func monoEncoderTakesOnly960Samples(count: Int) throws {
        let encoder = try OpusEncoder(channels: .mono)
        let pcm = [Int16](repeating: 0, count: count)
        #expect(throws: OpusError.frameSizeMismatch(expectedSamples: 960, actualSamples: count)) {
            try encoder.encode(pcm: pcm)
        }
    }

    @Test func stereoEncoderTakesInterleavedFrame() throws {
        let encoder = try OpusEncoder(channels: .stereo)
        #expect(encoder.samplesPerFrame == 1_920)
        #expect(throws: OpusError.frameSizeMismatch(expectedSamples: 1_920, actualSamples: 960)) {
            try encoder.encode(pcm: [Int16](repeating: 0, count: 960))
        }
        var tone = ToneGenerator(frequency: 440, channels: 2)
        #expect(try !encoder.encode(pcm: tone.next()).isEmpty)
    }

    @Test func frameSizeErrorCarriesLibopusCodeAndText() {
        let error = OpusError.frameSizeMismatch(expectedSamples: 960, actualSamples: 480)
        #expect(error.code == -1)
        #expect(error.message.hasPrefix("invalid argument"))
        #expect(error.message.contains("480"))
    }

    @Test func encodesIntoTheCallersBuffer() throws {
        let encoder = try OpusEncoder()
        var tone = ToneGenerator(frequency: 440)
        var pcm = [Int16](repeating: 0, count: encoder.samplesPerFrame)
        var packet = [UInt8](repeating: 0, count: OpusFormat.recommendedPacketCapacity)
        for _ in 0..<5 {
            pcm.withUnsafeMutableBufferPointer { tone.fill($0) }
            let length = try pcm.withUnsafeBufferPointer { samples in
                try packet.withUnsafeMutableBytes { try encoder.encode(pcm: samples, into: $0) }
            }
            #expect((2...1_276).contains(length))
        }

        let empty = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        #expect(throws: OpusError.bufferTooSmall) {
            try pcm.withUnsafeBufferPointer { try encoder.encode(pcm: $0, into: empty) }
        }
    }

    @Test func bitrateChangesPacketSizes() throws {
        func bytesPerSecond(bitrate: Int) throws -> Int {
            let encoder = try OpusEncoder(application: .audio, bitrate: bitrate)
            var tone = ToneGenerator(frequency: 440)
            return try encodeFrames(&tone, frames: 50, with: encoder).reduce(0) { $0 + $1.count }
        }
        let low = try bytesPerSecond(bitrate: 16_000)
        let high = try bytesPerSecond(bitrate: 96_000)
        #expect(high > 3 * low, "16 kbps: \(low) B/s, 96 kbps: \(high) B/s")
        // Within 50 % of the target (VBR tracks its average; a pure tone is easy to code).
        #expect(Double(high) <= 96_000 / 8 * 1.5)
        #expect(Double(low) <= 16_000 / 8 * 1.5)

        // Changing it on a live encoder takes effect too.
        let encoder = try OpusEncoder(bitrate: 96_000)
        var tone = ToneGenerator(frequency: 440)
        let before = try encodeFrames(&tone, frames: 25, with: encoder).reduce(0) { $0 + $1.count }
        try encoder.setBitrate(16_000)
        #expect(encoder.bitrate == 16_000)
        let after = try encodeFrames(&tone, frames: 25, with: encoder).reduce(0) { $0 + $1.count }
        #expect(before > 2 * after, "before \(before) B, after \(after) B")
    }

    @Test func invalidSettingsAreTypedErrors() throws {
        let encoder = try OpusEncoder()
        #expect(throws: OpusError.badArgument) { try encoder.setBitrate(0) }
        #expect(throws: OpusError.badArgument) { try encoder.setComplexity(11) }
        #expect(throws: OpusError.badArgument) { try encoder.setExpectedPacketLoss(percent: 101) }
        #expect(throws: OpusError.badArgument) { try OpusEncoder(bitrate: -5) }
        try encoder.setComplexity(5)
        try encoder.setInbandFEC(true)
        try encoder.setExpectedPacketLoss(percent: 10)
        try encoder.setDTX(true)
    }

    @Test func dtxShrinksSilence() throws {
        let encoder = try OpusEncoder(application: .voip, bitrate: 32_000)
        try encoder.setDTX(true)
        let zeros = [Int16](repeating: 0, count: 960)
        let sizes = try (0..<50).map { _ in try encoder.encode(pcm: zeros).count }
        // After a short hangover, most frames are at most 2 bytes ("need not be transmitted"); the
        // encoder still sends an occasional comfort-noise update (about every 400 ms).
        #expect(sizes.prefix(5).allSatisfy { $0 > 2 }, "\(sizes)")
        #expect(sizes.suffix(30).filter { $0 <= 2 }.count >= 25, "\(sizes)")
    }

    @Test func errorsMapLibopusCodesAndText() {
        #expect(OpusError.invalidPacket.code == -4)
        #expect(OpusError.invalidPacket.message == "corrupted stream")
        #expect(OpusError.bufferTooSmall.message == "buffer too small")
        #expect(OpusError.unknown(code: -99).code == -99)
        #expect("\(OpusError.badArgument)" == "OpusError(-1): invalid argument")
    }
}
