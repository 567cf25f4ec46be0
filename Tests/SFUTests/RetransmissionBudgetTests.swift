import Testing
@testable import SFU

/// The limits on resends to one subscriber, with plain values.
@Suite struct RetransmissionBudgetTests {
    @Test func aPacketIsNotResentAgainWithinTheInterval() {
        var budget = RetransmissionBudget()
        budget.follow(roundTripSeconds: 0.05)
        #expect(budget.decide(ssrc: 7, sequence: 100, now: 0) == .send)
        budget.spent(ssrc: 7, sequence: 100, bytes: 1000, now: 0)
        #expect(budget.decide(ssrc: 7, sequence: 100, now: 49_999) == .tooSoon)
        #expect(budget.decide(ssrc: 8, sequence: 100, now: 49_999) == .send, "another stream's packet 100")
        #expect(budget.decide(ssrc: 7, sequence: 100, now: 50_000) == .send)
        #expect(budget.refusedTooSoon == 1)
    }

    @Test func theBucketLimitsBytesAndRefillsWithTime() {
        var budget = RetransmissionBudget()
        // The floor: 64 000 bytes a second, 16 000 of burst.
        #expect(budget.bytesPerSecond == 64_000)
        #expect(budget.burstBytes == 16_000)
        var sent = 0
        for sequence in 0..<100 where budget.decide(ssrc: 1, sequence: UInt16(sequence), now: 0) == .send {
            budget.spent(ssrc: 1, sequence: UInt16(sequence), bytes: 1000, now: 0)
            sent += 1
        }
        #expect(sent == 16)
        #expect(budget.refusedOverBudget == 84)
        // 100 ms later: 6 400 bytes more, so seven packets (the last one goes into debt).
        sent = 0
        for sequence in 100..<200 where budget.decide(ssrc: 1, sequence: UInt16(sequence), now: 100_000) == .send {
            budget.spent(ssrc: 1, sequence: UInt16(sequence), bytes: 1000, now: 100_000)
            sent += 1
        }
        #expect(sent == 7)
    }

    @Test func refillsInTinyStepsAddUpExactly() {
        var budget = RetransmissionBudget()
        budget.spent(ssrc: 1, sequence: 1, bytes: 16_000, now: 0)
        #expect(budget.decide(ssrc: 1, sequence: 2, now: 0) == .overBudget)
        // 1 µs adds 0.064 bytes: the bucket counts millionths of a byte, so the first step already
        // gives credit (counted in whole bytes, 1 µs steps would never add any).
        var now: Int64 = 0
        var decision = RetransmissionBudget.Decision.overBudget
        while now < 20_000 {
            now += 1
            decision = budget.decide(ssrc: 1, sequence: 2, now: now)
            if decision == .send { break }
        }
        #expect(decision == .send)
        #expect(now == 1)
    }

    @Test func theRateFollowsTheSubscribersBitrate() {
        var budget = RetransmissionBudget()
        budget.follow(bitsPerSecond: 8_000_000)
        #expect(budget.bytesPerSecond == 500_000)
        #expect(budget.burstBytes == 125_000)
        budget.follow(bitsPerSecond: 100_000)
        #expect(budget.bytesPerSecond == RetransmissionBudget.minimumBytesPerSecond)
        budget.follow(bitsPerSecond: .max)
        #expect(budget.bytesPerSecond == 62_500_000)
        budget.follow(bitsPerSecond: -5)
        #expect(budget.bytesPerSecond == RetransmissionBudget.minimumBytesPerSecond)
    }

    @Test func roundTripsFromReportsAreClamped() {
        var budget = RetransmissionBudget()
        for (seconds, interval) in [(0.001, 20_000), (0.08, 80_000), (10.0, 250_000), (-1.0, 20_000), (.nan, 20_000), (.infinity, 20_000)] as [(Double, Int64)] {
            budget.follow(roundTripSeconds: seconds)
            #expect(budget.minimumInterval == interval, "\(seconds) s")
        }
    }

    @Test func anyClockValueIsTakenWithoutTrapping() {
        var budget = RetransmissionBudget()
        for now in [Int64.min, 0, Int64.max, -1, Int64.max - 1, Int64.min + 1] {
            if budget.decide(ssrc: 3, sequence: 9, now: now) == .send { budget.spent(ssrc: 3, sequence: 9, bytes: 1200, now: now) }
        }
        #expect(budget.sent > 0)
    }

    @Test func withAnEstimateResendsStayWithinAQuarterOfIt() {
        var budget = RetransmissionBudget()
        budget.follow(bitsPerSecond: 200_000)
        #expect(budget.bytesPerSecond == RetransmissionBudget.minimumBytesPerSecond, "the floor without an estimate")
        budget.follow(bitsPerSecond: 200_000, estimateBitsPerSecond: 300_000)
        #expect(budget.bytesPerSecond == 300_000 / 8 / 4)
        budget.follow(bitsPerSecond: 200_000, estimateBitsPerSecond: 10_000)
        #expect(budget.bytesPerSecond == RetransmissionBudget.minimumBytesPerSecondEstimated)
        budget.follow(bitsPerSecond: 4_000_000, estimateBitsPerSecond: 100_000_000)
        #expect(budget.bytesPerSecond == 4_000_000 / 8 / 2, "half of what is sent still caps it")
        budget.follow(bitsPerSecond: .max, estimateBitsPerSecond: .min)
        #expect(budget.bytesPerSecond == RetransmissionBudget.minimumBytesPerSecondEstimated)
    }
}
