/// The `<media>` field of an m= line (RFC 8866 5.14).
public enum MediaKind: Hashable, Sendable, CustomStringConvertible {
    case audio
    case video
    /// Data channels (RFC 8841) use `application` with `UDP/DTLS/SCTP`.
    case application
    /// `text`, `message` or anything registered later: parsed, then rejected by the answerer.
    case other(String)

    public init(_ token: Substring) {
        switch token {
        case "audio": self = .audio
        case "video": self = .video
        case "application": self = .application
        default: self = .other(String(token))
        }
    }

    public var description: String {
        switch self {
        case .audio: "audio"
        case .video: "video"
        case .application: "application"
        case .other(let s): s
        }
    }
}

/// Media direction attributes (RFC 8866 6.7); `sendrecv` is the default when none is present.
public enum Direction: String, Hashable, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }

    /// The same stream seen from the other end: what one side sends the other receives.
    public var reversed: Direction { Direction(sends: receives, receives: sends) }
}
