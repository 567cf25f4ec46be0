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
            // 10 ms first, then every 60 s: were the one-shot's source kept attached, it would go
            // on firing every 10 ms, now with the repeating handler. No count here depends on how
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
        #expect(WorkerTimer.next(after: 1_000, interval: 0, now: 13_500) == 1_001)
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

    @Test("timers of a second fire on a 32 ms grid, shorter ones on their own schedule")
    func coalescedDeadline() {
        // 1 s: a sixteenth is 62.5 ms, the grid 32 768 us.
        #expect(WorkerTimer.coalesced(1_000_001, interval: 1_000_000) == 1_015_808)
        #expect(WorkerTimer.coalesced(32_768 * 7, interval: 1_000_000) == 32_768 * 7)
        // Two housekeeping timers due 5 ms apart (different participants) fire together.
        #expect(WorkerTimer.coalesced(2_000_000, interval: 1_000_000) == WorkerTimer.coalesced(2_005_000, interval: 1_000_000))
        // 100 ms: a 4 096 us grid; 30 s (cap): 65 536 us.
        #expect(WorkerTimer.coalesced(100_001, interval: 100_000) == 102_400)
        #expect(WorkerTimer.coalesced(100_001, interval: 30_000_000) == 131_072)
        // A pacer (5 ms), a 20 ms tone and anything under 32 768 us: exact.
        #expect(WorkerTimer.coalesced(123_457, interval: 5_000) == 123_457)
        #expect(WorkerTimer.coalesced(123_457, interval: 20_000) == 123_457)
        #expect(WorkerTimer.coalesced(123_457, interval: 0) == 123_457)
        // Never early, never a grid step late or more.
        for deadline in stride(from: 0, to: 10_000_000, by: 7_919) {
            let fires = WorkerTimer.coalesced(deadline, interval: 1_000_000)
            #expect(fires >= deadline && fires - deadline < 32_768)
        }
    }
}
