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
/// Owned by one object on that worker; scheduled and cancelled on the worker thread only. It may
/// be released anywhere: a pending firing of a released timer is dropped when due.
public final class WorkerTimer {
    private let worker: MediaWorker
    /// The pending firing's slot in the worker's queue; nil when none is pending.
    private var slot: WorkerTimerQueue.Slot?
    private var handler: () -> Void = {}
    private var repeats = false
    /// Microseconds: the interval, and when the pending firing is due (monotonic clock).
    private var interval = 0
    private var deadline = 0

    public init(worker: MediaWorker) { self.worker = worker }

    // No cancel in deinit: it may run off the worker, and the queue holds the timer weakly.

    /// Fires `handler` after `milliseconds`, then every `milliseconds` if `repeats`.
    /// Replaces any pending firing.
    public func schedule(after milliseconds: Int, repeats: Bool = false, _ handler: @escaping () -> Void) {
        cancel()
        self.handler = handler
        self.repeats = repeats
        interval = max(0, milliseconds) * 1000
        deadline = Self.nowMicroseconds() + interval
        slot = worker.loop.timers.add(self, due: deadline)
    }

    public var isScheduled: Bool { slot != nil }

    /// When the pending firing is due, in monotonic microseconds; nil when none is.
    public var dueMicroseconds: Int? { slot == nil ? nil : deadline }

    public func cancel() {
        guard let slot else { return }
        worker.loop.timers.cancel(slot)
        self.slot = nil
    }

    /// Called by the queue for the firing of `firing`, at `now` (monotonic microseconds, before
    /// the handler).
    func fire(_ firing: WorkerTimerQueue.Slot, now: Int) {
        guard firing === slot else { return }
        if !repeats {
            worker.loop.timers.cancel(firing)
            slot = nil
        }
        // The handler may release the timer's owner and with it the timer: keep it to the end.
        withExtendedLifetime(self) {
            handler()
            // Only a repeating timer that its handler neither cancelled nor rescheduled goes on.
            guard repeats, firing === slot else { return }
            // Against the time before the handler: a handler's own duration does not skip a tick.
            deadline = Self.next(after: deadline, interval: interval, now: now)
            worker.loop.timers.reschedule(firing, due: deadline)
        }
    }

    static func nowMicroseconds() -> Int { Int(MediaWorker.monotonicNanoseconds() / 1000) }

    /// The next due time of a repeating timer that was due at `deadline`: one interval later,
    /// or, when that has passed already, the first multiple of the interval still ahead (the
    /// phase is kept, the missed firings are dropped).
    public static func next(after deadline: Int, interval: Int, now: Int) -> Int {
        // A 0 ms repeating timer steps 1 us at a time, and skips what it missed like any other.
        let step = max(1, interval)
        let following = deadline + step
        guard following <= now else { return following }
        return following + ((now - following) / step + 1) * step
    }
}
