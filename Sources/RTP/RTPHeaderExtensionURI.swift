/// The header extensions a WebRTC SFU negotiates, by the URI that names them in SDP
/// `a=extmap` lines (RFC 8285 section 8). The numeric id is per session; these are the names.
public enum RTPHeaderExtensionURI {
    /// RFC 6464: audio level of the packet, voice activity flag + 7-bit -dBov.
    public static let audioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    /// 24-bit 6.18 fixed-point send time, seconds (webrtc.org experiments).
    public static let absoluteSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    /// 16-bit transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2).
    public static let transportWideSequenceNumber = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    /// RFC 9143 (BUNDLE) section 15.2: the media section's mid, as text.
    public static let mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// RFC 8852 section 3.1: the RTP stream id (simulcast layer "rid"), as text.
    public static let rtpStreamID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    /// RFC 8852 section 3.2: the rid of the stream an RTX/FEC stream repairs.
    public static let repairedRTPStreamID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
    /// RFC 5450: transmission time offset, 24-bit signed, in RTP timestamp units.
    public static let transmissionTimeOffset = "urn:ietf:params:rtp-hdrext:toffset"
    /// Min/max playout delay, two 12-bit values in 10 ms units (webrtc.org experiments).
    public static let playoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
    /// 3GPP TS 26.114 section 7.4.5: coordination of video orientation (rotation, flip).
    public static let videoOrientation = "urn:3gpp:video-orientation"
}
