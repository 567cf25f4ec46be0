import SFU

extension RoomEvent {
    /// What the client is told about this event. `sessionEnded` is not a message of its own:
    /// the session answers it with `bye` and closes, so it maps to nil here.
    public var serverMessage: ServerMessage? {
        switch self {
        case .participantJoined(let participant): .participantJoined(participant)
        case .participantLeft(let participantID, let reason): .participantLeft(participantID: participantID, reason: reason)
        case .trackPublished(let track): .trackPublished(track)
        case .trackUnpublished(let trackID, let participantID): .trackUnpublished(trackID: trackID, participantID: participantID)
        case .trackMuted(let trackID, let participantID, let muted): .trackMuted(trackID: trackID, participantID: participantID, muted: muted)
        case .subscriberOffer(let sdp, let version, let tracks): .subscriberOffer(sdp: sdp, version: version, tracks: tracks)
        // The core says "end of candidates" with nil; the wire says it with "" as browsers do.
        case .candidate(let target, let candidate): .trickle(target: target, candidate: candidate ?? "")
        case .connectionState(let target, let state): .connectionState(target: target, state: state)
        case .layersActive(let trackID, let rids): .layers(trackID: trackID, active: rids)
        case .activeSpeakers(let participantIDs): .activeSpeakers(participantIDs: participantIDs)
        case .sessionEnded: nil
        }
    }
}
