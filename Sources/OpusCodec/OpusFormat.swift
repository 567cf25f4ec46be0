/// The fixed timing facts of Opus as carried over RTP.
///
/// RFC 7587 section 4.1: the RTP timestamp of Opus always counts at 48 kHz, whatever rate the codec
/// runs at internally, so a 20 ms frame always advances the timestamp by 960. This module runs the
/// codec at 48 kHz too, so PCM sample counts and RTP timestamp steps are the same numbers.
public enum OpusFormat {
    /// PCM sample rate used by `OpusEncoder`, `OpusDecoder` and, by default, `ToneGenerator`.
    public static let sampleRate = 48_000
    /// RTP clock rate for Opus (RFC 7587 section 4.1; the SDP rtpmap is always `opus/48000/2`).
    public static let rtpClockRate = 48_000
    /// Duration of one encoded frame. 20 ms is the WebRTC default (RFC 7587 section 4.2 recommends
    /// it for interactive use) and the only duration `OpusEncoder` produces.
    public static let frameDuration: Duration = .milliseconds(20)
    /// Samples per channel in one 20 ms frame at 48 kHz.
    public static let samplesPerChannelPerFrame = 960
    /// RTP timestamp increment between consecutive 20 ms packets.
    public static let rtpTimestampIncrement: UInt32 = 960
    /// Longest packet duration in samples per channel: 120 ms (RFC 6716 section 3.2.5), the size a
    /// decoder output buffer needs to accept any valid packet.
    public static let maxSamplesPerChannelPerPacket = 5_760
    /// Output buffer size the libopus documentation recommends for `opus_encode` (4000 bytes);
    /// a single 20 ms frame never exceeds 1275 bytes plus the TOC byte (RFC 6716 section 3.2.1).
    public static let recommendedPacketCapacity = 4_000
}

/// Channel layout of PCM given to the encoder or produced by the decoder (interleaved when stereo).
public enum OpusChannels: Int, Sendable, Hashable, CaseIterable {
    case mono = 1
    case stereo = 2
}

/// Encoder tuning, fixed at creation (`OPUS_APPLICATION_*`).
public enum OpusApplication: Sendable, Hashable, CaseIterable {
    /// Speech: favours intelligibility (SILK, hybrid) and is the usual choice for calls.
    case voip
    /// Music and other non-speech audio: favours fidelity to the input (CELT at higher rates).
    case audio
}
