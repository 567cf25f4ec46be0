import Logging
import SDP
import Transport

/// One participant of a room, on the room's worker: identity, grants, its two peer
/// connections and the signaling connection's event sink.
final class Participant {
    let id: String
    let identity: String
    let name: String
    let grants: Grants
    let resumeToken: String
    unowned let room: MediaRouter
    /// Our SSRC as sender of RTCP feedback and receiver reports to this participant.
    let rtcpSSRC = UInt32.random(in: 1...UInt32.max)
    private(set) var events: @Sendable (RoomEvent) -> Void
    var publisher: PublisherConnection?
    var subscriber: SubscriberConnection?
    /// Set while the signaling connection is gone; fires the leave after the grace period.
    let graceTimer: WorkerTimer
    private(set) var isGone = false
    /// The current signaling connection (0 at join, +1 per resume).
    private(set) var connection = 0

    init(id: String, request: JoinRequest, room: MediaRouter, events: @escaping @Sendable (RoomEvent) -> Void) {
        self.id = id
        identity = request.identity
        name = request.name
        grants = request.grants
        resumeToken = Identifier.make(prefix: "", length: 32)
        self.room = room
        self.events = events
        graceTimer = WorkerTimer(worker: room.worker)
    }

    var info: ParticipantInfo {
        ParticipantInfo(id: id, identity: identity, name: name, tracks: publishedTracks.map(\.info))
    }

    var publishedTracks: [PublishedTrack] { publisher?.tracks ?? [] }

    func send(_ event: RoomEvent) {
        guard !isGone else { return }
        events(event)
    }

    /// A resumed signaling connection takes over the event sink; returns its number.
    func resumeConnection(_ sink: @escaping @Sendable (RoomEvent) -> Void) -> Int {
        events = sink
        connection += 1
        return connection
    }

    func requestKeyframe(_ track: PublishedTrack) {
        room.participant(track.participantID)?.publisher?.requestKeyframe(for: track)
    }

    func log(_ message: String) { room.logger.info("\(message)", metadata: ["participant": "\(id)", "room": "\(room.name)"]) }

    /// Frees both peer connections; the participant gets no more events.
    func close() {
        isGone = true
        graceTimer.cancel()
        publisher?.close()
        subscriber?.close()
        publisher = nil
        subscriber = nil
    }
}
