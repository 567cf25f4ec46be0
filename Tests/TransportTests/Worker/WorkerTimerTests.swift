import Foundation
import Synchronization
import Testing
import Transport

@Suite("WorkerTimer")
struct WorkerTimerTests {
    @Test("a one-shot whose handler schedules a repeating timer ends; the repeating one fires on its own period")
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
            // 40 ms first, then every 200 ms: were the one-shot source kept alive, it would
            // go on firing every 40 ms as well.
            timer.schedule(after: 40) {
                oneShots.add(1, ordering: .relaxed)
                timer.schedule(after: 200, repeats: true) { repeats.add(1, ordering: .relaxed) }
            }
        }
        try await Task.sleep(for: .milliseconds(700))
        try worker.sync { holder.timer?.cancel() }
        #expect(oneShots.load(ordering: .relaxed) == 1)
        // 40 + 200 k <= 700 ms: 3 firings (at 240, 440, 640 ms), 2 to 4 allowing for scheduling.
        #expect((2...4).contains(repeats.load(ordering: .relaxed)))
    }
}
