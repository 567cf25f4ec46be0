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
}
