import SFU

/// A message from the server (docs/signaling.md, "Server to client").
public enum ServerMessage: Sendable, Equatable {
    case joined(Joined)
    case published(sdp: String, tracks: [TrackInfo])
    case subscriberOffer(sdp: String, version: Int, tracks: [SubscribedTrack])
    /// `candidate` is `""` for end of candidates.
    case trickle(target: PeerRole, candidate: String)
    case participantJoined(ParticipantInfo)
    case participantLeft(participantID: String, reason: LeaveReason)
    case trackPublished(TrackInfo)
    case trackUnpublished(trackID: String, participantID: String)
    case trackMuted(trackID: String, participantID: String, muted: Bool)
    case connectionState(target: PeerRole, state: String)
    /// The simulcast layers of a track the client publishes that subscribers need; it may pause
    /// the others.
    case layers(trackID: String, active: [String])
    /// Who speaks now, the dominant speaker first.
    case activeSpeakers(participantIDs: [String])
    case ack
    case pong
    /// `reason`: a leave reason's wire name, `idle-timeout`, `join-timeout`, or the code of the
    /// fatal error sent just before.
    case bye(reason: String)
    case error(code: ErrorCode, message: String)

    /// `joined`'s fields.
    public struct Joined: Sendable, Equatable {
        public var participantID: String
        public var resumeToken: String
        public var room: String
        public var identity: String
        public var name: String
        public var grants: Grants
        public var participants: [ParticipantInfo]
        public var iceServers: [ICEServer]

        public init(participantID: String, resumeToken: String, room: String, identity: String, name: String,
                    grants: Grants, participants: [ParticipantInfo], iceServers: [ICEServer]) {
            self.participantID = participantID
            self.resumeToken = resumeToken
            self.room = room
            self.identity = identity
            self.name = name
            self.grants = grants
            self.participants = participants
            self.iceServers = iceServers
        }
    }

    public var type: String {
        switch self {
        case .joined: "joined"
        case .published: "published"
        case .subscriberOffer: "subscriber-offer"
        case .trickle: "trickle"
        case .participantJoined: "participant-joined"
        case .participantLeft: "participant-left"
        case .trackPublished: "track-published"
        case .trackUnpublished: "track-unpublished"
        case .trackMuted: "track-muted"
        case .connectionState: "connection-state"
        case .layers: "layers"
        case .activeSpeakers: "active-speakers"
        case .ack: "ack"
        case .pong: "pong"
        case .bye: "bye"
        case .error: "error"
        }
    }
}

/// A server message with the `id` of the client message it answers (none for events).
public struct ServerEnvelope: Sendable, Equatable {
    public var id: MessageID?
    public var message: ServerMessage

    public init(_ message: ServerMessage, id: MessageID? = nil) {
        self.id = id
        self.message = message
    }
}
