import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import SFU
import Transport

/// One WebSocket connection speaking the room protocol (docs/signaling.md).
///
/// Three tasks: a reader that decodes and handles client messages one at a time (so a
/// `trickle` is never handled before the `publish` sent ahead of it), a writer that drains the
/// `SessionOutbox` onto the socket, and a watchdog for the join and idle timeouts. States:
/// awaiting join → joined → closed. When the connection ends the SFU is told according to why
/// (`SessionOutbox.Ending`).
final class SignalingSession: Sendable {
    /// What the session needs from the server, shared by all sessions.
    struct Context: Sendable {
        let roomService: any RoomService
        let verifier: TokenVerifier
        let limits: SignalingLimits
        let iceServers: [ICEServer]
        let relayCredentials: RelayCredentialIssuer?
        let clock: @Sendable () -> Date
        let logger: Logger
        let metrics: SignalingMetrics

        /// The configured servers, then the bundled relay with a credential of this participant's.
        func iceServers(for participantID: String) -> [ICEServer] {
            guard let relayCredentials else { return iceServers }
            return iceServers + [relayCredentials.server(for: participantID, now: Int(clock().timeIntervalSince1970))]
        }
    }

    let id: UInt64
    let outbox = SessionOutbox()
    private let context: Context
    private let sessionLogger: SessionLogger
    /// The session's logger: metadata `session` from the start, `room` and `participant` from
    /// the admission on, for every line of the reader, writer and watchdog alike.
    private var logger: Logger { sessionLogger.logger }

    init(id: UInt64, context: Context) {
        self.id = id
        self.context = context
        var logger = context.logger
        logger[metadataKey: "session"] = "\(id)"
        self.sessionLogger = SessionLogger(logger)
    }

    /// The session's logger, which gains the room and participant ids when the reader admits a
    /// participant (the writer and the watchdog log from tasks of their own, hence the lock).
    private final class SessionLogger: @unchecked Sendable {
        /// Lock-protected; `Sendable` through the lock (NSLock: `Mutex` needs macOS 15).
        private let lock = NSLock()
        private var current: Logger

        init(_ logger: Logger) { current = logger }

        var logger: Logger { lock.withLock { current } }

        func admitted(room: String, participantID: String) {
            lock.withLock {
                current[metadataKey: "room"] = "\(room)"
                current[metadataKey: "participant"] = "\(participantID)"
            }
        }
    }

    /// A joined participant, as the reader knows it.
    struct Participant: Sendable {
        let id: String
        let grants: Grants
        /// Which of the participant's signaling connections this is (JoinResult.connection).
        let connection: Int
    }

    private enum TaskOutcome: Sendable {
        case reader(Participant?)
        case writer
        case watchdog
        case drainTimeout
    }

    /// Runs the session until the connection ends, then tells the SFU.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        logger.debug("session opened")
        let participant = await withTaskGroup(of: TaskOutcome.self) { group -> Participant? in
            group.addTask { .reader(await self.readLoop(inbound)) }
            group.addTask { await self.writeLoop(outbound); return .writer }
            group.addTask { await self.watchdog(); return .watchdog }

            var participant: Participant?
            var readerDone = false
            var writerDone = false
            var draining = false
            // Whichever of reader and writer ends first, the other gets a bounded time to finish:
            // the writer to flush what is queued (error, bye, close frame); the reader to consume
            // the client's remaining frames and its close reply, since a socket closed with unread
            // data is reset (TCP RST) and the client may then never see the bye and close code.
            func drain() {
                guard !draining else { return }
                draining = true
                group.addTask {
                    do { try await Task.sleep(for: .seconds(2)) } catch { return .drainTimeout }
                    return .drainTimeout
                }
            }
            while let outcome = await group.next() {
                switch outcome {
                case .reader(let joined):
                    participant = joined
                    readerDone = true
                    outbox.connectionClosed()
                    if writerDone { group.cancelAll() } else { drain() }
                case .writer:
                    writerDone = true
                    if readerDone { group.cancelAll() } else { drain() }
                case .drainTimeout:
                    outbox.connectionClosed()
                    group.cancelAll()
                case .watchdog:
                    break
                }
            }
            return participant
        }
        await finish(participant)
    }

    private func finish(_ participant: Participant?) async {
        let ending = outbox.ending ?? .dropped
        logger.debug("session closed", metadata: ["ending": "\(ending)"])
        guard let participant else { return }
        switch ending {
        case .left, .endedBySFU:
            break
        case .serverShutdown:
            await context.roomService.leave(participantID: participant.id, reason: .serverShutdown)
        case .dropped:
            // Resume within the grace period is the SFU's to allow (docs/signaling.md, "Reconnect").
            await context.roomService.disconnected(participantID: participant.id, connection: participant.connection)
        }
    }

    // MARK: - Writer

    private func writeLoop(_ outbound: WebSocketOutboundWriter) async {
        for await item in outbox.stream {
            do {
                switch item {
                case .message(let envelope):
                    try await outbound.writeTextMessage(envelope.jsonText)
                case .close(let code, let reason):
                    try await outbound.close(.init(codeNumber: Int(code.value)), reason: reason)
                    return
                }
            } catch {
                logger.debug("write failed", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    // MARK: - Watchdog

    private func watchdog() async {
        let opened = ContinuousClock.now
        while !outbox.isEnding {
            let (joined, lastActivity) = outbox.activity
            let deadline = joined ? lastActivity + context.limits.idleTimeout : opened + context.limits.joinTimeout
            if ContinuousClock.now >= deadline {
                let reason = joined ? "idle-timeout" : "join-timeout"
                logger.debug("closing", metadata: ["reason": "\(reason)"])
                outbox.end(.dropped, messages: [ServerEnvelope(.bye(reason: reason))], close: .policyViolation, closeReason: reason)
                return
            }
            do {
                // Wake at least every second: joining moves the deadline (join → idle timeout).
                try await Task.sleep(until: min(deadline, .now + .seconds(1)), clock: .continuous)
            } catch {
                return  // cancelled: the session is over
            }
        }
    }

    // MARK: - Reader

    private func readLoop(_ inbound: WebSocketInboundStream) async -> Participant? {
        var handler = RequestHandler(session: self)
        var assembler = MessageAssembler(limit: context.limits.maxMessageBytes)
        var limiter = RateLimiter(rate: context.limits.messagesPerSecond, burst: context.limits.messageBurst)
        do {
            for try await frame in inbound {
                // Ending: what still arrives is read and dropped until the client's close.
                guard !outbox.isEnding else { continue }
                let text: ByteBuffer
                switch assembler.append(frame) {
                case .incomplete:
                    continue
                case .text(let buffer):
                    text = buffer
                case .binary:
                    guard limiter.allow() else {
                        outbox.fail(.rateLimited, "more than \(context.limits.messagesPerSecond) messages per second", id: nil)
                        continue
                    }
                    outbox.touch()
                    outbox.send(.error(code: .badJSON, message: "binary frames are not accepted; send JSON in text frames"))
                    continue
                case .tooLarge:
                    outbox.fail(.messageTooLarge, "a message may have at most \(assembler.limit) bytes", id: nil)
                    continue
                case .protocolError:
                    outbox.end(.dropped, messages: [], close: .protocolError, closeReason: "bad fragmentation")
                    continue
                }
                guard limiter.allow() else {
                    outbox.fail(.rateLimited, "more than \(context.limits.messagesPerSecond) messages per second", id: nil)
                    continue
                }
                outbox.touch()
                await handler.handle(Data(text.readableBytesView))
                // Joined: session descriptions, which grow with the room, may follow.
                if handler.participant != nil { assembler.limit = context.limits.maxJoinedMessageBytes }
            }
        } catch {
            // The connection failed under us (reset, cancelled): same as a drop.
            logger.debug("read ended", metadata: ["error": "\(error)"])
        }
        return handler.participant
    }

    /// The reader's state machine: decodes, checks the state, calls the SFU, replies.
    private struct RequestHandler {
        let session: SignalingSession
        var participant: Participant?
        /// Candidates trickled per peer connection in its current ICE generation.
        var candidateCounts: [PeerRole: Int] = [:]

        var outbox: SessionOutbox { session.outbox }
        var context: Context { session.context }

        init(session: SignalingSession) {
            self.session = session
        }

        mutating func handle(_ data: Data) async {
            let clock = ContinuousClock()
            let start = clock.now
            let received = MediaWorker.monotonicNanoseconds()
            let request: ClientRequest
            do {
                request = try ClientMessageDecoder.decode(data)
            } catch {
                outbox.send(.error(code: error.code, message: error.message), id: error.id)
                context.metrics.recordMessage(type: nil, clock.now - start)
                return
            }
            defer { context.metrics.recordMessage(type: request.message.type, clock.now - start) }
            let id = request.id
            if case .ping = request.message {
                outbox.send(.pong, id: id)
                return
            }
            guard let participant else {
                if case .join(let token, let resume) = request.message {
                    await join(token: token, resume: resume, id: id, receivedNanoseconds: received)
                } else {
                    outbox.send(.error(code: .notJoined, message: "send join first"), id: id)
                }
                return
            }
            outbox.holdEvents()
            defer { outbox.releaseEvents() }
            do {
                try await handleJoined(request.message, participant: participant, id: id)
            } catch {
                reply(error, id: id)
            }
        }

        private mutating func handleJoined(_ message: ClientMessage, participant: Participant, id: MessageID?) async throws(RoomError) {
            let service = context.roomService
            switch message {
            case .join:
                outbox.send(.error(code: .alreadyJoined, message: "this connection has joined already"), id: id)
            case .publish(let sdp):
                guard participant.grants.publish else {
                    outbox.send(.error(code: .notAllowed, message: "the token does not grant publish"), id: id)
                    return
                }
                let result = try await service.publish(participantID: participant.id, connection: participant.connection, offer: sdp)
                // A new offer may restart ICE: a new candidate generation, a fresh count.
                candidateCounts[.publisher] = 0
                outbox.send(.published(sdp: result.answer, tracks: result.tracks), id: id)
            case .subscriberAnswer(let sdp, let version):
                try await service.answerSubscriberOffer(participantID: participant.id, connection: participant.connection, answer: sdp, version: version)
                outbox.send(.ack, id: id)
            case .restartICE:
                try await service.restartSubscriberICE(participantID: participant.id, connection: participant.connection)
                candidateCounts[.subscriber] = 0
                outbox.send(.ack, id: id)
            case .trickle(let target, let candidate):
                if !candidate.isEmpty {
                    let count = candidateCounts[target, default: 0] + 1
                    guard count <= context.limits.candidatesPerConnection else {
                        outbox.send(.error(code: .tooManyCandidates,
                                           message: "more than \(context.limits.candidatesPerConnection) candidates for the \(target.rawValue) connection"),
                                    id: id)
                        return
                    }
                    candidateCounts[target] = count
                }
                try await service.addCandidate(participantID: participant.id, connection: participant.connection, target: target, candidate: candidate)
            case .mute(let trackID, let muted):
                try await service.setMuted(participantID: participant.id, connection: participant.connection, trackID: trackID, muted: muted)
                outbox.send(.ack, id: id)
            case .videoSize(let trackID, let width, let height):
                try await service.setVideoSize(participantID: participant.id, connection: participant.connection, trackID: trackID,
                                               width: width, height: height)
                outbox.send(.ack, id: id)
            case .leave:
                await service.leave(participantID: participant.id, reason: .left)
                outbox.end(.left, messages: [ServerEnvelope(.bye(reason: LeaveReason.left.wireName), id: id)], close: .normal,
                           closeReason: LeaveReason.left.wireName)
            case .ping:
                outbox.send(.pong, id: id)
            }
        }

        private mutating func join(token: String?, resume: ResumeRequest?, id: MessageID?, receivedNanoseconds: Int64) async {
            let claims: JoinClaims
            do {
                claims = try await context.verifier.verify(token)
            } catch {
                outbox.fail(error.code, error.description, id: id)
                return
            }
            let sink: @Sendable (RoomEvent) -> Void = { [outbox] event in outbox.deliver(event) }
            let result: JoinResult
            do {
                if let resume {
                    result = try await context.roomService.resume(participantID: resume.participantID, resumeToken: resume.resumeToken,
                                                                  events: sink)
                } else {
                    let request = JoinRequest(room: claims.room, identity: claims.identity, name: claims.name, grants: claims.grants,
                                              receivedNanoseconds: receivedNanoseconds)
                    result = try await context.roomService.join(request, events: sink)
                }
            } catch {
                reply(error, id: id)
                return
            }
            // Admitted: from here on the connection's end must be reported to the SFU.
            participant = Participant(id: result.participantID, grants: claims.grants, connection: result.connection)
            session.sessionLogger.admitted(room: result.room, participantID: result.participantID)
            if resume != nil, result.room != claims.room {
                // A token for one room cannot take over a session in another.
                outbox.fail(.tokenWrongRoom, "the token is for another room than the resumed session", id: id)
                return
            }
            outbox.markJoined()
            outbox.send(.joined(.init(participantID: result.participantID, resumeToken: result.resumeToken, room: result.room,
                                      identity: claims.identity, name: claims.name ?? claims.identity, grants: claims.grants,
                                      participants: result.participants, iceServers: context.iceServers(for: result.participantID))),
                        id: id)
            outbox.releaseEvents()
            session.logger.info("joined", metadata: ["resumed": "\(resume != nil)"])
        }

        /// A refusal from the SFU: fatal codes end the session, the others are just an `error`.
        private func reply(_ error: RoomError, id: MessageID?) {
            let code = ErrorCode(error)
            if code.isFatal {
                outbox.fail(code, error.description, id: id)
            } else {
                outbox.send(.error(code: code, message: error.description), id: id)
            }
        }
    }
}
