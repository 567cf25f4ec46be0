import Foundation
import Synchronization
import Testing
import Transport

@Suite("WorkerTimer")
struct WorkerTimerTests {
    @Test("a one-shot whose handler schedules a repeating timer ends there: only the new timer's period applies")
    func oneShotThenRepeating() async throws {
        let worker = MediaWorker(index: 0)
        defer { worker.stop() }
        let oneShots = Atomic<Int>(0)
        let repeats = Atomic<Int>(0)
        final class Holder: @unchecked Sendable { var timer: WorkerTimer? }
        let holder = Holder()
        worker.post {
            let timer = WorkerTimer(worker: worker)
            holder.timer = timer
            // 10 ms first, then every 60 s: were the one-shot's firing kept as a repeating one, it
            // would go on every 10 ms, now with the repeating handler. No count here depends on how
            // fast this machine runs the test: the 60 s timer cannot fire in the test's lifetime.
            timer.schedule(after: 10) { [unowned timer] in
                oneShots.add(1, ordering: .relaxed)
                timer.schedule(after: 60_000, repeats: true) { repeats.add(1, ordering: .relaxed) }
            }
        }
        while oneShots.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        // Give a wrongly kept 10 ms source many periods to show itself.
        try await Task.sleep(for: .milliseconds(200))
        let scheduled = try worker.sync { holder.timer?.isScheduled ?? false }
        try worker.sync { holder.timer?.cancel() }
        #expect(oneShots.load(ordering: .relaxed) == 1)
        #expect(repeats.load(ordering: .relaxed) == 0)
        #expect(scheduled)
    }

    @Test("a repeating timer's next firing is one interval after the last was due, or the next multiple ahead when late")
    func nextDeadline() {
        #expect(WorkerTimer.next(after: 1_000, interval: 5_000, now: 1_200) == 6_000)
        // Late by most of an interval: still due on the schedule, soon.
        #expect(WorkerTimer.next(after: 1_000, interval: 5_000, now: 5_900) == 6_000)
        // Due exactly now: that firing was missed as well, the phase is kept.
        #expect(WorkerTimer.next(after: 1_000, interval: 5_000, now: 6_000) == 11_000)
        // Late by two and a half intervals: the missed firings are skipped, not run back to back.
        #expect(WorkerTimer.next(after: 1_000, interval: 5_000, now: 13_500) == 16_000)
        // A 0 ms repeating timer: the next microsecond ahead, never a run of every one missed.
        #expect(WorkerTimer.next(after: 1_000, interval: 0, now: 13_500) == 13_501)
        #expect(WorkerTimer.next(after: 1_000, interval: 0, now: 900) == 1_001)
    }

    @Test("two repeating timers that fire in one late loop iteration keep their own phases")
    func lateTimersKeepPhase() async throws {
        let worker = MediaWorker(index: 0)
        defer { worker.stop() }
        final class Holder: @unchecked Sendable { var timers: [WorkerTimer] = [] }
        let holder = Holder()
        let firings = Atomic<Int>(0)
        // Two 20 ms timers due at least 7 ms apart; the worker is then kept busy for 60 ms, so both are
        // late and run in the same iteration. GLib's own timeouts re-arm both from that
        // iteration's time and would be due together from then on; the schedule is what is
        // compared, not when the handlers ran, so the machine's speed does not enter.
        let firstDue = try worker.sync {
            let first = WorkerTimer(worker: worker), second = WorkerTimer(worker: worker)
            holder.timers = [first, second]
            first.schedule(after: 20, repeats: true) { firings.add(1, ordering: .relaxed) }
            usleep(7_000)
            second.schedule(after: 20, repeats: true) { firings.add(1, ordering: .relaxed) }
            usleep(60_000)
            return (first.dueMicroseconds!, second.dueMicroseconds!)
        }
        while firings.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(5)) }
        let due = try worker.sync { (holder.timers[0].dueMicroseconds!, holder.timers[1].dueMicroseconds!) }
        try worker.sync { holder.timers.forEach { $0.cancel() } }
        #expect((due.0 - firstDue.0) % 20_000 == 0 && due.0 > firstDue.0)
        #expect((due.1 - firstDue.1) % 20_000 == 0 && due.1 > firstDue.1)
        let apart = ((due.1 - due.0) % 20_000 + 20_000) % 20_000
        #expect(apart == (firstDue.1 - firstDue.0) % 20_000)
    }

    @Test("timers fire in the order they are due; cancelled ones, also by another timer's handler, never")
    func dueOrderAndCancel() async throws {
        let worker = MediaWorker(index: 0)
        defer { worker.stop() }
        final class Log: @unchecked Sendable {
            var fired: [(due: Int, index: Int)] = []
            var timers: [WorkerTimer] = []
            /// Each one-shot's due time when scheduled (no longer readable once it fired).
            var dues = [Int](repeating: 0, count: 60)
        }
        let log = Log()
        let delays = (0..<60).map { _ in Int.random(in: 1...40) }
        try worker.sync {
            for (index, delay) in delays.enumerated() {
                let timer = WorkerTimer(worker: worker)
                log.timers.append(timer)
                timer.schedule(after: delay) { log.fired.append((log.dues[index], index)) }
                log.dues[index] = timer.dueMicroseconds!
            }
            // Cancelled before it is due, directly and from a handler that runs first.
            log.timers[0].cancel()
            let canceller = WorkerTimer(worker: worker)
            log.timers.append(canceller)
            log.timers[1].schedule(after: 45) { log.fired.append((0, 1)) }
            canceller.schedule(after: 0) { log.timers[1].cancel() }
        }
        // Every timer is due within 45 ms; wait for them all, or 5 s on a very slow machine.
        for _ in 0..<500 where try worker.sync({ log.fired.count }) < delays.count - 2 {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(60))  // and past the cancelled ones' due times
        let fired = try worker.sync { log.fired.map { $0 } }
        try worker.sync { log.timers.forEach { $0.cancel() } }
        #expect(fired.count == delays.count - 2)
        #expect(!fired.contains { $0.index == 0 || $0.index == 1 })
        // One-shots fire in the order they were due (ties in any order).
        #expect(fired.map(\.due) == fired.map(\.due).sorted())
    }

    @Test("a repeating timer that cancels itself in its handler stops; one released off the worker is dropped, not fired")
    func selfCancelAndRelease() async throws {
        let worker = MediaWorker(index: 0)
        defer { worker.stop() }
        final class Box: @unchecked Sendable { var timer: WorkerTimer? }
        let selfCancelling = Box(), released = Box()
        let firings = Atomic<Int>(0), releasedFirings = Atomic<Int>(0)
        try worker.sync {
            let timer = WorkerTimer(worker: worker)
            selfCancelling.timer = timer
            timer.schedule(after: 5, repeats: true) { [unowned timer] in
                firings.add(1, ordering: .relaxed)
                timer.cancel()
            }
            released.timer = WorkerTimer(worker: worker)
            released.timer!.schedule(after: 30) { releasedFirings.add(1, ordering: .relaxed) }
        }
        // Released here, on the test's thread, while pending: the queue must not call it.
        released.timer = nil
        try await Task.sleep(for: .milliseconds(120))
        let stillScheduled = try worker.sync { selfCancelling.timer!.isScheduled }
        #expect(firings.load(ordering: .relaxed) == 1)
        #expect(!stillScheduled)
        #expect(releasedFirings.load(ordering: .relaxed) == 0)
    }
}
