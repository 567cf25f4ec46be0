#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A continuous sine wave as 16-bit PCM: the known input that makes received audio checkable.
///
/// The phase carries over between calls, so frames generated one at a time join without a
/// discontinuity; a click at every frame edge would add energy at 50 Hz multiples and blur what a
/// `FrequencyEstimator` measures after the codec. Every channel carries the same sample.
public struct ToneGenerator: Sendable {
    public let frequency: Double
    /// Peak amplitude as a fraction of full scale, 0...1 (1 maps to ±32767).
    public let amplitude: Double
    public let sampleRate: Int
    public let channels: Int

    /// Phase of the next sample, radians in [0, 2π). Kept wrapped so it never loses precision.
    private var phase: Double = 0
    private let phaseStep: Double

    public init(frequency: Double, amplitude: Double = 0.5, sampleRate: Int = OpusFormat.sampleRate, channels: Int = 1) {
        precondition(sampleRate > 0 && channels > 0, "sample rate and channel count must be positive")
        precondition((0...1).contains(amplitude), "amplitude is a fraction of full scale")
        precondition(frequency >= 0 && frequency < Double(sampleRate) / 2, "frequency must be below Nyquist")
        self.frequency = frequency
        self.amplitude = amplitude
        self.sampleRate = sampleRate
        self.channels = channels
        self.phaseStep = 2 * Double.pi * frequency / Double(sampleRate)
    }

    /// Fills the whole buffer with the next `pcm.count / channels` samples, interleaved.
    public mutating func fill(_ pcm: UnsafeMutableBufferPointer<Int16>) {
        precondition(pcm.count % channels == 0, "buffer must hold whole sample frames")
        let scale = amplitude * Double(Int16.max)
        var index = 0
        while index < pcm.count {
            let sample = Int16((scale * sin(phase)).rounded())
            for channel in 0..<channels { pcm[index + channel] = sample }
            index += channels
            phase += phaseStep
            if phase >= 2 * Double.pi { phase -= 2 * Double.pi }
        }
    }

    /// The next `samplesPerChannel` samples per channel as a new array.
    public mutating func next(samplesPerChannel: Int = OpusFormat.samplesPerChannelPerFrame) -> [Int16] {
        var pcm = [Int16](repeating: 0, count: samplesPerChannel * channels)
        pcm.withUnsafeMutableBufferPointer { fill($0) }
        return pcm
    }
}
