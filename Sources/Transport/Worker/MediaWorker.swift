import CDatagram
import CNice
import Foundation

/// A media worker: one thread running one GLib main context.
///
/// Everything a worker owns (ICE agents, DTLS and SRTP sessions, rooms later) is created, used
/// and destroyed on its thread, so the packet path (receive, unprotect, route, protect, send) needs
/// no lock and no hop: libnice delivers each datagram on this thread and the same call stack sends
/// the result. Other threads reach a worker only through `post`, which queues a closure on the
/// context (GMainContext is thread-safe for attaching sources). See docs/architecture.md.
public final class MediaWorker: @unchecked Sendable {
    public let index: Int
    /// The worker's GMainContext; libnice agents are created on it.
    let context: OpaquePointer
    /// The thread's loop (GLib's iteration with media sockets read directly); worker thread only.
    let loop: WorkerLoop
    private let started = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Written once on the worker thread before `started` is signalled, then only read.
    private nonisolated(unsafe) var threadID: pthread_t?
    private let stopLock = NSLock()
    private var stopped = false

    /// Scratch space for one packet at a time: received datagrams are copied here, unprotected,
    /// rewritten and protected in place. Touched only on the worker thread. 2048 bytes hold any
    /// UDP payload the transport accepts (1500-byte MTU) plus the SRTP trailer.
    public let packetBuffer: UnsafeMutableRawBufferPointer

    /// Where a datagram read directly from a media socket lands (WorkerLoop) before the
    /// transport copies it into `packetBuffer`: 2048 bytes, more than a 1500-byte MTU allows.
    let receiveBuffer: UnsafeMutableRawBufferPointer

    /// A second scratch buffer for the packet path: a forwarded packet is copied here from
    /// `packetBuffer` for each subscriber, rewritten and protected, leaving the received packet
    /// intact for the next subscriber. Also used by RTCP writers on the worker's timers.
    public let forwardBuffer: UnsafeMutableRawBufferPointer

    /// When the datagram being handled arrived (monotonic nanoseconds, set by the transport): the
    /// kernel's receive time for RTP on a direct pair, else when libnice handed it over. The
    /// "packet in" of the forwarding latency, and the RTP arrival time of RFC 3550 A.8.
    @exclusivity(unchecked) public internal(set) var arrivalNanoseconds: Int64 = 0
    /// Packet in to packet out, for every forwarded copy (worker thread only; read with `sync`):
    /// those sent at once and those held for the end of a read (HeldSends).
    public var forwardingLatency: LatencyHistogram {
        var merged = directForwardingLatency
        merged.merge(heldSends.latency)
        return merged
    }
    /// The forwarding latency of copies sent at once (ICEAgent.send).
    @exclusivity(unchecked) var directForwardingLatency = LatencyHistogram()
    /// Kernel receive to the worker reading it, for every RTP datagram with a kernel stamp
    /// (worker thread only): the time a packet queued in its socket while the worker slept or
    /// was busy with other packets, the part of forwarding latency that is not the fan-out.
    @exclusivity(unchecked) public var receiveWait = LatencyHistogram()
    /// Forwarded copies sent (worker thread only).
    @exclusivity(unchecked) public var packetsForwarded = 0
    /// Sends held during a read of a media socket and sent together at its end (worker thread
    /// only; ICEAgent.readSelectedSocket).
    let heldSends = HeldSends<SelectedPairSocket>()
    /// Datagrams sent from held sends, those that left in runs of two or more to one socket
    /// (one sendmsg with UDP segmentation each), and the runs (worker thread only).
    public var heldDatagramsSent: Int { heldSends.datagramsSent }
    public var heldDatagramsInRuns: Int { heldSends.datagramsInRuns }
    public var heldRuns: Int { heldSends.runs }
    /// Held datagrams dropped: the kernel refused them (a full send buffer) or their socket closed.
    public var heldDatagramsDropped: Int { heldSends.datagramsRefused }
    /// Datagrams the loop read itself from media sockets, and GLib iterations it ran (worker
    /// thread only; WorkerLoop).
    public var directDatagrams: Int { loop.directDatagrams }
    public var glibIterations: Int { loop.glibIterations }

    public init(index: Int) {
        self.index = index
        context = g_main_context_new()
        loop = WorkerLoop(context: context)
        receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
        receiveBuffer.initializeMemory(as: UInt8.self, repeating: 0)
        packetBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
        packetBuffer.initializeMemory(as: UInt8.self, repeating: 0)
        forwardBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
        forwardBuffer.initializeMemory(as: UInt8.self, repeating: 0)
        let thread = Thread { [self] in run() }
        thread.name = "media-worker-\(index)"
        thread.stackSize = 1 << 20
        thread.start()
        started.wait()
    }

    deinit {
        stop()
        g_main_context_unref(context)
        receiveBuffer.deallocate()
        packetBuffer.deallocate()
        forwardBuffer.deallocate()
    }

    private func run() {
        threadID = pthread_self()
        // Foundation's Thread.name does not reach the kernel here; the kernel's name (15 bytes) is
        // what top -H, ps -L and perf show, and what an operator pins or prioritises by.
        _ = cdatagram_name_thread("media-worker-\(index)")
        g_main_context_push_thread_default(context)
        started.signal()
        loop.run()
        // Run what was posted before the quit (close-downs) so nothing is left half-released.
        while g_main_context_iteration(context, sfu_g_false()) != 0 {}
        g_main_context_pop_thread_default(context)
        finished.signal()
    }

    /// CPU time this thread has used, in nanoseconds (CLOCK_THREAD_CPUTIME_ID): on the worker
    /// only. Its rate against the wall clock is the worker's load.
    public func threadCPUNanoseconds() -> Int64 {
        precondition(isCurrent, "a thread's CPU clock is read on that thread")
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Monotonic nanoseconds (CLOCK_MONOTONIC through the vDSO: no system call).
    @inline(__always)
    public static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// True when called on this worker's thread.
    public var isCurrent: Bool {
        guard let threadID else { return false }
        return pthread_equal(threadID, pthread_self()) != 0
    }

    /// How posted work is ordered against libnice's sockets and timers (the worker's own timers,
    /// `WorkerTimer`, run from its loop between GLib's turns, before or after posted work).
    public enum WorkPriority: Sendable {
        /// With libnice's sockets and timers, in order of posting: control-plane requests.
        case control
        /// When no libnice timer, control work or datagram for libnice is ready (GLib's idle priority),
        /// but at the latest after `setupDeadlineMilliseconds`: setting up connections, which
        /// can take a millisecond each. In a join storm every admission is answered first; media
        /// the loop reads itself (WorkerLoop) is served between set-up items, not before all of
        /// them. On a worker so busy that something is ready at every turn, set-up still runs
        /// once its deadline passes, at control priority.
        case setup
    }

    /// How long set-up work waits for a quiet moment before it runs anyway.
    public static let setupDeadlineMilliseconds = 250

    /// Runs `work` on the worker thread, after what is already queued at its priority.
    public func post(priority: WorkPriority = .control, _ work: @escaping @Sendable () -> Void) {
        // From the worker itself no wake-up is written: the loop must not go back to waiting on
        // media sockets alone before GLib has seen the new source.
        if isCurrent { loop.needsIteration = true }
        let box = WorkBox(work)
        switch priority {
        case .control:
            post(box, priority: 0, delayMilliseconds: 0)  // G_PRIORITY_DEFAULT
        case .setup:
            // Two sources, one box: whichever fires first runs the work, the other finds it gone.
            post(box, priority: 200, delayMilliseconds: 0)  // G_PRIORITY_DEFAULT_IDLE
            post(box, priority: 0, delayMilliseconds: Self.setupDeadlineMilliseconds)
        }
    }

    /// One GLib source for `box`, holding a reference that GLib's destroy notify drops.
    private func post(_ box: WorkBox, priority: Int32, delayMilliseconds: Int) {
        sfu_context_post(context, priority, guint(delayMilliseconds), runWorkBox, Unmanaged.passRetained(box).toOpaque(),
                         releaseWorkBox)
    }

    /// Runs `work` on the worker and waits for its result (control plane and tests only).
    public func sync<T: Sendable>(_ work: @escaping @Sendable () throws -> T) throws -> T {
        if isCurrent { return try work() }
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox<T>()
        post {
            result.value = Result { try work() }
            done.signal()
        }
        done.wait()
        return try result.value!.get()
    }

    /// Runs `work` on the worker and resumes the calling task with its result: how async
    /// control-plane code (signaling, room changes) reaches worker-owned state.
    public func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            post {
                do throws(E) {
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Stops the loop after the work already posted, and joins the thread. Idempotent.
    public func stop() {
        stopLock.lock()
        let already = stopped
        stopped = true
        stopLock.unlock()
        guard !already else { return }
        let loop = UncheckedSendable(self.loop)
        post { loop.value.stop() }
        if !isCurrent { finished.wait() }
    }
}

/// A fixed set of workers, one per core by default; rooms and sessions are spread over them.
public final class MediaWorkerPool: Sendable {
    public let workers: [MediaWorker]

    public init(count: Int = ProcessInfo.processInfo.activeProcessorCount) {
        workers = (0..<max(1, count)).map { MediaWorker(index: $0) }
    }

    /// The worker for the `n`th placement (round robin).
    public func worker(for n: Int) -> MediaWorker { workers[abs(n) % workers.count] }

    public func stop() { workers.forEach { $0.stop() } }
}

/// Posted work, run at most once by whichever of its sources fires first; touched on the worker
/// thread only after `post`.
private final class WorkBox {
    var work: (@Sendable () -> Void)?
    init(_ work: @escaping @Sendable () -> Void) { self.work = work }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, any Error>?
}

/// Carries a C pointer whose thread-safety the surrounding code guarantees.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

private let runWorkBox: @convention(c) (UnsafeMutableRawPointer?) -> gboolean = { pointer in
    guard let pointer else { return sfu_g_false() }
    let box = Unmanaged<WorkBox>.fromOpaque(pointer).takeUnretainedValue()
    if let work = box.work {
        box.work = nil
        work()
    }
    return sfu_g_false()  // G_SOURCE_REMOVE: run once
}

private let releaseWorkBox: @convention(c) (UnsafeMutableRawPointer?) -> Void = { pointer in
    guard let pointer else { return }
    Unmanaged<WorkBox>.fromOpaque(pointer).release()
}
