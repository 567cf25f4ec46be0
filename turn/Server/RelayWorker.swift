import DatagramIO
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import STUN

/// One relay thread: an epoll loop over its UDP listening sockets and the relay sockets of its
/// allocations, with batched reads (recvmmsg into `DatagramReceiveRing`) and batched sends
/// (sendmmsg from `DatagramSendQueue`). Its `TURNLoop` holds the allocations and runs only here,
/// so a relayed packet takes no lock, no thread hop and no allocation.
///
/// Other threads reach the worker by posting a job (`execute`): the TCP/TLS connections, which
/// SwiftNIO runs, post their framed messages once per read batch; the server posts setup,
/// statistics and shutdown.
final class RelayWorker: @unchecked Sendable {
    let index: Int
    private let poller: ReadinessPoller
    let ring = DatagramReceiveRing()
    let sendQueue = DatagramSendQueue()
    private(set) var loop: TURNLoop!
    private let inbox = NIOLockedValueBox(Inbox())
    private let exit = NIOLockedValueBox(Exit())
    /// Indexed by file descriptor (small integers the kernel reuses): what a ready descriptor is.
    private var registrations: [Registration?] = []
    private var running = true
    /// Datagrams read from one socket per wakeup at most, so one busy socket cannot starve the
    /// others (the poller is level-triggered: the rest is read next round).
    private static let batch = 32
    private static let batchesPerWakeup = 4

    private enum Registration {
        case listener(ListenerSocket)
        case relay(Allocation)
    }

    private struct Inbox {
        var jobs: [@Sendable () -> Void] = []
        var accepting = true
    }

    private struct Exit {
        var done = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    init(index: Int, state: TURNServerState) throws(DatagramIOError) {
        self.index = index
        poller = try ReadinessPoller()
        loop = TURNLoop(worker: self, state: state)
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "turn-relay-\(index)"
        thread.start()
    }

    /// Runs `job` on the worker thread. False when the worker has stopped (the job is dropped).
    @discardableResult
    func execute(_ job: @escaping @Sendable () -> Void) -> Bool {
        let (accepted, wasEmpty) = inbox.withLockedValue { inbox -> (Bool, Bool) in
            guard inbox.accepting else { return (false, false) }
            inbox.jobs.append(job)
            return (true, inbox.jobs.count == 1)
        }
        if wasEmpty { poller.wakeUp() }
        return accepted
    }

    /// Runs `body` with the loop on the worker thread and returns its result; nil when the worker
    /// has stopped.
    func submit<T: Sendable>(_ body: @escaping @Sendable (TURNLoop) -> T) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let accepted = execute { [self] in continuation.resume(returning: body(loop)) }
            if !accepted { continuation.resume(returning: nil) }
        }
    }

    /// Stops the thread: every allocation and socket of this worker is closed. Returns once the
    /// thread has finished.
    func stop() async {
        execute { [self] in running = false }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = exit.withLockedValue { exit -> Bool in
                if !exit.done { exit.waiters.append(continuation) }
                return exit.done
            }
            if done { continuation.resume() }
        }
    }

    // MARK: Sockets (worker thread only)

    func register(_ listener: ListenerSocket) throws(DatagramIOError) {
        try poller.add(listener.socket.descriptor, token: UInt64(listener.socket.descriptor))
        setRegistration(.listener(listener), for: listener.socket.descriptor)
    }

    func register(relay socket: DatagramSocket, for allocation: Allocation) throws(DatagramIOError) {
        try poller.add(socket.descriptor, token: UInt64(socket.descriptor))
        setRegistration(.relay(allocation), for: socket.descriptor)
    }

    /// Stops reading `socket` and closes it.
    func close(_ socket: DatagramSocket) {
        let descriptor = Int(socket.descriptor)
        guard descriptor >= 0 else { return }
        // Datagrams queued for this socket leave first: once closed, its descriptor number may
        // be reused by a new socket in this same round, which must not send them.
        if !sendQueue.isEmpty { loop.counters.dropped += sendQueue.flush().refused }
        if descriptor < registrations.count { registrations[descriptor] = nil }
        poller.remove(socket.descriptor)
        socket.close()
    }

    private func setRegistration(_ registration: Registration, for descriptor: Int32) {
        let index = Int(descriptor)
        if index >= registrations.count { registrations.append(contentsOf: repeatElement(nil, count: index + 64 - registrations.count)) }
        registrations[index] = registration
    }

    // MARK: The loop

    private func run() {
        var nextSweep = DispatchTime.now().uptimeNanoseconds + 1_000_000_000
        while running {
            let now = DispatchTime.now().uptimeNanoseconds
            let timeout = nextSweep > now ? Int32((nextSweep - now + 999_999) / 1_000_000) : 0
            var woken = false
            do {
                try poller.wait(timeoutMilliseconds: timeout) { token in
                    if token == ReadinessPoller.wakeupToken {
                        woken = true
                    } else {
                        ready(Int(truncatingIfNeeded: token))
                    }
                }
            } catch {
                loop.state.logger.error("relay worker cannot wait for its sockets", metadata: ["error": "\(error)"])
                break
            }
            endOfBatch()
            if woken { runJobs() }
            if DispatchTime.now().uptimeNanoseconds >= nextSweep {
                loop.sweep()
                nextSweep += 1_000_000_000
            }
            loop.flushStreams()
        }
        inbox.withLockedValue { $0.accepting = false }
        runJobs()  // jobs posted before the stop: continuations waiting on them resume
        loop.stop()
        for case .listener(let listener)? in registrations { listener.socket.close() }
        registrations.removeAll()
        let waiters = exit.withLockedValue { exit -> [CheckedContinuation<Void, Never>] in
            exit.done = true
            defer { exit.waiters.removeAll() }
            return exit.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    @inline(__always)
    private func ready(_ descriptor: Int) {
        guard descriptor < registrations.count, let registration = registrations[descriptor] else { return }
        for _ in 0..<Self.batchesPerWakeup {
            if ring.free < Self.batch { endOfBatch() }
            let slots = ring.receive(from: Int32(descriptor), maximum: Self.batch)
            switch registration {
            case .listener(let listener):
                for slot in slots { loop.listenerDatagram(slot, listener: listener) }
            case .relay(let allocation):
                for slot in slots where !allocation.isClosed { loop.relayFromPeer(slot, allocation: allocation) }
            }
            if slots.count < Self.batch { break }
        }
    }

    /// Sends what the reads queued, then frees the receive slots the sends pointed into.
    @inline(__always)
    private func endOfBatch() {
        if !sendQueue.isEmpty {
            let result = sendQueue.flush()
            loop.counters.dropped += result.refused
        }
        ring.reset()
    }

    private func runJobs() {
        while true {
            let jobs = inbox.withLockedValue { inbox -> [@Sendable () -> Void] in
                defer { inbox.jobs.removeAll(keepingCapacity: true) }
                return inbox.jobs
            }
            if jobs.isEmpty { return }
            for job in jobs { job() }
            endOfBatch()
        }
    }
}

/// A UDP listening socket of one worker (SO_REUSEPORT spreads clients over the workers by
/// 5-tuple hash): STUN requests and indications, and ChannelData (RFC 7983 demultiplexing).
final class ListenerSocket: @unchecked Sendable {
    let socket: DatagramSocket
    var serverAddress: STUNTransportAddress { socket.localAddress }
    var id: ObjectIdentifier { ObjectIdentifier(self) }

    init(socket: DatagramSocket) {
        self.socket = socket
    }
}
