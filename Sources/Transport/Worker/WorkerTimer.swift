/// A timer on a media worker; its handler runs on the worker thread, from the worker's loop
/// (`WorkerTimerQueue`: not a GLib source).
///
/// A repeating timer keeps its own schedule: each firing is due one interval after the previous
/// one was due, not after the loop got round to it, so it neither drifts nor falls into step
/// with other timers that happened to fire in the same turn (GLib's own timeouts re-arm from
/// the iteration's cached time and do both: independent 5 ms pacers became one burst). When the
/// worker is late by more than an interval, the missed firings are skipped, not run back to back.
///
/// Every timer fires at its due time, to the kernel's timer slack. Not on a shared grid: with
/// participants' 1 s report timers gathered onto 33 ms grid points, each point ran some 17 of
/// them back to back, 1.3 ms during which packets waited (docs/benchmarks.md); on their own
/// phases they interleave with the packets.
///
/// Owned by one object on that worker, cancelled in `cancel()` or `deinit`. Not thread-safe.
public final class WorkerTimer {
    private let worker: MediaWorker
    /// The pending firing's id in the worker's queue; 0 when none is pending.
    private var id: UInt64 = 0
    private var handler: () -> Void = {}
    private var repeats = false
    /// Microseconds: the interval, and when the pending firing is due (monotonic clock).
    private var interval = 0
    private var deadline = 0

    public init(worker: MediaWorker) { self.worker = worker }

    deinit { cancel() }

    /// Fires `handler` after `milliseconds`, then every `milliseconds` if `repeats`.
    /// Replaces any pending firing.
    public func schedule(after milliseconds: Int, repeats: Bool = false, _ handler: @escaping () -> Void) {
        cancel()
        self.handler = handler
        self.repeats = repeats
        interval = max(0, milliseconds) * 1000
        deadline = Self.nowMicroseconds() + interval
        id = worker.loop.timers.add(self, due: deadline)
    }

    public var isScheduled: Bool { id != 0 }

    /// When the pending firing is due, in monotonic microseconds; nil when none is.
    public var dueMicroseconds: Int? { id == 0 ? nil : deadline }

    public func cancel() {
        guard id != 0 else { return }
        worker.loop.timers.remove(id: id)
        id = 0
    }

    /// Called by the queue for the firing `firing`, at `now` (monotonic microseconds, before the handler).
    func fire(id firing: UInt64, now: Int) {
        guard firing == id else { return }
        if !repeats {
            worker.loop.timers.remove(id: firing)
            id = 0
        }
        handler()
        // Only a repeating timer that its handler neither cancelled nor rescheduled goes on.
        guard repeats, id == firing else { return }
        // Against the time before the handler: a handler's own duration does not skip a tick.
        deadline = Self.next(after: deadline, interval: interval, now: now)
        worker.loop.timers.reschedule(id: firing, due: deadline)
    }

    static func nowMicroseconds() -> Int { Int(MediaWorker.monotonicNanoseconds() / 1000) }

    /// The next due time of a repeating timer that was due at `deadline`: one interval later,
    /// or, when that has passed already, the first multiple of the interval still ahead (the
    /// phase is kept, the missed firings are dropped).
    public static func next(after deadline: Int, interval: Int, now: Int) -> Int {
        let following = deadline + max(1, interval)
        guard following <= now, interval > 0 else { return following }
        return following + ((now - following) / interval + 1) * interval
    }
}
