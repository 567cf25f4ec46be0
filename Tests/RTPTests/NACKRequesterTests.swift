import TestSupport
import Testing
@testable import RTP

/// Upstream loss repair with plain values: which numbers are asked for, when again, and when
/// given up; every request parsed back with `GenericNACK`.
@Suite struct NACKRequesterTests {
    /// The numbers the NACK written at `now` asks for ([] when none is due).
    func requested(_ requester: inout NACKRequester, at now: Int64) throws -> [UInt16] {
        let bytes = try written { buffer throws(RTPWriteError) in
            try requester.writeNACK(senderSSRC: 1, mediaSSRC: 2, now: now, into: buffer)
        }
        guard !bytes.isEmpty else { return [] }
        return try withBytes(bytes) { buffer in
            let nack = try GenericNACK(parsing: buffer)
            #expect(nack.mediaSSRC == 2)
            return Array(nack)
        }
    }

    @Test func aGapIsAskedForAtOnceThenAgainAfterTheRetryInterval() throws {
        var requester = NACKRequester(settings: .init(retryInterval: 100_000))
        do {
            let value = requester.received(10, now: 0)
            #expect(value == .next)
        }
        do {
            let value = requester.received(11, now: 1_000)
            #expect(value == .next)
        }
        do {
            let value = try requested(&requester, at: 1_000)
            #expect(value == [])
        }
        do {
            let value = requester.received(14, now: 2_000)
            #expect(value == .next)
        }
        #expect(requester.missingCount == 2)
        #expect(try requested(&requester, at: 2_000) == [12, 13])
        // Asked already: not again before the interval.
        do {
            let value = try requested(&requester, at: 50_000)
            #expect(value == [])
        }
        #expect(try requested(&requester, at: 102_000) == [12, 13])
        #expect(requester.packetsRequested == 4)
    }

    @Test func aRetransmissionFillsItsGapAndIsNotAskedForAgain() throws {
        var requester = NACKRequester()
        _ = requester.received(100, now: 0)
        _ = requester.received(104, now: 0)
        #expect(try requested(&requester, at: 0) == [101, 102, 103])
        #expect(requester.isMissing(102))
        do {
            let value = requester.received(102, now: 30_000)
            #expect(value == .recovered)
        }
        #expect(!requester.isMissing(102))
        do {
            let value = requester.received(102, now: 31_000)
            #expect(value == .old, "a second copy is a duplicate")
        }
        do {
            let value = requester.received(99, now: 31_000)
            #expect(value == .old)
        }
        #expect(try requested(&requester, at: 200_000) == [101, 103])
        #expect(requester.packetsRecovered == 1)
        #expect(!requester.keyframeNeeded)
    }

    @Test func aPacketIsGivenUpAfterTheMaximumRequestsAndAKeyframeIsWanted() throws {
        var requester = NACKRequester(settings: .init(maximumRequests: 3, retryInterval: 10_000, maximumAge: 10_000_000))
        _ = requester.received(1, now: 0)
        _ = requester.received(3, now: 0)
        var asked = 0
        for step in 0..<10 {
            if try requested(&requester, at: Int64(step) * 10_000) == [2] { asked += 1 }
        }
        #expect(asked == 3)
        #expect(requester.missingCount == 0)
        #expect(requester.packetsGivenUp == 1)
        do {
            let value = requester.takeKeyframeNeeded()
            #expect(value)
        }
        let again = requester.takeKeyframeNeeded()
        #expect(!again, "read once")
    }

    @Test func aPacketOlderThanTheMaximumAgeIsGivenUpUnasked() throws {
        var requester = NACKRequester(settings: .init(retryInterval: 100_000, maximumAge: 500_000))
        _ = requester.received(1, now: 0)
        _ = requester.received(3, now: 0)
        do {
            let value = try requested(&requester, at: 600_000)
            #expect(value == [])
        }
        #expect(requester.packetsGivenUp == 1)
        #expect(requester.keyframeNeeded)
    }

    @Test func aGapLargerThanTheCapacityIsNotRepairedPacketByPacket() throws {
        var requester = NACKRequester(settings: .init(capacity: 16))
        _ = requester.received(1, now: 0)
        _ = requester.received(3, now: 0)
        do {
            let value = requester.received(100, now: 0)
            #expect(value == .next)
        }
        #expect(requester.missingCount == 0)
        #expect(requester.keyframeNeeded)
        do {
            let value = try requested(&requester, at: 0)
            #expect(value == [])
        }
        // Smaller gaps after it are tracked again; when they overflow, the oldest go first.
        _ = requester.received(110, now: 0)  // 101...109 missing: 9
        _ = requester.received(120, now: 0)  // 111...119: 9 more, 18 > 16: 101 and 102 dropped
        #expect(requester.missingCount == 16)
        #expect(!requester.isMissing(101))
        #expect(requester.isMissing(103))
        #expect(requester.isMissing(119))
    }

    @Test func sequenceNumbersWrapAcrossZero() throws {
        var requester = NACKRequester()
        _ = requester.received(65_534, now: 0)
        _ = requester.received(1, now: 0)
        #expect(try requested(&requester, at: 0) == [65_535, 0])
        do {
            let value = requester.received(0, now: 1)
            #expect(value == .recovered)
        }
        do {
            let value = requester.received(65_535, now: 1)
            #expect(value == .recovered)
        }
        #expect(requester.missingCount == 0)
    }

    @Test func manyMissingNumbersFitOneMessage() throws {
        var requester = NACKRequester()
        _ = requester.received(0, now: 0)
        var sequence: UInt16 = 0
        var expected: [UInt16] = []
        // Every other packet lost, 200 of them: 200 entries' worth of numbers, packed 17 to an entry.
        for _ in 0..<200 {
            expected.append(sequence &+ 1)
            sequence &+= 2
            _ = requester.received(sequence, now: 0)
        }
        do {
            let value = try requested(&requester, at: 0)
            #expect(value == expected)
        }
    }

    /// Retransmissions measure the round trip; requests are then repeated after 1.5 of it
    /// (20 ms at least, the settings' 100 ms at most), not after a fixed 100 ms.
    @Test func theRetryIntervalFollowsTheRoundTripRetransmissionsShow() throws {
        var requester = NACKRequester()
        #expect(requester.currentRetryInterval == 100_000)
        _ = requester.received(1, now: 0)
        _ = requester.received(3, now: 0)
        #expect(try requested(&requester, at: 0) == [2])
        // A late packet (not a retransmission) says nothing of the round trip.
        _ = requester.received(5, now: 1_000)
        do {
            let late = requester.received(4, now: 2_000)
            #expect(late == .recovered)
        }
        #expect(requester.roundTrip == nil)
        do {
            let repaired = requester.received(2, now: 30_000, retransmission: true)
            #expect(repaired == .recovered)
        }
        #expect(requester.roundTrip == 30_000)
        #expect(requester.currentRetryInterval == 45_000)
        _ = requester.received(7, now: 100_000)
        #expect(try requested(&requester, at: 100_000) == [6])
        #expect(try requested(&requester, at: 144_999) == [])
        #expect(try requested(&requester, at: 145_000) == [6])
        // A round trip of 1 ms: the floor.
        var near = NACKRequester()
        _ = near.received(1, now: 0)
        _ = near.received(3, now: 0)
        _ = try requested(&near, at: 0)
        _ = near.received(2, now: 1_000, retransmission: true)
        #expect(near.currentRetryInterval == 20_000)
    }
}
