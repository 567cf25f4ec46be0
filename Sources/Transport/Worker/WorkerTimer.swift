import CNice

/// A timer on a media worker's context; its handler runs on the worker thread.
///
/// Owned by one object on that worker, cancelled in `cancel()` or `deinit`. Not thread-safe.
public final class WorkerTimer {
    private let worker: MediaWorker
    private var source: UnsafeMutablePointer<GSource>?
    private var handler: () -> Void = {}
    private var repeats = false

    public init(worker: MediaWorker) { self.worker = worker }

    deinit { cancel() }

    /// Fires `handler` after `milliseconds`, then every `milliseconds` if `repeats`.
    /// Replaces any pending firing.
    public func schedule(after milliseconds: Int, repeats: Bool = false, _ handler: @escaping () -> Void) {
        cancel()
        self.handler = handler
        self.repeats = repeats
        source = sfu_context_timer(worker.context, guint(max(0, milliseconds)), timerFired,
                                   Unmanaged.passUnretained(self).toOpaque())
    }

    public var isScheduled: Bool { source != nil }

    public func cancel() {
        guard let source else { return }
        g_source_destroy(source)
        g_source_unref(source)
        self.source = nil
    }

    fileprivate func fire() -> Bool {
        let firing = source
        if !repeats {
            // Drop our reference first: the handler may schedule again.
            if let source { g_source_unref(source) }
            source = nil
        }
        handler()
        // GLib keeps this source only while it repeats and the handler neither cancelled it nor
        // scheduled a replacement (a one-shot that schedules a repeating timer ends here).
        return firing != nil && source == firing
    }
}

private let timerFired: @convention(c) (UnsafeMutableRawPointer?) -> gboolean = { pointer in
    guard let pointer else { return sfu_g_false() }
    let timer = Unmanaged<WorkerTimer>.fromOpaque(pointer).takeUnretainedValue()
    return timer.fire() ? sfu_g_true() : sfu_g_false()
}
