import Foundation
import Synchronization
import Testing
import Transport

@Suite("MediaWorker: posted work")
struct MediaWorkerTests {
    @Test("set-up work waits for control work posted after it")
    func setupAfterControl() throws {
        let worker = MediaWorker(index: 0)
        defer { worker.stop() }
        let order = Mutex<[String]>([])
        let gate = DispatchSemaphore(value: 0)
        // Hold the worker so that both posts below are queued before either runs.
        worker.post { gate.wait() }
        worker.post(priority: .setup) { order.withLock { $0.append("setup") } }
        worker.post { order.withLock { $0.append("control") } }
        gate.signal()
        try worker.sync { }
        while order.withLock({ $0.count }) < 2 { Thread.sleep(forTimeInterval: 0.01) }
        #expect(order.withLock { $0 } == ["control", "setup"])
    }

    @Test("on a worker with control work ready at every turn, set-up work still runs, by its deadline")
    func setupNotStarved() throws {
        let worker = MediaWorker(index: 0)
        defer { worker.stop() }
        let busy = Atomic<Bool>(true)
        let ranWhileBusy = Atomic<Bool>(false)
        let ran = Atomic<Bool>(false)
        // A control task that posts itself again: something is ready at every turn.
        @Sendable func spin() {
            guard busy.load(ordering: .relaxed) else { return }
            worker.post { spin() }
        }
        worker.post { spin() }
        worker.post(priority: .setup) {
            ranWhileBusy.store(busy.load(ordering: .relaxed), ordering: .relaxed)
            ran.store(true, ordering: .relaxed)
        }
        let started = ContinuousClock.now
        while !ran.load(ordering: .relaxed), ContinuousClock.now - started < .seconds(10) { Thread.sleep(forTimeInterval: 0.01) }
        busy.store(false, ordering: .relaxed)
        try worker.sync { }
        let didRun = ran.load(ordering: .relaxed)
        let didRunWhileBusy = ranWhileBusy.load(ordering: .relaxed)
        #expect(didRun)
        #expect(didRunWhileBusy, "set-up work waited for the worker to go quiet")
    }

    @Test("the worker thread carries its name for the kernel (top -H, ps -L, chrt by name)")
    func threadName() throws {
        let worker = MediaWorker(index: 12)
        defer { worker.stop() }
        let name = try worker.sync { try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8) }
        #expect(name.trimmingCharacters(in: .whitespacesAndNewlines) == "media-worker-12")
    }
}
