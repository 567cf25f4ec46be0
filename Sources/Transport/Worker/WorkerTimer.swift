import CNice

/// A timer on a media worker's context; its handler runs on the worker thread.
///
/// A repeating timer keeps its own schedule: each firing is due one interval after the previous
/// one was due, not after the main loop got round to it, so it neither drifts nor falls into step
/// with other timers that happened to fire in the same loop iteration (GLib's own timeouts do both,
/// see `sfu_context_timer`). When the worker is late by more than an interval, the missed firings
/// are skipped, not run back to back.
///
/// A timer of about 33 ms or more fires on a grid (`coalesced`): up to a sixteenth of its interval
/// late, at a multiple of a power of two microseconds, so that the worker's many housekeeping timers
/// (every participant's 1 s reports, consent ticks) share GLib iterations. Each iteration prepares
/// and checks every source of the worker, some 1 200 at 200 participants, which under load costs
/// tens of microseconds while packets wait; with every participant's timers on their own phase
/// that was hundreds of iterations a second (docs/benchmarks.md). Shorter timers (a pacer's 5 ms)
/// keep their exact schedule.
///
/// Owned by one object on that worker, cancelled in `cancel()` or `deinit`. Not thread-safe.
public final class WorkerTimer {
    private let worker: MediaWorker
    private var source: UnsafeMutablePointer<GSource>?
    private var handler: () -> Void = {}
    private var repeats = false
    /// Microseconds: the interval, and when the pending firing is due (g_get_monotonic_time).
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
        deadline = g_get_monotonic_time() + interval
        source = sfu_context_timer(worker.context, Self.coalesced(deadline, interval: interval), timerFired, Unmanaged.passUnretained(self).toOpaque())
        worker.loop.needsIteration = true
    }

    public var isScheduled: Bool { source != nil }

    /// When the pending firing is due, in g_get_monotonic_time's microseconds; nil when none is.
    public var dueMicroseconds: Int? { source == nil ? nil : deadline }

    public func cancel() {
        guard let source else { return }
        g_source_destroy(source)
        g_source_unref(source)
        self.source = nil
    }

    fileprivate func fire() -> Bool {
        guard let firing = source else { return false }
        if !repeats {
            // Drop our reference first: the handler may schedule again.
            g_source_unref(firing)
            source = nil
        }
        let firedAt = g_get_monotonic_time()
        handler()
        // GLib keeps this source only while it repeats and the handler neither cancelled it nor
        // scheduled a replacement (a one-shot that schedules a repeating timer ends here).
        guard source == firing else { return false }
        // Against the time before the handler: a handler's own duration does not skip a tick.
        deadline = Self.next(after: deadline, interval: interval, now: firedAt)
        g_source_set_ready_time(firing, Self.coalesced(deadline, interval: interval))
        return true
    }

    /// When a timer due at `deadline` with `interval` (microseconds) fires: `deadline` rounded up to
    /// a multiple of the largest power of two from 2 048 to 65 536 us not above a sixteenth of the
    /// interval; `deadline` itself for intervals under 32 768 us. The schedule (`next`) stays exact.
    public static func coalesced(_ deadline: Int, interval: Int) -> Int {
        var grid = 2_048  // microseconds, about 2 ms; powers of two nest, so coarser grids align with finer ones
        guard interval / 16 >= grid else { return deadline }
        while grid < 65_536, grid * 2 <= interval / 16 { grid *= 2 }
        return (deadline + grid - 1) / grid * grid
    }

    /// The next due time of a repeating timer that was due at `deadline`: one interval later,
    /// or, when that has passed already, the first multiple of the interval still ahead (the
    /// phase is kept, the missed firings are dropped).
    public static func next(after deadline: Int, interval: Int, now: Int) -> Int {
        let following = deadline + max(1, interval)
        guard following <= now, interval > 0 else { return following }
        return following + ((now - following) / interval + 1) * interval
    }
}

private let timerFired: @convention(c) (UnsafeMutableRawPointer?) -> gboolean = { pointer in
    guard let pointer else { return sfu_g_false() }
    let timer = Unmanaged<WorkerTimer>.fromOpaque(pointer).takeUnretainedValue()
    return timer.fire() ? sfu_g_true() : sfu_g_false()
}
