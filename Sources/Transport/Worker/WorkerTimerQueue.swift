/// A worker's scheduled `WorkerTimer`s, earliest first, run by its loop (`WorkerLoop`) itself.
///
/// Not GLib sources: a GLib iteration prepares and checks every source of the context, about
/// 1 500 at 250 participants (libnice keeps four an agent), and under load that walk took 100 us
/// and more while packets waited (docs/benchmarks.md); a timer as a source both lengthened every
/// walk and needed one to fire. Here a firing costs a heap pop and its handler, and the loop can
/// run a due timer between two sockets' packets.
///
/// An entry is (due, slot). A slot is one scheduling of one timer: cancelling or rescheduling
/// marks it dead on the worker (`isLive`), and its entries are dropped when they reach the top.
/// The slot holds its timer weakly, so a timer released off the worker (its owner dropped by the
/// control plane) needs no access to the queue from there: its entries find it gone when due.
/// Worker thread only.
final class WorkerTimerQueue {
    final class Slot {
        weak var timer: WorkerTimer?
        /// False once cancelled or replaced (worker thread only).
        var isLive = true
        init(_ timer: WorkerTimer) { self.timer = timer }
    }

    private struct Entry {
        var due: Int
        var slot: Slot
    }

    private var heap: [Entry] = []
    /// Entries whose slot was marked dead and are still in the heap: past half the heap they are
    /// swept at once, so that a timer rescheduled at every packet does not grow it without end.
    private var deadEntries = 0

    /// Schedules `timer` at `due` (monotonic microseconds); the slot to cancel or repeat it with.
    func add(_ timer: WorkerTimer, due: Int) -> Slot {
        let slot = Slot(timer)
        push(Entry(due: due, slot: slot))
        return slot
    }

    /// Puts a repeating timer that just fired back in, if its slot is still live.
    func reschedule(_ slot: Slot, due: Int) {
        guard slot.isLive else { return }
        push(Entry(due: due, slot: slot))
    }

    func cancel(_ slot: Slot) {
        guard slot.isLive else { return }
        slot.isLive = false
        deadEntries += 1
        if deadEntries > heap.count / 2 + 64 { sweep() }
    }

    /// The earliest due time (monotonic microseconds) of a live entry, dropping dead ones on the
    /// way. An entry whose timer was released off the worker counts until it fires (a wake-up
    /// for nothing, at most once).
    var earliest: Int? {
        while let top = heap.first {
            if top.slot.isLive { return top.due }
            popTop()
            deadEntries -= 1
        }
        return nil
    }

    /// Fires every timer due at `now` (monotonic microseconds) or before, earliest first; whether
    /// any was (nothing due: one comparison). A handler may schedule, reschedule or cancel timers,
    /// itself included; a timer it schedules is due after `now`, so it runs in a later call.
    @discardableResult
    func runDue(now: Int) -> Bool {
        var fired = false
        while let top = heap.first, top.due <= now {
            popTop()
            let slot = top.slot
            guard slot.isLive else {
                deadEntries -= 1
                continue
            }
            guard let timer = slot.timer else {
                slot.isLive = false
                continue
            }
            timer.fire(slot, now: now)
            fired = true
        }
        return fired
    }

    private func sweep() {
        heap.removeAll { !$0.slot.isLive }
        deadEntries = 0
        // Floyd's heap construction: sift down every parent, last first.
        var parent = heap.count / 2 - 1
        while parent >= 0 {
            siftDown(from: parent)
            parent -= 1
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
        siftDown(from: 0)
    }

    private func siftDown(from start: Int) {
        var parent = start
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
