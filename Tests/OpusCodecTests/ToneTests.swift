import TestSupport
import OpusCodec
import Testing

@Suite("Tone generation and frequency estimation")
struct ToneTests {
    @Test func phaseIsContinuousAcrossFrames() {
        var oneShot = ToneGenerator(frequency: 441.7, amplitude: 0.8)
        var framed = oneShot
        let whole = oneShot.next(samplesPerChannel: 4_800)
        let pieces = (0..<5).flatMap { _ in framed.next(samplesPerChannel: 960) }
        #expect(whole == pieces)
    }

    @Test func fillsEveryChannelAtTheRequestedLevel() {
        var tone = ToneGenerator(frequency: 1_000, amplitude: 0.25, channels: 2)
        let pcm = tone.next(samplesPerChannel: 48)  // 1 ms: exactly one period
        #expect(pcm.count == 96)
        #expect(stride(from: 0, to: pcm.count, by: 2).allSatisfy { pcm[$0] == pcm[$0 + 1] })
        #expect(pcm.map { abs(Int($0)) }.max() == Int((0.25 * 32_767).rounded()))
        #expect(pcm[0] == 0)
    }

    /// The estimator's own accuracy on clean input: 0.5 s at 48 kHz, well within ±2 Hz, including
    /// frequencies between DFT bins.
    @Test(arguments: [100.0, 440.0, 997.3, 1_000.0, 3_150.5, 12_000.0])
    func estimatesAPureTone(frequency: Double) throws {
        var tone = ToneGenerator(frequency: frequency, amplitude: 0.5)
        let analysis = FrequencyEstimator().analyze(tone.next(samplesPerChannel: 24_000))
        let measured = try #require(analysis.frequency)
        #expect(abs(measured - frequency) < 0.5, "measured \(measured) Hz")
        #expect(abs(analysis.amplitude - 0.5) < 0.01)
        #expect(abs(analysis.rms - 0.5 / 2.0.squareRoot()) < 0.001)
        #expect(abs(analysis.peak - 0.5) < 0.001)
        #expect(analysis.purity > 0.98)
    }

    @Test func findsTheDominantOfTwoTones() throws {
        var strong = ToneGenerator(frequency: 1_000, amplitude: 0.4)
        var weak = ToneGenerator(frequency: 440, amplitude: 0.1)
        let mixed = zip(strong.next(samplesPerChannel: 24_000), weak.next(samplesPerChannel: 24_000)).map { $0 + $1 }
        let analysis = FrequencyEstimator().analyze(mixed)
        #expect(abs(try #require(analysis.frequency) - 1_000) < 1)
        #expect(analysis.purity < 0.95)  // 0.16 / (0.16 + 0.01) ≈ 0.94
        #expect(!analysis.isTone(at: 1_000, minimumPurity: 0.99))
    }

    @Test func noiseIsNotATone() {
        var random = SplitMix64(seed: 42)
        let noise = (0..<24_000).map { _ in Int16.random(in: -8_000...8_000, using: &random) }
        let analysis = FrequencyEstimator().analyze(noise)
        #expect(!analysis.isSilent)
        #expect(analysis.purity < 0.1)
    }

    @Test func silenceAndEmptyInput() {
        let zeros = FrequencyEstimator().analyze([Int16](repeating: 0, count: 24_000))
        #expect(zeros.isSilent && zeros.frequency == nil && zeros.rms == 0)
        #expect(zeros.rmsDBFS == -.infinity)
        let empty = FrequencyEstimator().analyze([])
        #expect(empty.isSilent && empty.frequency == nil)
        // A quiet hum below the threshold is silence; the same hum above it is not.
        var hum = ToneGenerator(frequency: 50, amplitude: 0.0005)
        let quiet = hum.next(samplesPerChannel: 24_000)
        #expect(FrequencyEstimator().analyze(quiet).isSilent)
        #expect(!FrequencyEstimator(silenceThresholdDBFS: -80).analyze(quiet).isSilent)
    }
}
