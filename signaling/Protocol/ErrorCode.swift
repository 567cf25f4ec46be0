import SFU

/// An `error` message's `code` (docs/signaling.md, "Error codes").
///
/// A string wrapper rather than an enum: the SFU core names its own codes (`RoomError.code`), and
/// a code it adds later must reach the client rather than fail to compile here.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The protocol code of a refusal from the SFU core.
    public init(_ error: RoomError) { self.rawValue = error.code }

    public var description: String { rawValue }

    public static let badJSON = ErrorCode(rawValue: "bad-json")
    public static let unsupportedVersion = ErrorCode(rawValue: "unsupported-version")
    public static let unknownType = ErrorCode(rawValue: "unknown-type")
    public static let badRequest = ErrorCode(rawValue: "bad-request")
    public static let messageTooLarge = ErrorCode(rawValue: "message-too-large")
    public static let rateLimited = ErrorCode(rawValue: "rate-limited")
    public static let notJoined = ErrorCode(rawValue: "not-joined")
    public static let alreadyJoined = ErrorCode(rawValue: "already-joined")
    public static let tokenMissing = ErrorCode(rawValue: "token-missing")
    public static let tokenInvalid = ErrorCode(rawValue: "token-invalid")
    public static let tokenExpired = ErrorCode(rawValue: "token-expired")
    public static let tokenWrongRoom = ErrorCode(rawValue: "token-wrong-room")
    public static let notAllowed = ErrorCode(rawValue: "not-allowed")
    public static let resumeRefused = ErrorCode(rawValue: "resume-refused")
    public static let roomFull = ErrorCode(rawValue: "room-full")
    public static let unknownParticipant = ErrorCode(rawValue: "unknown-participant")
    public static let tooManyCandidates = ErrorCode(rawValue: "too-many-candidates")
    public static let shuttingDown = ErrorCode(rawValue: "shutting-down")
    public static let connectionReplaced = ErrorCode(rawValue: "connection-replaced")

    /// Codes after which the server sends `bye` and closes the connection.
    public static let fatal: Set<ErrorCode> = [
        .messageTooLarge, .rateLimited, .tokenMissing, .tokenInvalid, .tokenExpired, .tokenWrongRoom,
        .resumeRefused, .roomFull, .unknownParticipant, .shuttingDown, .connectionReplaced,
    ]

    public var isFatal: Bool { Self.fatal.contains(self) }
}
