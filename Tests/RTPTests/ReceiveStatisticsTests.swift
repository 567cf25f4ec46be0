import Testing
@testable import RTP

@Suite struct ReceiveStatisticsTests {
    /// 20 ms packets of a 90 kHz stream arriving with the given extra delays (microseconds).
    static func feed(_ statistics: inout ReceiveStatistics, from start: Int64, delays: [Int64], firstSequence: UInt16 = 65_530,
                     firstTimestamp: UInt32 = 0xFFFF_F000) {
        for (i, delay) in delays.enumerated() {
            statistics.update(sequence: firstSequence &+ UInt16(i), timestamp: firstTimestamp &+ UInt32(i) * 1_800,
                              payloadBytes: 100, arrivalMicroseconds: start + Int64(i) * 20_000 + delay)
        }
    }

    @Test func sequenceNumbersWrapIntoTheExtendedHighestAndLossCountsGaps() {
        var statistics = ReceiveStatistics(clockRate: 90_000)
        for sequence: UInt16 in [65_534, 65_535, 0, 2, 3] {
            statistics.update(sequence: sequence, timestamp: 0, payloadBytes: 10, arrivalMicroseconds: 0)
        }
        #expect(statistics.extendedHighestSequence == 0x1_0003)
        #expect(statistics.expected == 6)
        #expect(statistics.cumulativeLost == 1)
        #expect(statistics.takeFractionLost() == 42)  // 1 of 6, in 1/256 (RFC 3550 A.3)
        #expect(statistics.takeFractionLost() == 0)
    }

    @Test func jitterIsZeroForEvenArrivalsAndFollowsA8ForVariedOnes() {
        var even = ReceiveStatistics(clockRate: 90_000)
        Self.feed(&even, from: 1_000_000, delays: Array(repeating: 0, count: 50))
        #expect(even.jitter == 0)
        // One packet 10 ms late: |D| = 900 ticks twice (late, then back). In A.8's scaled form
        // J += |D| - ((J + 8) >> 4): 0 -> 900 -> 900 + 900 - 56 = 1744, reported as 1744 >> 4.
        var varied = ReceiveStatistics(clockRate: 90_000)
        Self.feed(&varied, from: 1_000_000, delays: [0, 0, 10_000, 0])
        #expect(varied.jitter == 109)
    }

    /// The arrival clock is the host's monotonic time: a long-running host must not trap it.
    /// arrival * clockRate passes Int64 after about 3.2 years at 90 kHz; the figures must not
    /// change with the clock's origin either.
    @Test func arrivalTimesOfAHostUpForYearsGiveTheSameJitterAndNeverTrap() {
        let delays: [Int64] = [0, 3_000, 0, 12_000, 1_000, 0, 7_000, 0]
        var reference = ReceiveStatistics(clockRate: 90_000)
        Self.feed(&reference, from: 1_000_000, delays: delays)
        for start: Int64 in [110_000_000_000_000, 400 * 86_400 * 1_000_000_000, Int64.max - 1_000_000_000, -5_000_000] {
            var statistics = ReceiveStatistics(clockRate: 90_000)
            Self.feed(&statistics, from: start, delays: delays)
            #expect(statistics.jitter == reference.jitter, "jitter from a clock at \(start) us")
        }
        var extreme = ReceiveStatistics(clockRate: .max)
        for arrival: Int64 in [.min, -1, 0, .max, .max] {
            extreme.update(sequence: 1, timestamp: .max, payloadBytes: 0, arrivalMicroseconds: arrival)
        }
        #expect(extreme.packetsReceived == 5)
    }
}

@Suite struct RTPClockTests {
    @Test func ticksAreExactAndWrapModulo2To32() {
        #expect(RTPClock.ticks(microseconds: 20_000, clockRate: 48_000) == 960)
        #expect(RTPClock.ticks(microseconds: 1_000_000, clockRate: 90_000) == 90_000)
        #expect(RTPClock.ticks(microseconds: 11, clockRate: 90_000) == 0)
        #expect(RTPClock.ticks(microseconds: 12, clockRate: 90_000) == 1)
        // 73 minutes and 30 days at 90 kHz, taken modulo 2^32 (RTP timestamps wrap, RFC 3550 5.1).
        #expect(RTPClock.ticks(microseconds: 73 * 60_000_000, clockRate: 90_000) == UInt32((73 * 60 * 90_000) % (1 << 32)))
        #expect(RTPClock.ticks(microseconds: 30 * 86_400_000_000, clockRate: 90_000)
                == UInt32(truncatingIfNeeded: 30 * 86_400 * 90_000))
        #expect(RTPClock.ticks(microseconds: -1_000_000, clockRate: 90_000) == 0 &- 90_000)
        _ = RTPClock.ticks(microseconds: .max, clockRate: .max)
        _ = RTPClock.ticks(microseconds: .min, clockRate: .max)
    }
}
