/// Why a session description was refused. Line numbers count from 1, as an editor shows them.
public enum SDPParseError: Error, Equatable, Sendable {
    /// The text has no lines at all.
    case empty
    /// The text is larger than `SDPLimits.maxBytes`.
    case tooLarge(limit: Int)
    /// A line is longer than `SDPLimits.maxLineLength`.
    case lineTooLong(line: Int)
    /// A line is not valid UTF-8 (RFC 8866 5.8 lets `a=charset` choose another one; WebRTC never does).
    case invalidUTF8(line: Int)
    /// A line holds NUL or a bare CR, which RFC 8866 5 forbids inside a field.
    case forbiddenCharacter(line: Int)
    /// A line is not `<type>=<value>` with a single lower-case letter type (RFC 8866 5).
    case malformedLine(line: Int)
    /// A type letter RFC 8866 does not define; 5 says to reject the whole description then.
    case unknownLineType(line: Int, type: Character)
    /// A known line in a place RFC 8866 5 does not allow it (e.g. `o=` inside an m= section).
    case unexpectedLine(line: Int, type: Character)
    /// A mandatory line (`v=`, `o=`, `s=`, `t=`) is missing.
    case missingLine(type: Character)
    /// `v=` is not 0 (RFC 8866 5.1).
    case unsupportedVersion(line: Int)
    case invalidOrigin(line: Int)
    case invalidConnection(line: Int)
    case invalidBandwidth(line: Int)
    case invalidTiming(line: Int)
    /// The m= line does not have media, port, proto and at least one format (RFC 8866 5.14).
    case invalidMedia(line: Int)
    case invalidPort(line: Int)
    /// A known attribute whose value does not follow its grammar.
    case invalidAttribute(line: Int, name: String)
    case tooManyMediaSections(line: Int)
    case tooManyAttributes(line: Int)
    case tooManyFormats(line: Int)
}
