import Foundation
import Logging
import Signaling
import Transport

/// The same participant against Janus's VideoRoom plugin, through the Janus API over WebSocket
/// (subprotocol "janus-protocol"): a session, one plugin handle per peer connection, the room
/// created on first use (VP8 and Opus, as our publishers send), publishers `join` and `publish`
/// their offer, subscribers find the room's publisher with `listparticipants`, `join` as
/// subscribers of its feed and answer Janus's offer with `start`. Janus puts its candidates in
/// its SDP; ours go in our offer (publisher) or are trickled (subscriber). Media and its
/// measurement are the same `LoadPeer` as against our SFU.
extension LoadParticipant {
    /// The room number for a room name: Janus rooms are numbers.
    static func janusRoom(_ name: String) -> Int64 {
        var hash: UInt64 = 1_469_598_103_934_665_603  // FNV-1a
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return Int64(hash % 1_000_000_000) + 1
    }

    private enum JanusStep {
        case creatingSession, attaching, creatingRoom, joining, findingPublisher, subscribing, live
    }

    func janusSession(until end: ContinuousClock.Instant, drop: Bool, into outcome: inout ParticipantOutcome) async {
        let (inputs, input) = AsyncStream.makeStream(of: Input.self)
        let peer = await makePeer(input)
        let opened = ContinuousClock.now
        let openedNanoseconds = MediaWorker.monotonicNanoseconds()
        let connection = SignalingConnection(url: url, subprotocol: "janus-protocol", logger: logger)
        let reader = Self.forward(connection, to: input)
        let timer = Self.keepalive(until: end, input)
        let room = Self.janusRoom(plan.room)
        var session: Int64 = 0
        var handle: Int64 = 0
        var step = JanusStep.creatingSession
        var transaction = 0
        func send(_ body: [String: JSONValue]) {
            transaction += 1
            var message = body
            message["transaction"] = .string("t\(transaction)")
            if session != 0 { message["session_id"] = .integer(session) }
            if handle != 0, message["janus"] == "message" || message["janus"] == "trickle" { message["handle_id"] = .integer(handle) }
            connection.send(.object(message))
        }
        func request(_ body: [String: JSONValue], jsep: JSONValue? = nil) {
            var message: [String: JSONValue] = ["janus": "message", "body": .object(body)]
            if let jsep { message["jsep"] = jsep }
            send(message)
        }
        func findPublisher() { request(["request": "listparticipants", "room": .integer(room)]) }

        send(["janus": "create"])
        var leaving = false
        loop: for await next in inputs {
            switch next {
            case .signal(let message):
                let kind = message["janus"]?.stringValue ?? ""
                let data = message["plugindata"]?["data"]
                do {
                    if kind == "error" || data?["error_code"] != nil && data?["error_code"]?.integerValue != 427 {
                        let reason = message["error"]?["reason"]?.stringValue ?? data?["error"]?.stringValue ?? "\(message.jsonText().prefix(200))"
                        outcome.error = outcome.error ?? "janus: \(reason)"
                        break loop
                    }
                    switch (step, kind) {
                    case (.creatingSession, "success"):
                        session = message["data"]?["id"]?.integerValue ?? 0
                        step = .attaching
                        send(["janus": "attach", "plugin": "janus.plugin.videoroom"])
                    case (.attaching, "success"):
                        handle = message["data"]?["id"]?.integerValue ?? 0
                        step = .creatingRoom
                        // 427: the room exists already (another participant made it).
                        request(["request": "create", "room": .integer(room), "publishers": 1, "audiocodec": "opus", "videocodec": "vp8",
                                 "bitrate": .integer(Int64(media.videoBitsPerSecond + 64_000)), "fir_freq": 0])
                    case (.creatingRoom, "success"):
                        if plan.publishes {
                            step = .joining
                            request(["request": "join", "ptype": "publisher", "room": .integer(room), "display": .string(plan.identity)])
                        } else {
                            step = .findingPublisher
                            findPublisher()
                        }
                    case (.findingPublisher, "success"):
                        let publishers = data?["participants"]?.arrayValue?.filter { $0["publisher"] == true } ?? []
                        if let feed = publishers.first?["id"]?.integerValue {
                            step = .subscribing
                            request(["request": "join", "ptype": "subscriber", "room": .integer(room),
                                     "streams": [["feed": .integer(feed)]]])
                        } else {
                            try? await Task.sleep(for: .milliseconds(200))
                            if ContinuousClock.now < end { findPublisher() }
                        }
                    case (.joining, "event") where data?["videoroom"] == "joined":
                        outcome.joined = true
                        outcome.joinMilliseconds = opened.duration(to: .now).milliseconds
                        step = .live
                        try await worker.run { () throws in try peer.value.startPublishing() }
                    case (.subscribing, "event") where data?["videoroom"] == "attached":
                        outcome.joined = true
                        outcome.joinMilliseconds = opened.duration(to: .now).milliseconds
                        step = .live
                        let sdp = message["jsep"]?["sdp"]?.stringValue ?? ""
                        try await worker.run { () throws in try peer.value.answerSubscriberOffer(sdp, version: 1) }
                    case (.live, "event"):
                        if let sdp = message["jsep"]?["sdp"]?.stringValue, message["jsep"]?["type"] == "answer" {
                            try await worker.run { () throws in try peer.value.applyPublisherAnswer(sdp) }
                        }
                    case (_, "hangup"):
                        if !leaving { outcome.error = outcome.error ?? "janus hung up: \(message["reason"]?.stringValue ?? "?")" }
                        break loop
                    case (.live, "success") where leaving:
                        outcome.completed = true
                        break loop
                    default:
                        break  // ack, webrtcup, media, slowlink, keepalive acks
                    }
                } catch {
                    outcome.error = outcome.error ?? "janus \(kind): \(error)"
                    break loop
                }
            case .signalingClosed:
                outcome.signalingClosed(connection, leaving: leaving)
                break loop
            case .peer(let event):
                switch event {
                case .publisherOffer(let sdp):
                    request(["request": "publish", "audio": .bool(media.audio), "video": .bool(media.videoBitsPerSecond > 0)],
                            jsep: ["type": "offer", "sdp": .string(sdp)])
                case .subscriberAnswer(let sdp, _):
                    request(["request": "start", "room": .integer(room)], jsep: ["type": "answer", "sdp": .string(sdp)])
                case .candidate(_, let candidate):
                    if candidate.isEmpty {
                        send(["janus": "trickle", "candidate": ["completed": true]])
                    } else {
                        send(["janus": "trickle", "candidate": ["candidate": .string(candidate), "sdpMid": "0", "sdpMLineIndex": 0]])
                    }
                case .connected(let target):
                    outcome.connected(target, at: opened.duration(to: .now).milliseconds)
                case .failed(let target, let reason):
                    if outcome.transportFailed(target, reason: reason, leaving: leaving) { break loop }
                }
            case .keepalive:
                send(["janus": "keepalive"])
            case .timeUp:
                guard !leaving else { break loop }
                leaving = true
                if drop || session == 0 {
                    outcome.completed = drop
                    break loop
                }
                send(["janus": "destroy"])
                Task {
                    try? await Task.sleep(for: .seconds(3))
                    input.yield(.timeUp)
                }
            }
        }
        timer.cancel()
        await finish(peer: peer, openedNanoseconds: openedNanoseconds, into: &outcome)
        await connection.abort()
        reader.cancel()
    }
}
