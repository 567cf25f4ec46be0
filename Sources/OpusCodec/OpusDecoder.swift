internal import COpus

/// One libopus decoder: Opus packets (RFC 6716) in, 48 kHz 16-bit PCM out.
///
/// The class owns its `OpusDecoder *` alone and destroys it in `deinit`. Decoding depends on the
/// packets before it, so a decoder belongs to one stream and is not `Sendable`.
public final class OpusDecoder {
    public let channels: OpusChannels

    private let state: OpaquePointer

    /// Creates a decoder producing 48 kHz PCM. It decodes any Opus packet, mono or stereo: the
    /// channel count here is only the output layout (RFC 7587 section 4.2 lets a stereo sender reach a
    /// mono receiver).
    public init(channels: OpusChannels = .mono) throws(OpusError) {
        var error: Int32 = OPUS_OK
        let created = opus_decoder_create(Int32(OpusFormat.sampleRate), Int32(channels.rawValue), &error)
        guard error == OPUS_OK, let created else {
            if let created { opus_decoder_destroy(created) }
            throw OpusError(code: error == OPUS_OK ? OPUS_ALLOC_FAIL : error)
        }
        self.state = created
        self.channels = channels
    }

    deinit {
        opus_decoder_destroy(state)
    }

    /// Decodes one packet into the caller's buffer, allocating nothing.
    ///
    /// - Parameters:
    ///   - packet: one whole Opus packet. An empty one is rejected: RFC 6716 section 3 requires at
    ///     least the TOC byte, and libopus would otherwise take it as a loss; use `concealLoss` for
    ///     that, so a bug upstream is never mistaken for packet loss.
    ///   - pcm: room for the packet's duration (interleaved when stereo); a packet longer than
    ///     `pcm.count / channels` samples throws `bufferTooSmall`. Room for
    ///     `OpusFormat.maxSamplesPerChannelPerPacket` accepts any packet.
    /// - Returns: samples decoded per channel.
    public func decode(
        packet: UnsafeRawBufferPointer,
        into pcm: UnsafeMutableBufferPointer<Int16>
    ) throws(OpusError) -> Int {
        guard let data = packet.baseAddress, !packet.isEmpty, packet.count <= Int(Int32.max) else {
            throw .invalidPacket
        }
        guard let output = pcm.baseAddress else { throw .bufferTooSmall }
        let decoded = opus_decode(
            state,
            data.assumingMemoryBound(to: UInt8.self),
            Int32(packet.count),
            output,
            Int32(clamping: pcm.count / channels.rawValue),
            0)
        return try checked(decoded)
    }

    /// Decodes one packet into a new array holding exactly the decoded samples.
    public func decode(packet: [UInt8]) throws(OpusError) -> [Int16] {
        var pcm = [Int16](repeating: 0, count: OpusFormat.maxSamplesPerChannelPerPacket * channels.rawValue)
        let result = packet.withUnsafeBytes { bytes in
            pcm.withUnsafeMutableBufferPointer { samples in
                Result { () throws(OpusError) -> Int in try decode(packet: bytes, into: samples) }
            }
        }
        let samplesPerChannel = try result.get()
        pcm.removeSubrange((samplesPerChannel * channels.rawValue)...)
        return pcm
    }

    /// Packet-loss concealment: fills the whole buffer with a continuation of the audio decoded so
    /// far, as libopus does when given no data (RFC 6716 section 4.4). Call it once per lost packet,
    /// with the duration that packet would have had.
    ///
    /// - Parameter pcm: `pcm.count / channels` must be a multiple of 2.5 ms (120 samples), or
    ///   libopus throws `badArgument`.
    /// - Returns: samples produced per channel.
    public func concealLoss(into pcm: UnsafeMutableBufferPointer<Int16>) throws(OpusError) -> Int {
        guard let output = pcm.baseAddress else { throw .bufferTooSmall }
        let decoded = opus_decode(state, nil, 0, output, Int32(clamping: pcm.count / channels.rawValue), 0)
        return try checked(decoded)
    }

    /// Packet-loss concealment into a new array of `samplesPerChannel` samples per channel.
    public func concealLoss(
        samplesPerChannel: Int = OpusFormat.samplesPerChannelPerFrame
    ) throws(OpusError) -> [Int16] {
        guard samplesPerChannel > 0 else { throw .badArgument }
        var pcm = [Int16](repeating: 0, count: samplesPerChannel * channels.rawValue)
        let result = pcm.withUnsafeMutableBufferPointer { samples in
            Result { () throws(OpusError) -> Int in try concealLoss(into: samples) }
        }
        let produced = try result.get()
        pcm.removeSubrange((produced * channels.rawValue)...)
        return pcm
    }

    /// Forgets all decoding history (`OPUS_RESET_STATE`), as for a new stream, e.g. after an SSRC
    /// change: the next packet decodes as if it were the first.
    public func reset() {
        let result = sfu_opus_reset_decoder(state)
        assert(result == OPUS_OK, "OPUS_RESET_STATE cannot fail on a live decoder")
    }
}
