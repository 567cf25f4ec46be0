/// The one narrow interface between the signaling service and the SFU core.
///
/// Signaling (WebSocket, JSON, tokens) calls these; the SFU answers with SDP and reports what
/// happens through each session's event sink. Nothing else crosses: no transports, no workers,
/// no SDP objects. So the signaling service can later run as its own process, with this
/// interface carried over a socket.
public protocol RoomService: Sendable {
    /// Admits a participant whose token was already checked. Allocates no media resource
    /// until the participant publishes or a subscriber transport is needed.
    func join(_ request: JoinRequest, events: @escaping @Sendable (RoomEvent) -> Void) async throws(RoomError) -> JoinResult

    /// Resumes a participant whose signaling connection dropped, within the grace period;
    /// events go to the new sink from now on. The media transports are kept.
    func resume(participantID: String, resumeToken: String, events: @escaping @Sendable (RoomEvent) -> Void) async throws(RoomError) -> JoinResult

    /// The requests below come from one signaling connection of the participant (`connection`,
    /// from its `JoinResult`). One from a connection the participant has resumed away from is
    /// refused with `RoomError.connectionReplaced`: a request a dead socket delivers late (after
    /// an outage, the kernel still flushes what it had buffered) must not undo what the new
    /// connection did, an ICE restart above all.

    /// The publisher peer connection's offer (browser to SFU, RFC 8829); returns the answer.
    /// A re-offer adds or removes tracks; a new ice-ufrag is an ICE restart.
    func publish(participantID: String, connection: Int, offer: String) async throws(RoomError) -> PublishResult

    /// The browser's answer to the last `RoomEvent.subscriberOffer`.
    func answerSubscriberOffer(participantID: String, connection: Int, answer: String, version: Int) async throws(RoomError)

    /// Asks for a subscriber offer with fresh ICE credentials (the client's network changed).
    func restartSubscriberICE(participantID: String, connection: Int) async throws(RoomError)

    /// A trickled candidate from the browser for one of its two peer connections; an empty
    /// candidate means end of candidates.
    func addCandidate(participantID: String, connection: Int, target: PeerRole, candidate: String) async throws(RoomError)

    func setMuted(participantID: String, connection: Int, trackID: String, muted: Bool) async throws(RoomError)

    /// The size (device pixels; 0 x 0: hidden) at which the participant shows a track it
    /// receives: picks the simulcast layer it is sent.
    func setVideoSize(participantID: String, connection: Int, trackID: String, width: Int, height: Int) async throws(RoomError)

    /// Leaves the room and frees every media resource of the participant.
    func leave(participantID: String, reason: LeaveReason) async

    /// The signaling connection `connection` (from its `JoinResult`) dropped: keep the
    /// participant for the grace period, then leave. Ignored when the participant has resumed on
    /// a newer connection meanwhile (the old socket's drop is often noticed late).
    func disconnected(participantID: String, connection: Int) async

    /// One room's participants and their figures now; nil for a room that does not exist.
    func statistics(room: String) async -> RoomStatistics?

    /// Every room and every media worker now (the metrics exposition).
    func serviceStatistics() async -> ServiceStatistics
}

extension RoomService {
    public func statistics(room: String) async -> RoomStatistics? { nil }
    public func serviceStatistics() async -> ServiceStatistics { ServiceStatistics() }
}

/// What a token allows (checked by signaling before `join`).
public struct Grants: Sendable, Equatable, Codable {
    public var publish: Bool
    public var subscribe: Bool
    public var admin: Bool

    public init(publish: Bool = true, subscribe: Bool = true, admin: Bool = false) {
        self.publish = publish
        self.subscribe = subscribe
        self.admin = admin
    }
}

public struct JoinRequest: Sendable, Equatable {
    public var room: String
    /// The token's identity: unique per participant in a room (a second join with the same
    /// identity replaces the first, as a reconnecting tab does).
    public var identity: String
    /// Display name (defaults to the identity).
    public var name: String
    public var grants: Grants
    /// When the join request arrived (`MediaWorker.monotonicNanoseconds()`), for the
    /// join-to-first-media time; the SFU's own admission time when nil.
    public var receivedNanoseconds: Int64?

    public init(room: String, identity: String, name: String? = nil, grants: Grants, receivedNanoseconds: Int64? = nil) {
        self.room = room
        self.identity = identity
        self.name = name ?? identity
        self.grants = grants
        self.receivedNanoseconds = receivedNanoseconds
    }
}

public struct JoinResult: Sendable, Equatable {
    public var participantID: String
    /// Presented with `resume` after a signaling drop.
    public var resumeToken: String
    /// Everyone already in the room, with their published tracks.
    public var participants: [ParticipantInfo]
    public var room: String
    /// Which signaling connection of the participant this is: 0 for the join, +1 per resume.
    public var connection: Int

    public init(participantID: String, resumeToken: String, participants: [ParticipantInfo], room: String, connection: Int = 0) {
        self.participantID = participantID
        self.resumeToken = resumeToken
        self.participants = participants
        self.room = room
        self.connection = connection
    }
}

public struct PublishResult: Sendable, Equatable {
    public var answer: String
    /// The tracks this offer published, by the offer's mid.
    public var tracks: [TrackInfo]

    public init(answer: String, tracks: [TrackInfo]) {
        self.answer = answer
        self.tracks = tracks
    }
}

public struct ParticipantInfo: Sendable, Equatable, Codable {
    public var id: String
    public var identity: String
    public var name: String
    public var tracks: [TrackInfo]

    public init(id: String, identity: String, name: String, tracks: [TrackInfo]) {
        self.id = id
        self.identity = identity
        self.name = name
        self.tracks = tracks
    }
}

public enum TrackKind: String, Sendable, Equatable, Codable { case audio, video }

public struct TrackInfo: Sendable, Equatable, Codable {
    public var id: String
    public var participantID: String
    public var kind: TrackKind
    public var muted: Bool
    /// The m-line of the publisher's own offer that carries the track: set in `PublishResult`
    /// so the publisher can tell which of its tracks got which id; nil in others' views.
    public var mid: String?

    public init(id: String, participantID: String, kind: TrackKind, muted: Bool = false, mid: String? = nil) {
        self.id = id
        self.participantID = participantID
        self.kind = kind
        self.muted = muted
        self.mid = mid
    }
}

/// Which of a participant's two peer connections: the one it publishes on (it offers) or the
/// one it receives on (the SFU offers).
public enum PeerRole: String, Sendable, Equatable, Codable { case publisher, subscriber }

/// A track as placed in a subscriber offer: which remote track arrives on which m-line.
public struct SubscribedTrack: Sendable, Equatable, Codable {
    public var mid: String
    public var trackID: String
    public var participantID: String
    public var kind: TrackKind

    public init(mid: String, trackID: String, participantID: String, kind: TrackKind) {
        self.mid = mid
        self.trackID = trackID
        self.participantID = participantID
        self.kind = kind
    }
}

public enum LeaveReason: String, Sendable, Equatable, Codable {
    case left                 // the client said leave
    case replaced             // the same identity joined again
    case signalingLost        // no resume within the grace period
    case mediaLost            // consent lost / ICE failed on a transport
    case removed              // an admin removed the participant
    case serverShutdown
}

/// What happens in the room, delivered to one participant's signaling connection in order.
public enum RoomEvent: Sendable, Equatable {
    case participantJoined(ParticipantInfo)
    case participantLeft(participantID: String, reason: LeaveReason)
    case trackPublished(TrackInfo)
    case trackUnpublished(trackID: String, participantID: String)
    case trackMuted(trackID: String, participantID: String, muted: Bool)
    /// A new offer for the subscriber peer connection; answer with `answerSubscriberOffer`.
    case subscriberOffer(sdp: String, version: Int, tracks: [SubscribedTrack])
    /// A server candidate for one of the two peer connections (trickle, RFC 8838); nil means
    /// end of candidates.
    case candidate(target: PeerRole, candidate: String?)
    case connectionState(target: PeerRole, state: String)
    /// The simulcast layers (rids) of a video track this participant publishes that are to be
    /// sent; the others no subscriber needs and may be paused at the encoder (`LayerDemand`).
    case layersActive(trackID: String, rids: [String])
    /// The participants speaking now, the dominant speaker first (`ActiveSpeakers`); empty when
    /// nobody speaks. Sent when the list changes, and to a newcomer while anyone speaks.
    case activeSpeakers(participantIDs: [String])
    /// The SFU ended this participant's session (its media died, it was replaced, shutdown).
    case sessionEnded(reason: LeaveReason)
}

/// Why a request was refused. `code` is the protocol's error code (docs/signaling.md).
public enum RoomError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAllowed(String)
    case unknownParticipant
    case resumeRefused
    case roomFull(limit: Int)
    case badSDP(String)
    case negotiationFailed(String)
    case noUsableCodec
    case tooManyTracks(limit: Int)
    case staleAnswer(expected: Int, got: Int)
    case badCandidate(String)
    case unknownTrack(String)
    case transportFailed(String)
    case shuttingDown
    /// The request came on a signaling connection the participant has resumed away from.
    case connectionReplaced

    public var code: String {
        switch self {
        case .notAllowed: "not-allowed"
        case .unknownParticipant: "unknown-participant"
        case .resumeRefused: "resume-refused"
        case .roomFull: "room-full"
        case .badSDP: "bad-sdp"
        case .negotiationFailed: "negotiation-failed"
        case .noUsableCodec: "no-usable-codec"
        case .tooManyTracks: "too-many-tracks"
        case .staleAnswer: "stale-answer"
        case .badCandidate: "bad-candidate"
        case .unknownTrack: "unknown-track"
        case .transportFailed: "transport-failed"
        case .shuttingDown: "shutting-down"
        case .connectionReplaced: "connection-replaced"
        }
    }

    public var description: String {
        switch self {
        case .notAllowed(let why): "not allowed: \(why)"
        case .unknownParticipant: "no such participant in this session"
        case .resumeRefused: "the session cannot be resumed (expired or wrong resume token)"
        case .roomFull(let limit): "the room is full (\(limit) participants)"
        case .badSDP(let why): "the SDP does not parse: \(why)"
        case .negotiationFailed(let why): "negotiation failed: \(why)"
        case .noUsableCodec: "the offer has no codec the SFU can forward"
        case .tooManyTracks(let limit): "too many tracks (limit \(limit) per participant)"
        case .staleAnswer(let expected, let got): "answer to subscriber offer \(got), but offer \(expected) is current"
        case .badCandidate(let why): "bad candidate: \(why)"
        case .unknownTrack(let id): "no track \(id) published by this participant"
        case .transportFailed(let why): "media transport failed: \(why)"
        case .shuttingDown: "the server is shutting down"
        case .connectionReplaced: "the session was resumed on another connection"
        }
    }
}
