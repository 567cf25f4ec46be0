import Transport

/// The SFU core behind `RoomService`: rooms on media workers, participants, forwarding.
/// (Being built: this skeleton lets the signaling service compile against it.)
public final class SFURoomService: RoomService {
    public let configuration: SFUConfiguration

    public init(configuration: SFUConfiguration) throws {
        self.configuration = configuration
    }

    /// Ends every session (participants get `sessionEnded(.serverShutdown)`) and stops the workers.
    public func shutdown() async {}

    public func join(_ request: JoinRequest, events: @escaping @Sendable (RoomEvent) -> Void) async throws(RoomError) -> JoinResult {
        throw .transportFailed("not built yet")
    }
    public func resume(participantID: String, resumeToken: String, events: @escaping @Sendable (RoomEvent) -> Void) async throws(RoomError) -> JoinResult {
        throw .resumeRefused
    }
    public func publish(participantID: String, offer: String) async throws(RoomError) -> PublishResult { throw .unknownParticipant }
    public func answerSubscriberOffer(participantID: String, answer: String, version: Int) async throws(RoomError) { throw .unknownParticipant }
    public func restartSubscriberICE(participantID: String) async throws(RoomError) { throw .unknownParticipant }
    public func addCandidate(participantID: String, target: PeerRole, candidate: String) async throws(RoomError) { throw .unknownParticipant }
    public func setMuted(participantID: String, trackID: String, muted: Bool) async throws(RoomError) { throw .unknownParticipant }
    public func leave(participantID: String, reason: LeaveReason) async {}
    public func disconnected(participantID: String) async {}
}
