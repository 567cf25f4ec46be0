import Foundation

/// The open sessions: counted for `/healthz`, told to end on shutdown.
final class SessionRegistry: Sendable {
    private let state = LockedState()

    private final class LockedState: @unchecked Sendable {
        let lock = NSLock()
        var sessions: [UInt64: SignalingSession] = [:]
        var nextID: UInt64 = 1
        var shuttingDown = false
    }

    var count: Int { state.lock.withLock { state.sessions.count } }
    var isShuttingDown: Bool { state.lock.withLock { state.shuttingDown } }

    /// A fresh session id.
    func makeID() -> UInt64 {
        state.lock.withLock {
            defer { state.nextID += 1 }
            return state.nextID
        }
    }

    /// False once shutdown has begun: the caller refuses the connection.
    func add(_ session: SignalingSession) -> Bool {
        state.lock.withLock {
            guard !state.shuttingDown else { return false }
            state.sessions[session.id] = session
            return true
        }
    }

    func remove(_ session: SignalingSession) {
        state.lock.withLock { _ = state.sessions.removeValue(forKey: session.id) }
    }

    /// Every session gets `bye` (`server-shutdown`) and is closed; new ones are refused.
    func shutDownAll() {
        let sessions = state.lock.withLock {
            state.shuttingDown = true
            return Array(state.sessions.values)
        }
        for session in sessions { session.outbox.shutDown() }
    }

    /// Waits until every session has finished (its SFU call included), at most `timeout`.
    func waitUntilEmpty(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while count > 0, ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                return
            }
        }
    }
}
