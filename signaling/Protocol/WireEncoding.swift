import SFU

// The JSON shape of server messages. Written by hand rather than through the SFU types' own
// `Codable`: the wire spells `participantId`/`trackId` and kebab-case reasons, and the core's
// Swift names must stay free to change without changing the protocol.

extension ServerEnvelope {
    /// The message as a JSON object: envelope (`v`, `type`, `id`) and the type's fields.
    public var jsonValue: JSONValue {
        var object = message.fields
        object["v"] = .integer(ClientMessageDecoder.protocolVersion)
        object["type"] = .string(message.type)
        if let id { object["id"] = id.jsonValue }
        return .object(object)
    }

    /// The text frame sent on the WebSocket.
    public var jsonText: String { jsonValue.jsonText() }
}

extension ServerMessage {
    fileprivate var fields: [String: JSONValue] {
        switch self {
        case .joined(let joined):
            [
                "participantId": .string(joined.participantID),
                "resumeToken": .string(joined.resumeToken),
                "room": .string(joined.room),
                "identity": .string(joined.identity),
                "name": .string(joined.name),
                "grants": joined.grants.wire,
                "participants": .array(joined.participants.map(\.wire)),
                "iceServers": .array(joined.iceServers.map(\.wire)),
            ]
        case .published(let sdp, let tracks):
            ["sdp": .string(sdp), "tracks": .array(tracks.map(\.wire))]
        case .subscriberOffer(let sdp, let version, let tracks):
            ["sdp": .string(sdp), "version": .integer(Int64(version)), "tracks": .array(tracks.map(\.wire))]
        case .trickle(let target, let candidate):
            ["target": .string(target.rawValue), "candidate": .string(candidate)]
        case .participantJoined(let participant):
            ["participant": participant.wire]
        case .participantLeft(let participantID, let reason):
            ["participantId": .string(participantID), "reason": .string(reason.wireName)]
        case .trackPublished(let track):
            ["track": track.wire]
        case .trackUnpublished(let trackID, let participantID):
            ["trackId": .string(trackID), "participantId": .string(participantID)]
        case .trackMuted(let trackID, let participantID, let muted):
            ["trackId": .string(trackID), "participantId": .string(participantID), "muted": .bool(muted)]
        case .connectionState(let target, let state):
            ["target": .string(target.rawValue), "state": .string(state)]
        case .layers(let trackID, let active):
            ["trackId": .string(trackID), "active": .array(active.map { .string($0) })]
        case .activeSpeakers(let participantIDs):
            ["speakers": .array(participantIDs.map { .string($0) })]
        case .ack, .pong:
            [:]
        case .bye(let reason):
            ["reason": .string(reason)]
        case .error(let code, let message):
            ["code": .string(code.rawValue), "message": .string(message)]
        }
    }
}

extension LeaveReason {
    /// The protocol's spelling (`participant-left`'s and `bye`'s `reason`).
    public var wireName: String {
        switch self {
        case .left: "left"
        case .replaced: "replaced"
        case .signalingLost: "signaling-lost"
        case .mediaLost: "media-lost"
        case .removed: "removed"
        case .serverShutdown: "server-shutdown"
        }
    }
}

extension Grants {
    fileprivate var wire: JSONValue {
        ["publish": .bool(publish), "subscribe": .bool(subscribe), "admin": .bool(admin)]
    }
}

extension TrackInfo {
    /// `mid` only where the core sets it (`published`: which m-line of the publisher's offer).
    fileprivate var wire: JSONValue {
        var object: [String: JSONValue] = ["id": .string(id), "participantId": .string(participantID), "kind": .string(kind.rawValue),
                                           "muted": .bool(muted)]
        if let mid { object["mid"] = .string(mid) }
        return .object(object)
    }
}

extension ParticipantInfo {
    fileprivate var wire: JSONValue {
        ["id": .string(id), "identity": .string(identity), "name": .string(name), "tracks": .array(tracks.map(\.wire))]
    }
}

extension SubscribedTrack {
    fileprivate var wire: JSONValue {
        ["mid": .string(mid), "trackId": .string(trackID), "participantId": .string(participantID), "kind": .string(kind.rawValue)]
    }
}

extension ICEServer {
    fileprivate var wire: JSONValue {
        var object: [String: JSONValue] = ["urls": .array(urls.map { .string($0) })]
        if let username { object["username"] = .string(username) }
        if let credential { object["credential"] = .string(credential) }
        return .object(object)
    }
}
