import Testing
@testable import SFU

/// The pacing of a probe cluster, with plain values.
@Suite struct BandwidthProbeTests {
    /// Sends at 1 Mbit/s with 1 000-byte packets, polling every millisecond as the worker's
    /// timer does; returns the send times.
    static func run(_ probe: inout BandwidthProbe, from start: Int64) -> [Int64] {
        var times: [Int64] = []
        var now = start
        var sequence: UInt16 = 10
        while !probe.isComplete(now: now), now < start + 1_000_000 {
            while probe.due(now: now) {
                probe.sent(bytes: 1000, lastSequence: sequence)
                sequence &+= 1
                times.append(now)
            }
            now += 1000
        }
        return times
    }

    @Test func aClusterIsPacedAtItsRateAndLastsLongEnough() {
        var probe = BandwidthProbe()
        let mayStart = probe.mayStart(now: 5_000_000)
        #expect(mayStart)
        probe.start(rate: 1_000_000, now: 5_000_000, mid: "1")
        let times = Self.run(&probe, from: 5_000_000)
        // 1 000 bytes at 1 Mbit/s: one every 8 ms, from the start, for at least 100 ms.
        #expect(times.first == 5_000_000)
        #expect(times.count >= BandwidthProbe.minimumPackets)
        #expect(times.count <= 14, "\(times)")
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == 8000 }, "\(times)")
        #expect(times.last! - times.first! >= BandwidthProbe.duration - 8000)
        #expect(!probe.isLast(10) && probe.isLast(UInt16(10 + times.count - 1)))
        let first = probe.finish()
        #expect(first == 1)
        let again = probe.finish()
        #expect(again == nil)
    }

    @Test func probesAreSpacedAndAnUnansweredOneIsGivenUp() {
        var probe = BandwidthProbe()
        probe.start(rate: 500_000, now: 0, mid: "1")
        _ = Self.run(&probe, from: 0)
        let awaiting = probe.mayStart(now: 500_000)
        #expect(!awaiting, "feedback still awaited")
        // Timed out: counts as a probe that found nothing, so the next waits twice as long.
        let early = probe.mayStart(now: 2 * BandwidthProbe.interval - 1)
        #expect(!early)
        let later = probe.mayStart(now: 2 * BandwidthProbe.interval)
        #expect(later)
        let finished = probe.finish()
        #expect(finished == nil)
        probe.start(rate: 500_000, now: 2 * BandwidthProbe.interval, mid: "1")
        #expect(probe.cluster == 2)
    }

    @Test func probesThatFindNothingBackOffAndOneThatFindsRoomResetsTheWait() {
        var probe = BandwidthProbe()
        #expect(probe.spacing == BandwidthProbe.interval)
        probe.outcome(foundRoom: false)
        #expect(probe.spacing == 2 * BandwidthProbe.interval)
        for _ in 0..<5 { probe.outcome(foundRoom: false) }
        #expect(probe.spacing == BandwidthProbe.maximumInterval)
        probe.outcome(foundRoom: true)
        #expect(probe.spacing == BandwidthProbe.interval)
    }

    @Test func aClusterWithNothingToResendEndsAtThePacketLimit() {
        var probe = BandwidthProbe()
        probe.start(rate: 100_000_000, now: 0, mid: "1")
        var attempts = 0
        while probe.due(now: 0) {
            probe.skip()
            attempts += 1
        }
        #expect(attempts == BandwidthProbe.maximumPackets)
        let complete = probe.isComplete(now: 0)
        #expect(complete)
        #expect(probe.mid == nil, "abandoned: nothing was sent")
    }

    @Test func absurdTimesDoNotTrap() {
        var probe = BandwidthProbe()
        probe.start(rate: Int.max, now: .max, mid: "1")
        #expect(probe.due(now: .min))
        probe.sent(bytes: 1500, lastSequence: 1)
        _ = probe.due(now: .max)
        _ = probe.isComplete(now: .min)
        _ = probe.mayStart(now: .min)
    }
}
