/// A worker's scheduled `WorkerTimer`s, earliest first, run by its loop (`WorkerLoop`) itself.
///
/// Not GLib sources: a GLib iteration prepares and checks every source of the context, about
/// 1 500 at 250 participants (libnice keeps four an agent), and under load that walk took 100 us
/// and more while packets waited (docs/benchmarks.md); a timer as a source both lengthened every
/// walk and needed one to fire. Here a firing costs a heap pop and its handler, and the loop can
/// run a due timer between two sockets' packets.
///
/// Entries are (due, id); a timer's id is in `scheduled` while it is pending, so a cancelled or
/// rescheduled timer's old entry is recognised and dropped when it reaches the top (no search).
/// The timers are held unretained: a WorkerTimer leaves `scheduled` in `cancel()`, which its
/// `deinit` calls. Worker thread only.
final class WorkerTimerQueue {
    private struct Entry {
        var due: Int
        var id: UInt64
    }

    private var heap: [Entry] = []
    private var scheduled: [UInt64: Unmanaged<WorkerTimer>] = [:]
    private var lastID: UInt64 = 0

    /// Pending timers (for tests and statistics).
    var count: Int { scheduled.count }

    /// Schedules `timer` at `due` (monotonic microseconds); the id to cancel it with.
    func add(_ timer: WorkerTimer, due: Int) -> UInt64 {
        lastID &+= 1
        scheduled[lastID] = Unmanaged.passUnretained(timer)
        push(Entry(due: due, id: lastID))
        return lastID
    }

    /// Puts a repeating timer that just fired back in, under the same id, if still pending.
    func reschedule(id: UInt64, due: Int) {
        guard scheduled[id] != nil else { return }
        push(Entry(due: due, id: id))
    }

    func remove(id: UInt64) {
        scheduled[id] = nil
    }

    /// The earliest pending due time (monotonic microseconds), dropping stale entries on the way.
    var earliest: Int? {
        while let top = heap.first {
            if scheduled[top.id] != nil { return top.due }
            popTop()
        }
        return nil
    }

    /// Fires every timer due at `now` (monotonic microseconds) or before, earliest first. A
    /// handler may schedule, reschedule or cancel timers, itself included; one it schedules for
    /// `now` or earlier runs in this call too.
    func runDue(now: Int) {
        while let top = heap.first, top.due <= now {
            popTop()
            guard let timer = scheduled[top.id] else { continue }
            timer.takeUnretainedValue().fire(id: top.id, now: now)
        }
    }

    // MARK: - Binary heap on `due`

    private func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count, heap[right].due < heap[smallest].due { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
