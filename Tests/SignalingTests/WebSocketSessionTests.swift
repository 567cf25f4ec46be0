import Foundation
import SFU
import Testing
@testable import Signaling

/// The room protocol over a real WebSocket, against `FakeRoomService`.
@Suite(.timeLimit(.minutes(1))) struct WebSocketSessionTests {
    @Test func joinPublishAndLeave() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token()
        let code = try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token, id: 1))
            let joined = try #require(try await conversation.receive())
            #expect(joined.type == "joined" && joined["id"] == 1 && joined["v"] == 1)
            #expect(joined["participantId"] == "p1" && joined["resumeToken"] == "resume-p1" && joined["room"] == "room")
            #expect(joined["identity"] == "alice" && joined["name"] == "alice" && joined["iceServers"] == [])
            #expect(joined["grants"] == ["publish": true, "subscribe": true, "admin": false])

            try await conversation.send(#"{"v":1,"type":"publish","id":"pub","sdp":"offer1"}"#)
            let published = try #require(try await conversation.receive())
            #expect(published.type == "published" && published["id"] == "pub" && published["sdp"] == "answer-to-offer1")
            #expect(published["tracks"] == [["id": "t1", "participantId": "p1", "kind": "audio", "muted": false, "mid": "0"]])

            try await conversation.send(#"{"v":1,"type":"ping","id":2}"#)
            #expect(try await conversation.receive() == ["v": 1, "type": "pong", "id": 2])

            try await conversation.send(#"{"v":1,"type":"leave","id":3}"#)
            let rest = try await conversation.receiveUntilClosed()
            #expect(rest == [["v": 1, "type": "bye", "reason": "left", "id": 3]])
        }
        #expect(code == 1000)
        let calls = await service.calls
        #expect(calls == ["join room alice alice publish=true", "publish p1 offer1", "leave p1 left"])
    }

    @Test func requestsReachTheCore() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token()
        try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            _ = try await conversation.receive()
            try await conversation.send(#"{"v":1,"type":"subscriber-answer","id":1,"sdp":"a","version":1}"#)
            #expect(try await conversation.receive() == ["v": 1, "type": "ack", "id": 1])
            try await conversation.send(#"{"v":1,"type":"subscriber-answer","id":2,"sdp":"a","version":0}"#)
            let stale = try #require(try await conversation.receive())
            #expect(stale["code"] == "stale-answer" && stale["id"] == 2)
            try await conversation.send(#"{"v":1,"type":"restart-ice","id":3}"#)
            #expect(try await conversation.receive() == ["v": 1, "type": "ack", "id": 3])
            try await conversation.send(#"{"v":1,"type":"mute","id":4,"trackId":"t1","muted":true}"#)
            #expect(try await conversation.receive() == ["v": 1, "type": "ack", "id": 4])
            try await conversation.send(#"{"v":1,"type":"mute","id":5,"trackId":"t9","muted":true}"#)
            #expect(try await conversation.receive()?["code"] == "unknown-track")
            // trickle has no reply; a failing one gets an error with its id.
            try await conversation.send(#"{"v":1,"type":"trickle","target":"publisher","candidate":"candidate:1 1 udp 1 10.0.0.1 5000 typ host"}"#)
            try await conversation.send(#"{"v":1,"type":"trickle","id":6,"target":"subscriber","candidate":"bad"}"#)
            let bad = try #require(try await conversation.receive())
            #expect(bad["code"] == "bad-candidate" && bad["id"] == 6)
        }
        let calls = await service.calls
        #expect(calls.contains("candidate p1 publisher candidate:1 1 udp 1 10.0.0.1 5000 typ host"))
        #expect(calls.contains("restart-ice p1") && calls.contains("mute p1 t1 true"))
        // The client closed without leave: the core keeps the participant for a resume.
        #expect(await service.waitForCall("disconnected p1"))
    }

    @Test func eventsArePushedInOrderAfterTheReply() async throws {
        let service = FakeRoomService()
        await service.set(eventsDuringPublish: [.candidate(target: .publisher, candidate: "candidate:x"),
                                                .candidate(target: .publisher, candidate: nil)])
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token()
        try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            _ = try await conversation.receive()
            try await conversation.send(#"{"v":1,"type":"publish","sdp":"o"}"#)
            #expect(try await conversation.receive()?.type == "published")
            #expect(try await conversation.receive() == ["v": 1, "type": "trickle", "target": "publisher", "candidate": "candidate:x"])
            #expect(try await conversation.receive() == ["v": 1, "type": "trickle", "target": "publisher", "candidate": ""])

            let bob = ParticipantInfo(id: "p9", identity: "bob", name: "Bob", tracks: [])
            await service.emit(.participantJoined(bob), to: "p1")
            await service.emit(.trackPublished(TrackInfo(id: "t9", participantID: "p9", kind: .video)), to: "p1")
            await service.emit(.subscriberOffer(sdp: "s", version: 1, tracks: [SubscribedTrack(mid: "0", trackID: "t9", participantID: "p9", kind: .video)]), to: "p1")
            await service.emit(.trackMuted(trackID: "t9", participantID: "p9", muted: true), to: "p1")
            await service.emit(.connectionState(target: .subscriber, state: "connected"), to: "p1")
            await service.emit(.trackUnpublished(trackID: "t9", participantID: "p9"), to: "p1")
            await service.emit(.participantLeft(participantID: "p9", reason: .left), to: "p1")
            var types: [String] = []
            for _ in 0..<7 { types.append(try #require(try await conversation.receive()?.type)) }
            #expect(types == ["participant-joined", "track-published", "subscriber-offer", "track-muted", "connection-state",
                              "track-unpublished", "participant-left"])
            // The core ends the session: bye with its reason, then close.
            await service.emit(.sessionEnded(reason: .replaced), to: "p1")
            #expect(try await conversation.receiveUntilClosed() == [["v": 1, "type": "bye", "reason": "replaced"]])
        }
        // Ended by the core: it is not told again.
        try await Task.sleep(for: .milliseconds(100))
        #expect(await !service.calls.contains { $0.hasPrefix("disconnected") || $0.hasPrefix("leave") })
    }

    @Test func malformedMessagesAreAnsweredNotFatal() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service)
        try await withConversation(server) { conversation in
            for (text, code) in [("not json", "bad-json"), (#"{"v":2,"type":"ping","id":1}"#, "unsupported-version"),
                                 (#"{"v":1,"type":"dance","id":1}"#, "unknown-type"), (#"{"v":1,"type":"publish","id":1}"#, "bad-request")] {
                try await conversation.send(text)
                #expect(try await conversation.receive()?["code"] == .string(code))
            }
            // Requests before join.
            try await conversation.send(#"{"v":1,"type":"publish","id":"x","sdp":"o"}"#)
            #expect(try await conversation.receive() == ["v": 1, "type": "error", "id": "x", "code": "not-joined", "message": "send join first"])
            // ping works before join.
            try await conversation.send(#"{"v":1,"type":"ping"}"#)
            #expect(try await conversation.receive()?.type == "pong")
        }
        #expect(await service.calls.isEmpty)
    }

    @Test func oversizedMessageClosesWith1009() async throws {
        let server = try await Fixtures.server(FakeRoomService())
        let code = try await withConversation(server) { conversation in
            let padding = String(repeating: "x", count: 70_000)
            try await conversation.send(#"{"v":1,"type":"ping","pad":"\#(padding)"}"#)
            let messages = try await conversation.receiveUntilClosed()
            #expect(messages.map { $0.type } == ["error", "bye"])
            #expect(messages.first?["code"] == "message-too-large" && messages.last?["reason"] == "message-too-large")
        }
        #expect(code == 1009)
    }

    /// A subscriber's answer grows with the room (about a kilobyte an m-line): in a room of 30
    /// publishers of audio and video it passed 65 536 bytes, and the session was ended with
    /// `message-too-large`. Joined sessions get the larger limit; before join the small one holds.
    @Test func aJoinedSessionsAnswerForAFullRoomIsAccepted() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token()
        let answer = String(repeating: "a=rtcp-fb:96 nack pli\\r\\n", count: 600_000 / 26)
        #expect(answer.utf8.count > 500_000)
        let code = try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            #expect(try await conversation.receive()?.type == "joined")
            try await conversation.send(#"{"v":1,"type":"subscriber-answer","id":1,"sdp":"\#(answer)","version":1}"#)
            #expect(try await conversation.receive() == ["v": 1, "type": "ack", "id": 1])
            // The joined limit still holds.
            let huge = String(repeating: "x", count: SignalingLimits().maxJoinedMessageBytes + 1)
            try await conversation.send(#"{"v":1,"type":"ping","pad":"\#(huge)"}"#)
            #expect(try await conversation.receiveUntilClosed().first?["code"] == "message-too-large")
        }
        #expect(code == 1009)
        #expect(await service.calls.contains("answer p1 1"))
    }

    @Test func theJoinedLimitIsSizedForTheRoomLimit() {
        var configuration = SignalingConfiguration(host: "127.0.0.1", port: 0, apiKeys: [Fixtures.key])
        #expect(configuration.effectiveLimits.maxJoinedMessageBytes == 1 << 20)
        #expect(SignalingLimits.sessionDescriptionBytes(participants: 100, tracksPerParticipant: 4) < 1 << 20)
        configuration.media.maxParticipantsPerRoom = 1_000
        #expect(configuration.effectiveLimits.maxJoinedMessageBytes
                == SignalingLimits.sessionDescriptionBytes(participants: 1_000, tracksPerParticipant: 4))
        configuration.media.maxParticipantsPerRoom = 10_000
        #expect(configuration.effectiveLimits.maxJoinedMessageBytes == 16 << 20)
        #expect(configuration.effectiveLimits.maxMessageBytes == 65_536)
    }

    @Test func fragmentedOversizedMessageClosesWith1009() async throws {
        let server = try await Fixtures.server(FakeRoomService())
        // The client splits the message into 16 KiB frames; the limit counts them together.
        let code = try await withConversation(server, maxFrameSize: 1 << 14) { conversation in
            try await conversation.send(#"{"v":1,"type":"ping","pad":"\#(String(repeating: "y", count: 70_000))"}"#)
            #expect(try await conversation.receiveUntilClosed().first?["code"] == "message-too-large")
        }
        #expect(code == 1009)
    }

    @Test func rateLimitClosesWith1008() async throws {
        let limits = SignalingLimits(messagesPerSecond: 5, messageBurst: 10)
        let server = try await Fixtures.server(FakeRoomService(), limits: limits)
        let code = try await withConversation(server) { conversation in
            for _ in 0..<30 { try await conversation.send(#"{"v":1,"type":"ping"}"#) }
            let messages = try await conversation.receiveUntilClosed()
            let pongs = messages.filter { $0.type == "pong" }.count
            #expect(pongs >= 10 && pongs < 30)
            #expect(messages.suffix(2).map { $0.type } == ["error", "bye"])
            #expect(messages.suffix(2).first?["code"] == "rate-limited")
        }
        #expect(code == 1008)
    }

    @Test func tooManyCandidates() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service, limits: SignalingLimits(candidatesPerConnection: 3))
        let token = try await Fixtures.token()
        try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            _ = try await conversation.receive()
            for index in 0..<4 {
                try await conversation.send(#"{"v":1,"type":"trickle","id":\#(index),"target":"subscriber","candidate":"candidate:\#(index)"}"#)
            }
            let error = try #require(try await conversation.receive())
            #expect(error["code"] == "too-many-candidates" && error["id"] == 3)
            // End of candidates does not count; the other connection has its own count.
            try await conversation.send(#"{"v":1,"type":"trickle","target":"subscriber","candidate":""}"#)
            try await conversation.send(#"{"v":1,"type":"trickle","target":"publisher","candidate":"candidate:p"}"#)
            try await conversation.send(#"{"v":1,"type":"ping","id":"end"}"#)
            #expect(try await conversation.receive()?["id"] == "end")
        }
        let candidates = await service.calls.filter { $0.hasPrefix("candidate") }
        #expect(candidates.count == 5)
    }

    @Test(arguments: [("missing", "token-missing"), ("forged", "token-invalid"), ("expired", "token-expired")])
    func joinWithBadToken(_ kind: String, _ expected: String) async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service)
        let forger = try APIKey(id: "testkey", secret: "wrong-secret-0123456789abcdef-0123456789")
        let join: String = switch kind {
        case "missing": #"{"v":1,"type":"join","id":1}"#
        case "forged": Fixtures.join(try await Fixtures.token(key: forger))
        default: Fixtures.join(try await Fixtures.token(ttl: .seconds(60), at: Date().addingTimeInterval(-3600)))
        }
        let code = try await withConversation(server) { conversation in
            try await conversation.send(join)
            let messages = try await conversation.receiveUntilClosed()
            #expect(messages.map { $0.type } == ["error", "bye"])
            #expect(messages.first?["code"] == .string(expected) && messages.first?["id"] == 1)
            #expect(messages.last?["reason"] == .string(expected))
        }
        #expect(code == 1008)
        #expect(await service.calls.isEmpty)
    }

    @Test func secondJoinIsRefused() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token()
        try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token, id: 1))
            #expect(try await conversation.receive()?.type == "joined")
            try await conversation.send(Fixtures.join(token, id: 2))
            let error = try #require(try await conversation.receive())
            #expect(error["code"] == "already-joined" && error["id"] == 2)
        }
        #expect(await service.calls.filter { $0.hasPrefix("join") }.count == 1)
    }

    @Test func publishNeedsTheGrant() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token(grants: Grants(publish: false, subscribe: true))
        try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            _ = try await conversation.receive()
            try await conversation.send(#"{"v":1,"type":"publish","sdp":"o"}"#)
            #expect(try await conversation.receive()?["code"] == "not-allowed")
        }
        #expect(await !service.calls.contains { $0.hasPrefix("publish") })
    }

    @Test func fatalRoomErrorEndsTheSession() async throws {
        let service = FakeRoomService()
        await service.set(joinError: .roomFull(limit: 2))
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token()
        let code = try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            let messages = try await conversation.receiveUntilClosed()
            #expect(messages.first?["code"] == "room-full" && messages.last?["reason"] == "room-full")
        }
        #expect(code == 1008)
    }

    @Test func nonFatalRoomErrorKeepsTheSession() async throws {
        let service = FakeRoomService()
        await service.set(publishError: .badSDP("no v= line"))
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token()
        try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            _ = try await conversation.receive()
            try await conversation.send(#"{"v":1,"type":"publish","id":1,"sdp":"o"}"#)
            let error = try #require(try await conversation.receive())
            #expect(error["code"] == "bad-sdp" && error["id"] == 1)
            try await conversation.send(#"{"v":1,"type":"ping","id":2}"#)
            #expect(try await conversation.receive()?.type == "pong")
        }
    }

    @Test func resume() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token()
        try await withConversation(server) { conversation in
            try await conversation.send(#"{"v":1,"type":"join","token":"\#(token)","resume":{"participantId":"p7","resumeToken":"resume-p7"}}"#)
            let joined = try #require(try await conversation.receive())
            #expect(joined.type == "joined" && joined["participantId"] == "p7")
        }
        let code = try await withConversation(server) { conversation in
            try await conversation.send(#"{"v":1,"type":"join","token":"\#(token)","resume":{"participantId":"p7","resumeToken":"stolen"}}"#)
            #expect(try await conversation.receiveUntilClosed().first?["code"] == "resume-refused")
        }
        #expect(code == 1008)
    }

    @Test func joinTimeout() async throws {
        let server = try await Fixtures.server(FakeRoomService(), limits: SignalingLimits(joinTimeout: .milliseconds(200)))
        let code = try await withConversation(server) { conversation in
            try await conversation.send(#"{"v":1,"type":"ping"}"#)
            // A ping does not count as joining: the session still ends at the join timeout. On
            // a loaded machine the ping may only be read after the timeout fired, so its pong is
            // not required (a full parallel test run once took longer than the 200 ms).
            let received = try await conversation.receiveUntilClosed()
            #expect(received.last == ["v": 1, "type": "bye", "reason": "join-timeout"])
            #expect(received.dropLast().allSatisfy { $0 == ["v": 1, "type": "pong"] })
        }
        #expect(code == 1008)
    }

    @Test func idleTimeoutDisconnects() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service, limits: SignalingLimits(idleTimeout: .milliseconds(300)))
        let token = try await Fixtures.token()
        try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            #expect(try await conversation.receive()?.type == "joined")
            #expect(try await conversation.receiveUntilClosed() == [["v": 1, "type": "bye", "reason": "idle-timeout"]])
        }
        #expect(await service.waitForCall("disconnected p1"))
    }

    @Test func shutdownSendsByeToEverySession() async throws {
        let service = FakeRoomService()
        let server = try await Fixtures.server(service)
        let token = try await Fixtures.token()
        let code = try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            #expect(try await conversation.receive()?.type == "joined")
            #expect(server.sessionCount == 1)
            server.shutDownSessions()
            #expect(try await conversation.receiveUntilClosed() == [["v": 1, "type": "bye", "reason": "server-shutdown"]])
        }
        #expect(code == 1001)
        #expect(await service.waitForCall("leave p1 serverShutdown"))
    }
}
