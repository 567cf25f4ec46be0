internal import COpus

/// A failure from libopus, or from a check this module makes before calling it.
///
/// Each libopus case corresponds to one negative return code of `opus_defines.h`; `code` gives that
/// number back and `message` its text from `opus_strerror`, so a failed test or a tool's log shows
/// exactly what libopus said.
public enum OpusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `OPUS_BAD_ARG` (-1): an argument was invalid or out of range.
    case badArgument
    /// `OPUS_BUFFER_TOO_SMALL` (-2): the output buffer cannot hold the result.
    case bufferTooSmall
    /// `OPUS_INTERNAL_ERROR` (-3).
    case internalError
    /// `OPUS_INVALID_PACKET` (-4): the packet breaks the framing rules of RFC 6716 section 3.
    case invalidPacket
    /// `OPUS_UNIMPLEMENTED` (-5).
    case unimplemented
    /// `OPUS_INVALID_STATE` (-6).
    case invalidState
    /// `OPUS_ALLOC_FAIL` (-7).
    case allocationFailed
    /// A negative code this libopus version does not document.
    case unknown(code: Int32)
    /// Checked in Swift before encoding: the encoder takes exactly one 20 ms frame per call, and
    /// libopus would silently accept other legal durations (2.5 to 120 ms), producing packets whose
    /// RTP timestamp step (RFC 7587 section 4.1) no longer matches the caller's.
    /// Reported with `OPUS_BAD_ARG`, the code libopus uses for a bad frame size.
    case frameSizeMismatch(expectedSamples: Int, actualSamples: Int)

    /// Maps a negative libopus return value to its case.
    init(code: Int32) {
        switch code {
        case OPUS_BAD_ARG: self = .badArgument
        case OPUS_BUFFER_TOO_SMALL: self = .bufferTooSmall
        case OPUS_INTERNAL_ERROR: self = .internalError
        case OPUS_INVALID_PACKET: self = .invalidPacket
        case OPUS_UNIMPLEMENTED: self = .unimplemented
        case OPUS_INVALID_STATE: self = .invalidState
        case OPUS_ALLOC_FAIL: self = .allocationFailed
        default: self = .unknown(code: code)
        }
    }

    /// The libopus error code (always negative).
    public var code: Int32 {
        switch self {
        case .badArgument, .frameSizeMismatch: OPUS_BAD_ARG
        case .bufferTooSmall: OPUS_BUFFER_TOO_SMALL
        case .internalError: OPUS_INTERNAL_ERROR
        case .invalidPacket: OPUS_INVALID_PACKET
        case .unimplemented: OPUS_UNIMPLEMENTED
        case .invalidState: OPUS_INVALID_STATE
        case .allocationFailed: OPUS_ALLOC_FAIL
        case .unknown(let code): code
        }
    }

    /// libopus's own text for `code` (`opus_strerror`), with the sizes for a frame-size mismatch.
    public var message: String {
        let text = String(cString: opus_strerror(code))
        if case .frameSizeMismatch(let expected, let actual) = self {
            return "\(text): expected \(expected) samples (one 20 ms frame), got \(actual)"
        }
        return text
    }

    public var description: String { "OpusError(\(code)): \(message)" }
}

/// Turns a libopus return value into a count, or throws its error.
@inline(__always)
func checked(_ result: Int32) throws(OpusError) -> Int {
    guard result >= 0 else { throw OpusError(code: result) }
    return Int(result)
}
