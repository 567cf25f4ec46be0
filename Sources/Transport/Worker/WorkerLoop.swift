import CDatagram
import CNice
#if canImport(Glibc)
import Glibc
#endif

/// A media worker thread's loop: GLib's iteration (prepare, query, poll, check, dispatch) run by
/// hand, with two changes that matter when packets arrive one by one from many peers.
///
/// - The poll is answered from an epoll set that mirrors GLib's descriptor array between
///   iterations (`cdatagram_pollset_*`), instead of poll(2) visiting every participant's socket
///   at every wake-up.
/// - A ready media socket, the selected pair of an ICE agent on this worker (`ICEAgent`
///   registers it), is read here directly and its datagrams go to the agent's receive handler,
///   without a GLib iteration at all. A GLib iteration prepares and checks every source of the
///   context: libnice keeps four per agent (socket, check schedule, keepalive, consent timers),
///   about 25 us a wake-up at 200 participants on the machine of docs/benchmarks.md, more under
///   load, which the fast path pays only when GLib has work: one of libnice's timers due, work
///   posted, a datagram libnice must see (STUN, RFC 7983's 0-3, and anything not from the
///   selected remote address: connectivity and consent checks stay libnice's).
///
/// The worker's own timers (`WorkerTimer`) are not GLib sources: the loop keeps them in `timers`
/// and runs them while it waits, at their due time (epoll_pwait2 to the nanosecond; whole
/// milliseconds in the poll(2) fallback, or where the kernel refuses epoll_pwait2), between two
/// sockets' packets if need be, without a GLib iteration; they wait out a GLib dispatch that is
/// running. They run between GLib's query and check, like the media handlers.
///
/// GLib does not tell this loop when a source is attached or re-armed on its own thread, so the
/// code that does so while the loop is outside GLib's dispatch (media handlers and timer
/// handlers alike) says it: `needsIteration` (MediaWorker.post from the worker, the agent's
/// gathering, restart and close).
/// As a guard for anything missed (libnice arming a TURN retransmission on a send through the
/// agent: hundreds of milliseconds), GLib still gets an iteration every
/// `maximumFastMilliseconds`. Work posted below GLib's default priority (set-up work) runs in
/// any turn where nothing of GLib's at default priority is ready: media read here does not hold
/// it back, as media sockets' readiness did under poll(2).
final class WorkerLoop {
    /// How long the loop serves media sockets alone before GLib gets an iteration anyway.
    static let maximumFastMilliseconds: Int64 = 50

    private let context: OpaquePointer
    private let pollset: OpaquePointer?
    /// False after epoll refused a descriptor: plain poll(2) and GLib for everything from then on.
    private var epollUsable: Bool
    private var descriptors: UnsafeMutablePointer<GPollFD>
    private var descriptorCapacity = 64
    private let readyCapacity = 256
    private let ready: UnsafeMutablePointer<Int32>
    private let readyEvents: UnsafeMutablePointer<UInt32>
    /// Agents whose selected pair's socket this loop reads, by descriptor number (unretained:
    /// an agent removes itself before it lets go of the socket).
    private var direct: [Unmanaged<ICEAgent>?] = []

    /// Cleared by `stop`: the loop returns after the current iteration.
    private(set) var isRunning = true
    /// Set by code on this thread that attached or re-armed a GLib source: GLib must prepare
    /// again before the loop waits.
    var needsIteration = false
    /// Datagrams read by the loop itself from media sockets, and GLib iterations run: their
    /// ratio to the packets received shows how much of the traffic took the fast path.
    private(set) var directDatagrams = 0
    private(set) var glibIterations = 0
    /// The worker's pending timers, run by this loop.
    let timers = WorkerTimerQueue()

    init(context: OpaquePointer) {
        self.context = context
        pollset = cdatagram_pollset_create()
        epollUsable = pollset != nil
        descriptors = .allocate(capacity: descriptorCapacity)
        ready = .allocate(capacity: readyCapacity)
        readyEvents = .allocate(capacity: readyCapacity)
    }

    deinit {
        cdatagram_pollset_destroy(pollset)
        descriptors.deallocate()
        ready.deallocate()
        readyEvents.deallocate()
    }

    func stop() {
        isRunning = false
        needsIteration = true
    }

    /// Reads `descriptor` here and hands its datagrams to `agent` (ICEAgent.readSelectedSocket).
    func addDirect(descriptor: Int32, agent: ICEAgent) {
        guard descriptor >= 0 else { return }
        let index = Int(descriptor)
        if index >= direct.count { direct.append(contentsOf: repeatElement(nil, count: index + 1 - direct.count)) }
        direct[index] = Unmanaged.passUnretained(agent)
    }

    /// Descriptors were opened on this worker (an agent gathered its sockets): the epoll set
    /// re-checks all of them at the next update, as one may reuse a closed one's number.
    func descriptorsOpened() {
        needsIteration = true
        if let pollset { cdatagram_pollset_descriptors_opened(pollset) }
    }

    func removeDirect(descriptor: Int32, agent: ICEAgent) {
        let index = Int(descriptor)
        guard index >= 0, index < direct.count, let entry = direct[index], entry.toOpaque() == Unmanaged.passUnretained(agent).toOpaque()
        else { return }
        direct[index] = nil
    }

    /// Runs until `stop`, on the thread that owns the context.
    func run() {
        _ = g_main_context_acquire(context)
        while isRunning { iterate() }
        g_main_context_release(context)
    }

    private func iterate() {
        var priority: gint = 0
        _ = g_main_context_prepare(context, &priority)
        var timeout: gint = -1
        var count = Int(g_main_context_query(context, priority, &timeout, descriptors, gint(descriptorCapacity)))
        while count > descriptorCapacity {
            descriptors.deallocate()
            descriptorCapacity = count * 2
            descriptors = .allocate(capacity: descriptorCapacity)
            count = Int(g_main_context_query(context, priority, &timeout, descriptors, gint(descriptorCapacity)))
        }
        let array = UnsafeMutableRawPointer(descriptors).assumingMemoryBound(to: pollfd.self)
        if epollUsable, let pollset, cdatagram_pollset_update(pollset, array, guint(count)) != 0 { epollUsable = false }
        let start = MediaWorker.monotonicNanoseconds()
        let glibDeadline = timeout < 0 ? Int64.max : start + Int64(timeout) * 1_000_000
        if epollUsable, let pollset {
            let readyCount = waitServingMedia(pollset, until: min(glibDeadline, start + Self.maximumFastMilliseconds * 1_000_000))
            _ = cdatagram_pollset_answer(pollset, array, guint(count), ready, readyEvents, readyCount)
        } else {
            // Plain poll(2): whole milliseconds, rounded up, for the timers as well.
            var wait = timeout
            if let due = timers.earliest {
                let untilDue = gint(min(Int64(Int32.max), max(0, (Self.nanoseconds(due) - start) / 1_000_000 + 1)))
                wait = wait < 0 ? untilDue : min(wait, untilDue)
            }
            _ = poll(array, nfds_t(count), wait)
            timers.runDue(now: WorkerTimer.nowMicroseconds())
        }
        glibIterations &+= 1
        // Whatever GLib has ready runs, set-up work at idle priority included even when media was
        // read directly in this turn. Holding it back until a turn without media (as poll(2)
        // did, where the media sockets' readiness outranked it) was tried and measured worse:
        // its idle sources stay ready, so every turn is a non-blocking one and pays GLib's
        // prepare and check, 15 against 10 us a copy at 200 subscribers (docs/benchmarks.md).
        if g_main_context_check(context, priority, descriptors, gint(count)) != 0 {
            g_main_context_dispatch(context)
        }
    }

    /// Monotonic microseconds as nanoseconds, saturating (a due time centuries ahead is "never").
    private static func nanoseconds(_ microseconds: Int) -> Int64 {
        guard microseconds > 0 else { return 0 }
        let (product, overflow) = Int64(microseconds).multipliedReportingOverflow(by: 1_000)
        return overflow ? .max : product
    }

    /// Waits for GLib's descriptors until `glibDeadline` (monotonic nanoseconds), reading ready
    /// media sockets directly and running due timers for as long as nothing of GLib's is ready;
    /// returns the last wait's ready count, with the descriptors already served set to -1.
    private func waitServingMedia(_ pollset: OpaquePointer, until glibDeadline: Int64) -> Int32 {
        needsIteration = false
        while true {
            var now = MediaWorker.monotonicNanoseconds()
            if timers.runDue(now: Int(now / 1_000)) { now = MediaWorker.monotonicNanoseconds() }
            if needsIteration || !isRunning { return 0 }
            var deadline = glibDeadline
            if let due = timers.earliest { deadline = min(deadline, Self.nanoseconds(due)) }
            let wait = now >= deadline ? 0 : (deadline == .max ? -1 : deadline - now)
            let count = cdatagram_pollset_wait(pollset, ready, readyEvents, gint(readyCapacity), wait)
            guard count > 0 else {
                // Timed out: GLib's turn, or a timer's (served at the top); EINTR: go round.
                if MediaWorker.monotonicNanoseconds() >= glibDeadline { return 0 }
                continue
            }
            var forGLib = false
            for index in 0..<Int(count) {
                let descriptor = Int(ready[index])
                // Only plain readability is ours; errors and hang-ups are GLib's (libnice's) to see.
                if readyEvents[index] == UInt32(POLLIN), descriptor < direct.count, let entry = direct[descriptor] {
                    let agent = entry.takeUnretainedValue()
                    var served = 0
                    let drained = agent.readSelectedSocket(counting: &served)
                    directDatagrams &+= served
                    // A timer that fell due meanwhile (a pacer) runs now, not after the whole batch.
                    timers.runDue(now: WorkerTimer.nowMicroseconds())
                    if drained {
                        ready[index] = -1
                        continue
                    }
                }
                forGLib = true
            }
            // GLib's timeout 0 (something of its own ready) made the deadline the start: one round.
            if forGLib || needsIteration || !isRunning || MediaWorker.monotonicNanoseconds() >= glibDeadline {
                return count
            }
        }
    }
}
