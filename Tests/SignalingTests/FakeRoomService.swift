import Foundation
import SFU

/// A control-plane double of the SFU core: records every call, answers from scripted results,
/// and lets a test push room events to a participant's sink.
actor FakeRoomService: RoomService {
    private(set) var calls: [String] = []
    private var sinks: [String: @Sendable (RoomEvent) -> Void] = [:]
    private var nextParticipant = 1

    var joinError: RoomError?
    var publishError: RoomError?
    /// Events emitted from inside `publish`, before it returns (they must reach the client after
    /// `published`).
    var eventsDuringPublish: [RoomEvent] = []
    var existingParticipants: [ParticipantInfo] = []

    func set(joinError: RoomError?) { self.joinError = joinError }
    func set(publishError: RoomError?) { self.publishError = publishError }
    func set(eventsDuringPublish: [RoomEvent]) { self.eventsDuringPublish = eventsDuringPublish }

    func emit(_ event: RoomEvent, to participantID: String) {
        sinks[participantID]?(event)
    }

    /// Waits (briefly) until a call starting with `prefix` was recorded.
    func waitForCall(_ prefix: String, timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if calls.contains(where: { $0.hasPrefix(prefix) }) { return true }
            do { try await Task.sleep(for: .milliseconds(10)) } catch { return false }
        }
        return false
    }

    func join(_ request: JoinRequest, events: @escaping @Sendable (RoomEvent) -> Void) async throws(RoomError) -> JoinResult {
        calls.append("join \(request.room) \(request.identity) \(request.name) publish=\(request.grants.publish)")
        if let joinError { throw joinError }
        let id = "p\(nextParticipant)"
        nextParticipant += 1
        sinks[id] = events
        return JoinResult(participantID: id, resumeToken: "resume-\(id)", participants: existingParticipants, room: request.room)
    }

    func resume(participantID: String, resumeToken: String, events: @escaping @Sendable (RoomEvent) -> Void) async throws(RoomError) -> JoinResult {
        calls.append("resume \(participantID) \(resumeToken)")
        guard resumeToken == "resume-\(participantID)" else { throw .resumeRefused }
        sinks[participantID] = events
        return JoinResult(participantID: participantID, resumeToken: resumeToken, participants: [], room: "room")
    }

    func publish(participantID: String, connection: Int, offer: String) async throws(RoomError) -> PublishResult {
        calls.append("publish \(participantID) \(offer)")
        if let publishError { throw publishError }
        for event in eventsDuringPublish { sinks[participantID]?(event) }
        return PublishResult(answer: "answer-to-\(offer)", tracks: [TrackInfo(id: "t1", participantID: participantID, kind: .audio, mid: "0")])
    }

    func answerSubscriberOffer(participantID: String, connection: Int, answer: String, version: Int) async throws(RoomError) {
        calls.append("answer \(participantID) \(version)")
        if version < 1 { throw .staleAnswer(expected: 1, got: version) }
    }

    func restartSubscriberICE(participantID: String, connection: Int) async throws(RoomError) {
        calls.append("restart-ice \(participantID)")
    }

    func addCandidate(participantID: String, connection: Int, target: PeerRole, candidate: String) async throws(RoomError) {
        calls.append("candidate \(participantID) \(target.rawValue) \(candidate)")
        if candidate == "bad" { throw .badCandidate("does not parse") }
    }

    func setMuted(participantID: String, connection: Int, trackID: String, muted: Bool) async throws(RoomError) {
        calls.append("mute \(participantID) \(trackID) \(muted)")
        if trackID != "t1" { throw .unknownTrack(trackID) }
    }

    func setVideoSize(participantID: String, connection: Int, trackID: String, width: Int, height: Int) async throws(RoomError) {
        calls.append("video-size \(participantID) \(trackID) \(width)x\(height)")
        if trackID != "t1" { throw .unknownTrack(trackID) }
    }

    func leave(participantID: String, reason: LeaveReason) async {
        calls.append("leave \(participantID) \(reason.rawValue)")
        sinks[participantID] = nil
    }

    func disconnected(participantID: String, connection: Int) async {
        calls.append("disconnected \(participantID)")
    }

    /// Scripted figures for the stats endpoints.
    var rooms: [RoomStatistics] = []
    func set(rooms: [RoomStatistics]) { self.rooms = rooms }

    func statistics(room: String) async -> RoomStatistics? { rooms.first { $0.name == room } }

    func serviceStatistics() async -> ServiceStatistics { ServiceStatistics(rooms: rooms) }
}
