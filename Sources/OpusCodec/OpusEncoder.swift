internal import COpus

/// One libopus encoder: 48 kHz PCM in, one Opus packet (RFC 6716) per 20 ms frame out.
///
/// The class owns its `OpusEncoder *` alone and destroys it in `deinit`. It holds mutable codec
/// state, so it is not `Sendable`: use one encoder per stream, on one thread at a time.
public final class OpusEncoder {
    public let channels: OpusChannels
    public let application: OpusApplication
    /// The target bitrate last set, in bits per second.
    public private(set) var bitrate: Int

    private let state: OpaquePointer

    /// Creates an encoder at 48 kHz.
    ///
    /// - Parameter bitrate: target in bits per second; libopus clamps it to its 500...512000 range
    ///   (per channel above 256 kbps) and rejects values of zero or less.
    public init(
        channels: OpusChannels = .mono,
        application: OpusApplication = .audio,
        bitrate: Int = 64_000
    ) throws(OpusError) {
        let applicationCode: Int32 =
            switch application {
            case .voip: OPUS_APPLICATION_VOIP
            case .audio: OPUS_APPLICATION_AUDIO
            }
        var error: Int32 = OPUS_OK
        let created = opus_encoder_create(
            Int32(OpusFormat.sampleRate), Int32(channels.rawValue), applicationCode, &error)
        guard error == OPUS_OK, let created else {
            if let created { opus_encoder_destroy(created) }
            throw OpusError(code: error == OPUS_OK ? OPUS_ALLOC_FAIL : error)
        }
        self.state = created
        self.channels = channels
        self.application = application
        self.bitrate = bitrate
        try setBitrate(bitrate)
    }

    deinit {
        opus_encoder_destroy(state)
    }

    /// Interleaved samples `encode` takes per call: one 20 ms frame for every channel.
    public var samplesPerFrame: Int { OpusFormat.samplesPerChannelPerFrame * channels.rawValue }

    /// Sets the target bitrate (`OPUS_SET_BITRATE`); takes effect from the next frame.
    public func setBitrate(_ bitsPerSecond: Int) throws(OpusError) {
        _ = try checked(sfu_opus_set_bitrate(state, Int32(clamping: bitsPerSecond)))
        bitrate = bitsPerSecond
    }

    /// Sets the computational complexity, 0 (cheapest) to 10 (best quality) (`OPUS_SET_COMPLEXITY`).
    public func setComplexity(_ complexity: Int) throws(OpusError) {
        _ = try checked(sfu_opus_set_complexity(state, Int32(clamping: complexity)))
    }

    /// Turns in-band forward error correction on or off (`OPUS_SET_INBAND_FEC`). FEC re-encodes the
    /// previous frame at low rate inside the next packet (RFC 6716 section 2.1.7); it only applies to
    /// SILK and hybrid frames, and only when an expected loss is also set.
    public func setInbandFEC(_ enabled: Bool) throws(OpusError) {
        _ = try checked(sfu_opus_set_inband_fec(state, enabled ? 1 : 0))
    }

    /// Tells the encoder how much loss to expect, 0...100 % (`OPUS_SET_PACKET_LOSS_PERC`).
    public func setExpectedPacketLoss(percent: Int) throws(OpusError) {
        _ = try checked(sfu_opus_set_packet_loss_perc(state, Int32(clamping: percent)))
    }

    /// Turns discontinuous transmission on or off (`OPUS_SET_DTX`). With DTX, a packet of 1 or 2
    /// bytes during silence need not be sent (libopus `opus_encode` documentation).
    public func setDTX(_ enabled: Bool) throws(OpusError) {
        _ = try checked(sfu_opus_set_dtx(state, enabled ? 1 : 0))
    }

    /// Encodes one 20 ms frame into the caller's buffer, allocating nothing.
    ///
    /// - Parameters:
    ///   - pcm: exactly `samplesPerFrame` samples, interleaved when stereo.
    ///   - packet: where the Opus packet is written; `OpusFormat.recommendedPacketCapacity` bytes
    ///     always suffice. A smaller buffer caps the packet size (libopus lowers the bitrate to fit).
    /// - Returns: the packet length in bytes.
    public func encode(
        pcm: UnsafeBufferPointer<Int16>,
        into packet: UnsafeMutableRawBufferPointer
    ) throws(OpusError) -> Int {
        guard pcm.count == samplesPerFrame, let samples = pcm.baseAddress else {
            throw .frameSizeMismatch(expectedSamples: samplesPerFrame, actualSamples: pcm.count)
        }
        guard let output = packet.baseAddress, !packet.isEmpty else { throw .bufferTooSmall }
        let written = opus_encode(
            state,
            samples,
            Int32(OpusFormat.samplesPerChannelPerFrame),
            output.assumingMemoryBound(to: UInt8.self),
            Int32(clamping: packet.count))
        return try checked(written)
    }

    /// Encodes one 20 ms frame and returns the packet as a new array (for tools and tests).
    public func encode(pcm: [Int16]) throws(OpusError) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: OpusFormat.recommendedPacketCapacity)
        let result = pcm.withUnsafeBufferPointer { samples in
            packet.withUnsafeMutableBytes { bytes in
                Result { () throws(OpusError) -> Int in try encode(pcm: samples, into: bytes) }
            }
        }
        let length = try result.get()
        packet.removeSubrange(length...)
        return packet
    }
}
