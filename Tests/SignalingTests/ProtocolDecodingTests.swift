import Foundation
import SFU
import Testing
@testable import Signaling

/// Every client message and every decoding error of docs/signaling.md, "Room protocol".
@Suite struct ProtocolDecodingTests {
    func decode(_ text: String) throws(ProtocolViolation) -> ClientRequest {
        try ClientMessageDecoder.decode(Data(text.utf8))
    }

    func violation(_ text: String) -> ProtocolViolation? {
        do {
            _ = try decode(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyClientMessage() throws {
        #expect(try decode(#"{"v":1,"type":"join","token":"abc"}"#).message == .join(token: "abc", resume: nil))
        #expect(try decode(#"{"v":1,"type":"join"}"#).message == .join(token: nil, resume: nil))
        #expect(try decode(#"{"v":1,"type":"join","token":"t","resume":{"participantId":"p1","resumeToken":"r"}}"#).message
                == .join(token: "t", resume: ResumeRequest(participantID: "p1", resumeToken: "r")))
        #expect(try decode(#"{"v":1,"type":"publish","sdp":"v=0"}"#).message == .publish(sdp: "v=0"))
        #expect(try decode(#"{"v":1,"type":"subscriber-answer","sdp":"v=0","version":3}"#).message == .subscriberAnswer(sdp: "v=0", version: 3))
        #expect(try decode(#"{"v":1,"type":"restart-ice"}"#).message == .restartICE)
        #expect(try decode(#"{"v":1,"type":"trickle","target":"publisher","candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host"}"#).message
                == .trickle(target: .publisher, candidate: "candidate:1 1 udp 1 1.2.3.4 5 typ host"))
        #expect(try decode(#"{"v":1,"type":"trickle","target":"subscriber","candidate":""}"#).message == .trickle(target: .subscriber, candidate: ""))
        #expect(try decode(#"{"v":1,"type":"mute","trackId":"t1","muted":true}"#).message == .mute(trackID: "t1", muted: true))
        #expect(try decode(#"{"v":1,"type":"leave"}"#).message == .leave)
        #expect(try decode(#"{"v":1,"type":"ping"}"#).message == .ping)
        #expect(try decode(#"{"v":1,"type":"video-size","trackId":"t1","width":320,"height":180}"#).message
                == .videoSize(trackID: "t1", width: 320, height: 180))
        #expect(try decode(#"{"v":1,"type":"video-size","trackId":"t1","width":0,"height":0}"#).message == .videoSize(trackID: "t1", width: 0, height: 0))
        #expect(ClientMessage.types.count == 9)
    }

    @Test func idIsKeptAsSent() throws {
        #expect(try decode(#"{"v":1,"type":"ping","id":"a-1"}"#).id == .string("a-1"))
        #expect(try decode(#"{"v":1,"type":"ping","id":7}"#).id == .integer(7))
        #expect(try decode(#"{"v":1,"type":"ping","id":7.5}"#).id == .number(7.5))
        #expect(try decode(#"{"v":1,"type":"ping","id":null}"#).id == nil)
        #expect(violation(#"{"v":1,"type":"ping","id":true}"#)?.code == .badRequest)
        // Errors after the id was read carry it.
        #expect(violation(#"{"v":1,"type":"nope","id":9}"#)?.id == .integer(9))
    }

    @Test func unknownFieldsAreIgnored() throws {
        #expect(try decode(#"{"v":1,"type":"ping","future":{"x":1}}"#).message == .ping)
    }

    @Test(arguments: ["", "nonsense", "{", "[1,2]", "\"join\"", "42", "null", "{\"v\":1,\"type\":\"ping\"} trailing"])
    func badJSON(_ text: String) {
        #expect(violation(text)?.code == .badJSON)
    }

    @Test(arguments: [#"{"type":"ping"}"#, #"{"v":2,"type":"ping"}"#, #"{"v":"1","type":"ping"}"#, #"{"v":0,"type":"ping"}"#, #"{"v":1.5,"type":"ping"}"#])
    func unsupportedVersion(_ text: String) {
        #expect(violation(text)?.code == .unsupportedVersion)
    }

    @Test func unknownType() {
        #expect(violation(#"{"v":1,"type":"subscribe"}"#)?.code == .unknownType)
    }

    @Test(arguments: [
        #"{"v":1}"#, #"{"v":1,"type":5}"#,
        #"{"v":1,"type":"join","token":5}"#,
        #"{"v":1,"type":"join","token":"t","resume":"p1"}"#,
        #"{"v":1,"type":"join","token":"t","resume":{"participantId":"p1"}}"#,
        #"{"v":1,"type":"publish"}"#, #"{"v":1,"type":"publish","sdp":{}}"#,
        #"{"v":1,"type":"subscriber-answer","sdp":"v=0"}"#, #"{"v":1,"type":"subscriber-answer","sdp":"v=0","version":"3"}"#,
        #"{"v":1,"type":"subscriber-answer","sdp":"v=0","version":1.5}"#,
        #"{"v":1,"type":"trickle","candidate":""}"#, #"{"v":1,"type":"trickle","target":"both","candidate":""}"#,
        #"{"v":1,"type":"trickle","target":"publisher"}"#,
        #"{"v":1,"type":"mute","trackId":"t1"}"#, #"{"v":1,"type":"mute","trackId":"t1","muted":"yes"}"#,
        #"{"v":1,"type":"mute","trackId":"","muted":true}"#,
        #"{"v":1,"type":"video-size","trackId":"t1","width":320}"#, #"{"v":1,"type":"video-size","trackId":"","width":1,"height":1}"#,
        #"{"v":1,"type":"video-size","trackId":"t1","width":-1,"height":10}"#,
        #"{"v":1,"type":"video-size","trackId":"t1","width":20000,"height":10}"#,
        #"{"v":1,"type":"video-size","trackId":"t1","width":1e300,"height":10}"#,
        #"{"v":1,"type":"video-size","trackId":"t1","width":"320","height":10}"#,
    ])
    func badRequest(_ text: String) {
        #expect(violation(text)?.code == .badRequest)
    }

    @Test func fatalCodesMatchTheSpec() {
        #expect(ErrorCode.messageTooLarge.isFatal && ErrorCode.rateLimited.isFatal && ErrorCode.tokenMissing.isFatal)
        #expect(ErrorCode.tokenInvalid.isFatal && ErrorCode.tokenExpired.isFatal && ErrorCode(RoomError.resumeRefused).isFatal)
        #expect(ErrorCode(RoomError.roomFull(limit: 3)).isFatal && ErrorCode(RoomError.shuttingDown).isFatal)
        #expect(!ErrorCode.badJSON.isFatal && !ErrorCode.notJoined.isFatal && !ErrorCode(RoomError.badSDP("x")).isFatal)
        #expect(!ErrorCode.tooManyCandidates.isFatal && !ErrorCode(RoomError.staleAnswer(expected: 2, got: 1)).isFatal)
    }
}

/// The JSON the server writes.
@Suite struct ServerMessageEncodingTests {
    func json(_ message: ServerMessage, id: MessageID? = nil) throws -> JSONValue {
        try JSONValue.parse(Data(ServerEnvelope(message, id: id).jsonText.utf8))
    }

    @Test func envelopeAndID() throws {
        let pong = try json(.pong, id: .integer(4))
        #expect(pong == ["v": 1, "type": "pong", "id": 4])
        #expect(try json(.ack, id: .string("x")) == ["v": 1, "type": "ack", "id": "x"])
        #expect(try json(.error(code: .badJSON, message: "m")) == ["v": 1, "type": "error", "code": "bad-json", "message": "m"])
        #expect(try json(.bye(reason: "left")) == ["v": 1, "type": "bye", "reason": "left"])
    }

    @Test func joinedUsesWireNames() throws {
        let track = TrackInfo(id: "t1", participantID: "p2", kind: .video, muted: true)
        let joined = ServerMessage.joined(.init(
            participantID: "p1", resumeToken: "r", room: "room", identity: "alice", name: "Alice",
            grants: Grants(publish: true, subscribe: false, admin: false),
            participants: [ParticipantInfo(id: "p2", identity: "bob", name: "Bob", tracks: [track])],
            iceServers: [ICEServer(urls: ["turn:example.com"], username: "u", credential: "c")]))
        let value = try json(joined)
        #expect(value["participantId"] == "p1")
        #expect(value["resumeToken"] == "r")
        #expect(value["grants"] == ["publish": true, "subscribe": false, "admin": false])
        #expect(value["participants"] == [["id": "p2", "identity": "bob", "name": "Bob",
                                           "tracks": [["id": "t1", "participantId": "p2", "kind": "video", "muted": true]]]])
        #expect(value["iceServers"] == [["urls": ["turn:example.com"], "username": "u", "credential": "c"]])
    }

    @Test func eventsMapToMessages() throws {
        let offer = RoomEvent.subscriberOffer(sdp: "v=0", version: 2, tracks: [SubscribedTrack(mid: "0", trackID: "t", participantID: "p", kind: .audio)])
        #expect(try json(#require(offer.serverMessage)) == ["v": 1, "type": "subscriber-offer", "sdp": "v=0", "version": 2,
                                                           "tracks": [["mid": "0", "trackId": "t", "participantId": "p", "kind": "audio"]]])
        #expect(try json(#require(RoomEvent.candidate(target: .subscriber, candidate: nil).serverMessage))
                == ["v": 1, "type": "trickle", "target": "subscriber", "candidate": ""])
        #expect(try json(#require(RoomEvent.participantLeft(participantID: "p", reason: .signalingLost).serverMessage))
                == ["v": 1, "type": "participant-left", "participantId": "p", "reason": "signaling-lost"])
        #expect(try json(#require(RoomEvent.trackMuted(trackID: "t", participantID: "p", muted: false).serverMessage))
                == ["v": 1, "type": "track-muted", "trackId": "t", "participantId": "p", "muted": false])
        #expect(try json(#require(RoomEvent.connectionState(target: .publisher, state: "connected").serverMessage))
                == ["v": 1, "type": "connection-state", "target": "publisher", "state": "connected"])
        #expect(try json(#require(RoomEvent.layersActive(trackID: "t", rids: ["q", "h"]).serverMessage))
                == ["v": 1, "type": "layers", "trackId": "t", "active": ["q", "h"]])
        #expect(try json(#require(RoomEvent.activeSpeakers(participantIDs: ["b", "a"]).serverMessage))
                == ["v": 1, "type": "active-speakers", "speakers": ["b", "a"]])
        #expect(try json(#require(RoomEvent.activeSpeakers(participantIDs: []).serverMessage))
                == ["v": 1, "type": "active-speakers", "speakers": []])
        #expect(RoomEvent.sessionEnded(reason: .mediaLost).serverMessage == nil)
        #expect(LeaveReason.serverShutdown.wireName == "server-shutdown")
        #expect(LeaveReason.mediaLost.wireName == "media-lost")
    }
}
