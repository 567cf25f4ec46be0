/// Why an offer could not be answered, or an answer could not be applied.
public enum NegotiationError: Error, Equatable, Sendable {
    /// Unified plan needs a mid on every m= section (RFC 8829 5.2.1, RFC 8843 9.2).
    case missingMid(index: Int)
    case duplicateMid(String)
    /// The BUNDLE group names a mid no m= section has (RFC 9143 7.2).
    case unknownBundleMid(String)
    /// No ice-ufrag/ice-pwd at media or session level (RFC 8839 5.4).
    case missingICECredentials(mid: String)
    /// No fingerprint at media or session level (RFC 8122 5, RFC 8842 5).
    case missingFingerprint(mid: String)
    /// `setup` missing, `holdconn`, or not allowed in this place (RFC 8842 5).
    case unsupportedSetupRole(mid: String, SetupRole?)
    /// No m= section has a codec we accept, so there is nothing to answer.
    case noUsableCodec
    /// A local candidate string in the options does not parse.
    case invalidLocalCandidate(String)
    /// `applyAnswer` without an outstanding offer.
    case noPendingOffer
    /// The answer must have exactly the offer's m= sections, in order (RFC 8866 / RFC 3264 6).
    case answerMediaCountMismatch(expected: Int, actual: Int)
    case answerMidMismatch(index: Int)
    /// The answer uses a payload type the offer did not list (RFC 3264 6.1).
    case answerCodecNotOffered(mid: String, payloadType: UInt8)
    /// The answer accepts an m= section but none of its codecs.
    case answerHasNoCodec(mid: String)
    case unknownMid(String)
}
