import SFU

/// A message from the browser (docs/signaling.md, "Client to server"), after envelope checks.
public enum ClientMessage: Sendable, Equatable {
    /// `token` is nil or empty when the client sent none: that is `token-missing`, decided by the
    /// session (a fatal error), not `bad-request`.
    case join(token: String?, resume: ResumeRequest?)
    case publish(sdp: String)
    case subscriberAnswer(sdp: String, version: Int)
    case restartICE
    /// `candidate` is `""` for end of candidates (RFC 8838 4.1).
    case trickle(target: PeerRole, candidate: String)
    case mute(trackID: String, muted: Bool)
    /// The size in device pixels at which the client shows a received video track (0 x 0: not
    /// shown), for the simulcast layer it is sent.
    case videoSize(trackID: String, width: Int, height: Int)
    case leave
    case ping

    /// The largest width or height `video-size` takes (16K video is 15 360 wide).
    public static let maximumVideoDimension = 16_384

    /// The wire `type` of each message, in the order of the spec's table.
    public static let types = ["join", "publish", "subscriber-answer", "restart-ice", "trickle", "mute", "video-size", "leave", "ping"]

    public var type: String {
        switch self {
        case .join: "join"
        case .publish: "publish"
        case .subscriberAnswer: "subscriber-answer"
        case .restartICE: "restart-ice"
        case .trickle: "trickle"
        case .mute: "mute"
        case .videoSize: "video-size"
        case .leave: "leave"
        case .ping: "ping"
        }
    }
}

/// `join`'s optional `resume`: re-attach to a participant kept after its connection dropped.
public struct ResumeRequest: Sendable, Equatable {
    public var participantID: String
    public var resumeToken: String

    public init(participantID: String, resumeToken: String) {
        self.participantID = participantID
        self.resumeToken = resumeToken
    }
}

/// A decoded client message with its optional `id`.
public struct ClientRequest: Sendable, Equatable {
    public var id: MessageID?
    public var message: ClientMessage

    public init(id: MessageID? = nil, message: ClientMessage) {
        self.id = id
        self.message = message
    }
}
