import Foundation
import SFU

/// Everything a session sends, in order: replies, room events, `bye` and the close frame.
///
/// One `AsyncStream` per connection, drained by one writer task, gives the ordering the
/// protocol promises. Events from the SFU (any thread, synchronous sink) are held while a
/// request is being handled and sent after its reply, so that a client never sees, say, a
/// server candidate for a peer connection before the `published` answer that creates it.
final class SessionOutbox: Sendable {
    enum Item: Sendable {
        case message(ServerEnvelope)
        case close(CloseCode, reason: String)
    }

    /// Why the session ended; decides what the SFU is told afterwards.
    enum Ending: Equatable, Sendable {
        /// The client sent `leave` (the SFU was told already).
        case left
        /// The SFU ended the session (`sessionEnded`): nothing to tell it.
        case endedBySFU
        /// The server is stopping: the participant leaves with `server-shutdown`.
        case serverShutdown
        /// A fatal error, a timeout, or the connection dropped: the participant is
        /// `disconnected` and may resume within the grace period.
        case dropped
    }

    let stream: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let state: LockedState

    /// Lock-protected; `Sendable` through the lock (NSLock: `Mutex` needs macOS 15).
    private final class LockedState: @unchecked Sendable {
        let lock = NSLock()
        var holding = true  // events wait until `joined` is sent
        var held: [RoomEvent] = []
        var ending: Ending?
        var lastActivity = ContinuousClock.now
        var joined = false
    }

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Item.self)
        state = LockedState()
    }

    var ending: Ending? { state.lock.withLock { state.ending } }
    var isEnding: Bool { ending != nil }

    // MARK: - Replies

    func send(_ message: ServerMessage, id: MessageID? = nil) {
        state.lock.withLock {
            guard state.ending == nil else { return }
            continuation.yield(.message(ServerEnvelope(message, id: id)))
        }
    }

    // MARK: - Events

    /// The SFU's event sink for this connection.
    func deliver(_ event: RoomEvent) {
        state.lock.withLock {
            guard state.ending == nil else { return }
            if state.holding {
                state.held.append(event)
            } else {
                emitLocked(event)
            }
        }
    }

    /// Hold events while a request is handled.
    func holdEvents() {
        state.lock.withLock { state.holding = true }
    }

    /// Send what was held (after the request's reply) and pass events straight on again.
    func releaseEvents() {
        state.lock.withLock {
            state.holding = false
            let held = state.held
            state.held = []
            for event in held where state.ending == nil {
                emitLocked(event)
            }
        }
    }

    private func emitLocked(_ event: RoomEvent) {
        if let message = event.serverMessage {
            continuation.yield(.message(ServerEnvelope(message)))
        } else if case .sessionEnded(let reason) = event {
            endLocked(.endedBySFU, messages: [ServerEnvelope(.bye(reason: reason.wireName))], close: .normal,
                      closeReason: reason.wireName)
        }
    }

    // MARK: - Ending

    /// Sends `messages` (an error, `bye`), then the close frame, and accepts nothing more.
    /// Returns false when the session was ending already.
    @discardableResult
    func end(_ ending: Ending, messages: [ServerEnvelope], close: CloseCode, closeReason: String) -> Bool {
        state.lock.withLock { endLocked(ending, messages: messages, close: close, closeReason: closeReason) }
    }

    /// A fatal protocol error: `error`, `bye` with the code as reason, close.
    @discardableResult
    func fail(_ code: ErrorCode, _ message: String, id: MessageID?) -> Bool {
        end(.dropped, messages: [ServerEnvelope(.error(code: code, message: message), id: id), ServerEnvelope(.bye(reason: code.rawValue))],
            close: .after(code), closeReason: code.rawValue)
    }

    /// Server shutdown: `bye` (`server-shutdown`) and close 1001.
    @discardableResult
    func shutDown() -> Bool {
        end(.serverShutdown, messages: [ServerEnvelope(.bye(reason: LeaveReason.serverShutdown.wireName))], close: .goingAway,
            closeReason: LeaveReason.serverShutdown.wireName)
    }

    /// The connection is gone (the client closed it or it dropped): stop the writer.
    func connectionClosed() {
        state.lock.withLock {
            if state.ending == nil { state.ending = .dropped }
            continuation.finish()
        }
    }

    @discardableResult
    private func endLocked(_ ending: Ending, messages: [ServerEnvelope], close: CloseCode, closeReason: String) -> Bool {
        guard state.ending == nil else { return false }
        state.ending = ending
        state.held = []
        for message in messages { continuation.yield(.message(message)) }
        continuation.yield(.close(close, reason: closeReason))
        continuation.finish()
        return true
    }

    // MARK: - Timeouts

    /// Any message from the client counts as activity.
    func touch() {
        state.lock.withLock { state.lastActivity = .now }
    }

    func markJoined() {
        state.lock.withLock {
            state.joined = true
            state.lastActivity = .now
        }
    }

    /// (joined, last activity) for the watchdog.
    var activity: (joined: Bool, lastActivity: ContinuousClock.Instant) {
        state.lock.withLock { (state.joined, state.lastActivity) }
    }
}
