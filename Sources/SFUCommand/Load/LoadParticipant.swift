import Foundation
import Logging
import SDP
import SFU
import Signaling
import Transport

/// One simulated participant: what it does, and what it measured.
struct ParticipantPlan: Sendable {
    var room: String
    var identity: String
    var publishes: Bool
    var subscribes: Bool
    /// When to start, from the run's start (a join storm spreads these over its window).
    var startAfter: Duration
    /// A retry storm: when to drop (no `leave`: the socket and the transports just go), from the
    /// run's start; the participant joins again at once with the same identity.
    var dropAfter: Duration?
}

struct ParticipantOutcome: Sendable, Encodable {
    var room: String
    var identity: String
    var publishes: Bool
    var joined = false
    /// Stayed to the end of the run and left (false: the session ended early, see `error`).
    var completed = false
    var error: String?
    /// From opening the WebSocket to `joined`.
    var joinMilliseconds: Double?
    /// From opening the WebSocket to the first media packet received (subscribers).
    var firstMediaMilliseconds: Double?
    /// After a retry storm's drop: the new session's join and first media, from its new socket.
    var rejoinMilliseconds: Double?
    var rejoinFirstMediaMilliseconds: Double?
    var publisherConnectedMilliseconds: Double?
    var subscriberConnectedMilliseconds: Double?
    var packetsPublished = 0
    var audio = Reception()
    var video = Reception()
    /// Seconds from the first media packet to the end of the measurement.
    var receivingSeconds = 0.0
    /// End-to-end latency samples of the synthetic video, microseconds (summarised, not encoded).
    var latencyMicroseconds: [UInt32] = []

    struct Reception: Sendable, Encodable {
        var packets = 0
        var bytes = 0
        var expected = 0
        var lost = 0
        var jitterMilliseconds = 0.0

        mutating func add(_ other: Reception) {
            packets += other.packets
            bytes += other.bytes
            expected += other.expected
            lost += other.lost
            jitterMilliseconds = max(jitterMilliseconds, other.jitterMilliseconds)
        }
    }

    enum CodingKeys: String, CodingKey {
        case room, identity, publishes, joined, completed, error, joinMilliseconds, firstMediaMilliseconds, rejoinMilliseconds,
             rejoinFirstMediaMilliseconds, publisherConnectedMilliseconds,
             subscriberConnectedMilliseconds, packetsPublished, audio, video, receivingSeconds
    }

    /// The signaling socket ended: a failure unless the participant was leaving.
    mutating func signalingClosed(_ connection: SignalingConnection, leaving: Bool) {
        if !leaving { error = error ?? "signaling closed: \(connection.failureDescription ?? "by the server")" }
    }

    /// A peer connection came up, `milliseconds` after the socket opened.
    mutating func connected(_ target: String, at milliseconds: Double) {
        if target == "publisher" { publisherConnectedMilliseconds = milliseconds } else { subscriberConnectedMilliseconds = milliseconds }
    }

    /// A peer connection died. Media is what a load participant is for: unless it is leaving
    /// anyway, that ends the session (often the first sign of a server gone, whose socket's close
    /// may come late). Returns whether to stop.
    mutating func transportFailed(_ target: String, reason: String, leaving: Bool) -> Bool {
        guard !leaving else { return false }
        error = error ?? "\(target) transport: \(reason)"
        return true
    }

    var receivedBitsPerSecond: Double {
        receivingSeconds > 0 ? Double((audio.bytes + video.bytes) * 8) / receivingSeconds : 0
    }
}

/// What the participants join: this project's `sfu serve` (the room protocol), or Janus's
/// VideoRoom plugin through its WebSocket API, for the side-by-side benchmark.
enum LoadTarget: String, Sendable, CaseIterable {
    case sfu, janus
}

/// Runs one participant through the room protocol with a `LoadPeer` on its media worker.
struct LoadParticipant {
    let plan: ParticipantPlan
    let url: String
    let issuer: TokenIssuer
    let worker: MediaWorker
    let context: DTLSContext
    let ice: ICEConfiguration
    let media: LoadMediaSettings
    let expectedPackets: Int
    let target: LoadTarget
    let logger: Logger

    enum Input: Sendable {
        case signal(JSONValue)
        case signalingClosed
        case peer(LoadPeerEvent)
        case timeUp
        case keepalive
    }

    /// Joins, publishes or subscribes, and stays until `end`; then leaves. In a retry storm, the
    /// first session is dropped at `start + dropAfter` and a second one joins at once.
    func run(start: ContinuousClock.Instant, end: ContinuousClock.Instant) async -> ParticipantOutcome {
        var outcome = ParticipantOutcome(room: plan.room, identity: plan.identity, publishes: plan.publishes)
        try? await Task.sleep(until: start + plan.startAfter, clock: .continuous)
        let token: String
        do {
            token = try await issuer.mint(room: plan.room, identity: plan.identity, grants: Grants(publish: plan.publishes, subscribe: plan.subscribes),
                                          ttl: .seconds(3600))
        } catch {
            outcome.error = "token: \(error)"
            return outcome
        }
        guard let dropAfter = plan.dropAfter else {
            await session(token: token, until: end, drop: false, into: &outcome)
            return outcome
        }
        await session(token: token, until: start + dropAfter, drop: true, into: &outcome)
        guard outcome.completed, outcome.error == nil else { return outcome }
        var again = ParticipantOutcome(room: plan.room, identity: plan.identity, publishes: plan.publishes)
        await session(token: token, until: end, drop: false, into: &again)
        outcome.rejoinMilliseconds = again.joinMilliseconds
        outcome.rejoinFirstMediaMilliseconds = again.firstMediaMilliseconds
        outcome.completed = again.completed
        outcome.error = again.error
        outcome.packetsPublished += again.packetsPublished
        outcome.audio.add(again.audio)
        outcome.video.add(again.video)
        outcome.receivingSeconds += again.receivingSeconds
        outcome.latencyMicroseconds += again.latencyMicroseconds
        return outcome
    }

    /// One signaling session and its peer connections, until `deadline`: then `leave` (or, for
    /// `drop`, the socket cut and the transports closed without a word).
    private func session(token: String, until end: ContinuousClock.Instant, drop: Bool, into outcome: inout ParticipantOutcome) async {
        if target == .janus {
            await janusSession(until: end, drop: drop, into: &outcome)
            return
        }
        let (inputs, input) = AsyncStream.makeStream(of: Input.self)
        let peer = await makePeer(input)
        let opened = ContinuousClock.now
        let openedNanoseconds = MediaWorker.monotonicNanoseconds()
        let connection = SignalingConnection(url: url, logger: logger)
        let reader = Self.forward(connection, to: input)
        let timer = Self.keepalive(until: end, input)
        connection.send(["v": 1, "type": "join", "id": "join", "token": .string(token)])
        var leaving = false
        loop: for await next in inputs {
            switch next {
            case .signal(let message):
                let type = message["type"]?.stringValue ?? ""
                do {
                    switch type {
                    case "joined":
                        outcome.joined = true
                        outcome.joinMilliseconds = opened.duration(to: .now).milliseconds
                        if plan.publishes { try await worker.run { () throws in try peer.value.startPublishing() } }
                    case "published":
                        let sdp = message["sdp"]?.stringValue ?? ""
                        try await worker.run { () throws in try peer.value.applyPublisherAnswer(sdp) }
                    case "subscriber-offer":
                        let sdp = message["sdp"]?.stringValue ?? ""
                        let version = Int(message["version"]?.integerValue ?? 0)
                        try await worker.run { () throws in try peer.value.answerSubscriberOffer(sdp, version: version) }
                    case "trickle":
                        let candidate = message["candidate"]?.stringValue ?? ""
                        let target = message["target"]?.stringValue ?? ""
                        await worker.run { peer.value.addRemoteCandidate(candidate, target: target) }
                    case "error":
                        let code = message["code"]?.stringValue ?? "?"
                        outcome.error = outcome.error ?? "error \(code): \(message["message"]?.stringValue ?? "")"
                    case "bye":
                        outcome.completed = leaving
                        if !leaving { outcome.error = outcome.error ?? "bye: \(message["reason"]?.stringValue ?? "?")" }
                        break loop
                    default:
                        break
                    }
                } catch {
                    outcome.error = outcome.error ?? "\(type): \(error)"
                }
            case .signalingClosed:
                outcome.signalingClosed(connection, leaving: leaving)
                break loop
            case .peer(let event):
                switch event {
                case .publisherOffer(let sdp):
                    connection.send(["v": 1, "type": "publish", "id": "publish", "sdp": .string(sdp)])
                case .subscriberAnswer(let sdp, let version):
                    connection.send(["v": 1, "type": "subscriber-answer", "sdp": .string(sdp), "version": .integer(Int64(version))])
                case .candidate(let target, let candidate):
                    connection.send(["v": 1, "type": "trickle", "target": .string(target), "candidate": .string(candidate)])
                case .connected(let target):
                    outcome.connected(target, at: opened.duration(to: .now).milliseconds)
                case .failed(let target, let reason):
                    if outcome.transportFailed(target, reason: reason, leaving: leaving) { break loop }
                }
            case .keepalive:
                connection.send(["v": 1, "type": "ping"])
            case .timeUp:
                guard !leaving else { break loop }
                leaving = true
                if drop {
                    outcome.completed = true
                    break loop
                }
                connection.send(["v": 1, "type": "leave", "id": "leave"])
                // The `bye` ends the loop; a server that does not answer gets 3 s.
                Task {
                    try? await Task.sleep(for: .seconds(3))
                    input.yield(.timeUp)
                }
            }
        }
        timer.cancel()
        await finish(peer: peer, openedNanoseconds: openedNanoseconds, into: &outcome)
        if outcome.completed && !drop { await connection.close() } else { await connection.abort() }
        reader.cancel()
        logger.debug("closed", metadata: ["identity": "\(plan.identity)"])
    }

    /// The participant's media side, on its worker; its events come back as `.peer` inputs.
    func makePeer(_ input: AsyncStream<Input>.Continuation) async -> WorkerBound<LoadPeer> {
        let emit: @Sendable (LoadPeerEvent) -> Void = { input.yield(.peer($0)) }
        let (worker, context, ice, media, expected) = (self.worker, self.context, self.ice, self.media, self.expectedPackets)
        return await worker.run {
            WorkerBound(LoadPeer(worker: worker, context: context, ice: ice, settings: media, expectedPackets: expected, emit: emit), worker: worker)
        }
    }

    /// Messages of `connection` as `.signal` inputs, then `.signalingClosed`.
    static func forward(_ connection: SignalingConnection, to input: AsyncStream<Input>.Continuation) -> Task<Void, Never> {
        Task {
            for await message in connection.messages { input.yield(.signal(message)) }
            input.yield(.signalingClosed)
        }
    }

    /// `.keepalive` every 15 s, then `.timeUp` at `end` (nothing once cancelled).
    static func keepalive(until end: ContinuousClock.Instant, _ input: AsyncStream<Input>.Continuation) -> Task<Void, Never> {
        Task {
            while ContinuousClock.now < end {
                do {
                    try await Task.sleep(for: min(.seconds(15), ContinuousClock.now.duration(to: end)))
                } catch {
                    return  // cancelled: the session is over
                }
                if ContinuousClock.now < end { input.yield(.keepalive) }
            }
            input.yield(.timeUp)
        }
    }

    /// Closes the peer and adds what it measured to `outcome`.
    func finish(peer: WorkerBound<LoadPeer>, openedNanoseconds: Int64, into outcome: inout ParticipantOutcome) async {
        logger.debug("session over", metadata: ["identity": "\(plan.identity)", "error": "\(outcome.error ?? "-")"])
        let measuredUntil = MediaWorker.monotonicNanoseconds()
        let received = await worker.run { () -> (ParticipantOutcome.Reception, ParticipantOutcome.Reception, Int64?, [UInt32], Int) in
            let peer = peer.value
            peer.close()
            let receiver = peer.receiver
            func reception(_ kind: MediaKind) -> ParticipantOutcome.Reception {
                let totals = receiver.totals(of: kind)
                return .init(packets: totals.packets, bytes: totals.bytes, expected: totals.expected, lost: totals.lost,
                             jitterMilliseconds: totals.jitterSeconds * 1000)
            }
            return (reception(.audio), reception(.video), receiver.firstMediaNanoseconds, receiver.latencyMicroseconds, peer.packetsPublished)
        }
        outcome.audio.add(received.0)
        outcome.video.add(received.1)
        if let first = received.2 {
            outcome.firstMediaMilliseconds = Double(first - openedNanoseconds) / 1e6
            outcome.receivingSeconds = Double(measuredUntil - first) / 1e9
        }
        outcome.latencyMicroseconds += received.3
        outcome.packetsPublished += received.4
    }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
