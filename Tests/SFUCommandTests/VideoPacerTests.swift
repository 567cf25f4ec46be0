import Testing
@testable import SFUCommand

@Suite("sfu load: the video pacer")
struct VideoPacerTests {
    private func drain(_ pacer: inout VideoPacer) -> [VideoPacer.Packet] {
        var sent: [VideoPacer.Packet] = []
        pacer.release { sent.append($0); return true }
        return sent
    }

    @Test("without pacing a frame leaves at once, cut at the maximum payload, first and last marked")
    func unpaced() {
        var pacer = VideoPacer(bitsPerSecond: 1_500_000, factor: 0, maximumPayload: 1100, minimumPayload: 17)
        pacer.enqueue(bytes: 2500, timestamp: 90, frameNumber: 7)
        let packets = drain(&pacer)
        #expect(packets.map(\.payloadBytes) == [1100, 1100, 300])
        #expect(packets.map(\.isFirst) == [true, false, false])
        #expect(packets.map(\.isLast) == [false, false, true])
        #expect(packets.allSatisfy { $0.timestamp == 90 && $0.frameNumber == 7 })
        #expect(pacer.isIdle)
    }

    @Test("paced at 2.5x 1.5 Mbit/s a 25 kB keyframe takes about 54 ms of 5 ms ticks, the next frame queued behind it")
    func pacedKeyframe() {
        var pacer = VideoPacer(bitsPerSecond: 1_500_000, factor: 2.5, maximumPayload: 1100, minimumPayload: 17)
        #expect(pacer.bytesPerTick == 2344)
        pacer.enqueue(bytes: 25_000, timestamp: 0, frameNumber: 0)
        pacer.enqueue(bytes: 5_000, timestamp: 3000, frameNumber: 1)
        var ticks = 0
        var all: [VideoPacer.Packet] = []
        while !pacer.isIdle, ticks < 100 {
            let sent = drain(&pacer)
            // A tick never sends more than its budget plus the one packet that overdraws it.
            #expect(sent.reduce(0) { $0 + $1.payloadBytes } <= 2344 + 1100)
            all += sent
            ticks += 1
        }
        #expect((12...14).contains(ticks))  // 30 000 bytes / 2344 per tick
        #expect(all.reduce(0) { $0 + $1.payloadBytes } == 30_000)
        #expect(all.filter(\.isLast).map(\.frameNumber) == [0, 1])
        #expect(all.filter(\.isFirst).map(\.frameNumber) == [0, 1])
    }

    @Test("no credit builds up while idle; a stop from the sender keeps the rest queued")
    func idleAndStop() {
        var pacer = VideoPacer(bitsPerSecond: 1_500_000, factor: 2.5, maximumPayload: 1100, minimumPayload: 17)
        for _ in 0..<10 { #expect(drain(&pacer).isEmpty) }
        pacer.enqueue(bytes: 10_000, timestamp: 0, frameNumber: 0)
        #expect(drain(&pacer).reduce(0) { $0 + $1.payloadBytes } <= 2344 + 1100)
        var calls = 0
        pacer.release { _ in calls += 1; return false }
        #expect(calls == 1)
        #expect(!pacer.isIdle)
    }
}
