import OpusCodec
import Testing

@Suite("Encode, decode, then recognise the tone")
struct RoundTripTests {
    /// 1 s through the codec; the first 100 ms are skipped so the encoder's start-up (and its
    /// 6.5 ms look-ahead) does not count.
    @Test(arguments: [440.0, 1_000.0], OpusChannels.allCases)
    func toneSurvivesTheCodec(frequency: Double, channels: OpusChannels) throws {
        let encoder = try OpusEncoder(channels: channels, application: .audio, bitrate: 64_000)
        let decoder = try OpusDecoder(channels: channels)
        var tone = ToneGenerator(frequency: frequency, amplitude: 0.5, channels: channels.rawValue)

        let packets = try encodeFrames(&tone, frames: 50, with: encoder)
        let pcm = try decodeAll(packets, with: decoder)
        #expect(pcm.count == OpusFormat.sampleRate * channels.rawValue)

        let steady = Array(pcm.dropFirst(OpusFormat.sampleRate / 10 * channels.rawValue))
        let analysis = FrequencyEstimator().analyze(steady, channels: channels.rawValue)
        let measured = try #require(analysis.frequency)
        #expect(abs(measured - frequency) <= 3, "measured \(measured) Hz")
        #expect(analysis.isTone(at: frequency), "\(analysis)")
        // Level survives within 3 dB: the input RMS is 0.5 / √2, about -9 dBFS.
        let gain = analysis.rms / (0.5 / 2.0.squareRoot())
        #expect((0.708...1.413).contains(gain), "\(analysis.rmsDBFS) dBFS")
    }

    @Test func voipApplicationAlsoCarriesTheTone() throws {
        let encoder = try OpusEncoder(channels: .mono, application: .voip, bitrate: 32_000)
        let decoder = try OpusDecoder()
        var tone = ToneGenerator(frequency: 440)
        let pcm = try decodeAll(try encodeFrames(&tone, frames: 50, with: encoder), with: decoder)
        let analysis = FrequencyEstimator().analyze(Array(pcm.dropFirst(4_800)))
        #expect(analysis.isTone(at: 440), "\(analysis)")
    }

    @Test func silenceStaysSilent() throws {
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        let zeros = [Int16](repeating: 0, count: encoder.samplesPerFrame)
        let packets = try (0..<50).map { _ in try encoder.encode(pcm: zeros) }
        let pcm = try decodeAll(packets, with: decoder)
        let analysis = FrequencyEstimator().analyze(pcm)
        #expect(analysis.isSilent)
        #expect(analysis.frequency == nil)
        #expect(analysis.rmsDBFS < -60)
        #expect(!analysis.isTone(at: 440))
    }

    @Test func monoDecoderReceivesAStereoStream() throws {
        let encoder = try OpusEncoder(channels: .stereo)
        let decoder = try OpusDecoder(channels: .mono)
        var tone = ToneGenerator(frequency: 1_000, channels: 2)
        let pcm = try decodeAll(try encodeFrames(&tone, frames: 25, with: encoder), with: decoder)
        #expect(pcm.count == 25 * OpusFormat.samplesPerChannelPerFrame)
        #expect(FrequencyEstimator().analyze(Array(pcm.dropFirst(4_800))).isTone(at: 1_000))
    }
}
