import Testing
@testable import SFU

/// The record of what was sent under each transport-wide number, with plain values.
@Suite struct TransportWideSendHistoryTests {
    @Test func numbersAreConsecutiveAndLookedUpAcrossTheWrap() {
        var history = TransportWideSendHistory(firstSequence: 65_534)
        #expect(history.record(bytes: 100, now: 10) == 65_534)
        #expect(history.record(bytes: 200, now: 20, probeCluster: 3) == 65_535)
        #expect(history.record(bytes: 300, now: 30) == 0)
        #expect(history.lookup(65_534)?.bytes == 100)
        #expect(history.lookup(65_535)?.probeCluster == 3)
        #expect(history.lookup(0)?.sendMicroseconds == 30)
        #expect(history.lookup(0)?.probeCluster == nil)
    }

    @Test func numbersNotSentOrForgottenAreUnknown() {
        var history = TransportWideSendHistory(firstSequence: 1000)
        #expect(history.lookup(999) == nil, "nothing sent yet")
        _ = history.record(bytes: 1, now: 0)
        #expect(history.lookup(1001) == nil, "ahead of what was sent")
        #expect(history.lookup(999) == nil, "before the first")
        for i in 0..<TransportWideSendHistory.capacity { _ = history.record(bytes: 2, now: Int64(i)) }
        #expect(history.lookup(1000) == nil, "overwritten: older than the ring")
        #expect(history.lookup(1001)?.bytes == 2)
        #expect(history.lookup(history.nextSequence &- 1) != nil)
        #expect(history.lookup(history.nextSequence) == nil)
    }
}
