import TestSupport
import Testing
@testable import RTP

/// The receiver's side of transport-wide congestion control, with plain values: what is
/// recorded comes back out of the messages it writes, parsed by `TransportWideFeedback`.
@Suite struct TransportWideFeedbackGeneratorTests {
    typealias Status = TransportWideFeedback.PacketStatus

    /// Every message pending, parsed: (feedback packet count, statuses).
    func drain(_ generator: inout TransportWideFeedbackGenerator, maximumStatuses: Int = 512) throws -> [(count: UInt8, statuses: [Status])] {
        var messages: [(UInt8, [Status])] = []
        var rounds = 0
        while generator.hasPendingFeedback {
            rounds += 1
            guard rounds < 1000 else {
                Issue.record("feedback never drained")
                break
            }
            let bytes = try written { buffer throws(RTPWriteError) in
                try generator.writeFeedback(senderSSRC: 1, mediaSSRC: 2, maximumStatuses: maximumStatuses, into: buffer)
            }
            let parsed = try withBytes(bytes) { buffer in
                let feedback = try TransportWideFeedback(parsing: buffer)
                return (feedback.feedbackPacketCount, Array(feedback))
            }
            messages.append(parsed)
        }
        return messages
    }

    /// Sequence number to arrival time (nil: reported lost) over all messages, later reports
    /// overriding earlier ones, as a sender reads them.
    func reported(_ messages: [(count: UInt8, statuses: [Status])]) -> [UInt16: Int64?] {
        var out: [UInt16: Int64?] = [:]
        for message in messages {
            for status in message.statuses {
                if status.arrivalTime != nil || out[status.sequenceNumber] == nil { out[status.sequenceNumber] = status.arrivalTime }
            }
        }
        return out
    }

    @Test func packetsInOrderComeBackWithTheirArrivalTimes() throws {
        var generator = TransportWideFeedbackGenerator()
        #expect(!generator.hasPendingFeedback)
        for i in 0..<20 { generator.record(sequence: UInt16(100 + i), arrivalMicroseconds: 5_000_000 + Int64(i) * 1_250) }
        let messages = try drain(&generator)
        #expect(messages.count == 1)
        #expect(messages[0].statuses.map(\.sequenceNumber) == (100..<120).map { UInt16($0) })
        #expect(messages[0].statuses.map(\.arrivalTime) == (0..<20).map { 5_000_000 + Int64($0) * 1_250 })
        // Reported once: nothing pending after, and a second round writes nothing.
        #expect(try drain(&generator).isEmpty)
    }

    @Test func gapsAreReportedLostAndLaterPacketsContinueTheNumbering() throws {
        var generator = TransportWideFeedbackGenerator()
        for sequence: UInt16 in [10, 11, 14, 15] { generator.record(sequence: sequence, arrivalMicroseconds: Int64(sequence) * 1000) }
        let first = try drain(&generator)
        #expect(first.count == 1)
        #expect(first[0].statuses.map(\.sequenceNumber) == [10, 11, 12, 13, 14, 15])
        #expect(first[0].statuses.map { $0.arrivalTime != nil } == [true, true, false, false, true, true])
        generator.record(sequence: 18, arrivalMicroseconds: 18_000)
        let second = try drain(&generator)
        #expect(second.map(\.count) == [1])
        #expect(second[0].statuses.map(\.sequenceNumber) == [16, 17, 18])
        #expect(second[0].statuses.map { $0.arrivalTime != nil } == [false, false, true])
    }

    @Test func aPacketArrivingAfterItWasReportedLostIsReportedAgainAsReceived() throws {
        var generator = TransportWideFeedbackGenerator()
        generator.record(sequence: 1, arrivalMicroseconds: 1_000)
        generator.record(sequence: 3, arrivalMicroseconds: 3_000)
        _ = try drain(&generator)
        generator.record(sequence: 2, arrivalMicroseconds: 4_000)
        generator.record(sequence: 4, arrivalMicroseconds: 5_000)
        let messages = try drain(&generator)
        #expect(messages.count == 1)
        #expect(messages[0].statuses.map(\.sequenceNumber) == [2, 3, 4])
        #expect(messages[0].statuses.map(\.arrivalTime) == [4_000, 3_000, 5_000])
    }

    @Test func duplicatesAndPacketsOlderThanTheRingAreIgnored() throws {
        var generator = TransportWideFeedbackGenerator()
        generator.record(sequence: 7, arrivalMicroseconds: 1_000)
        generator.record(sequence: 7, arrivalMicroseconds: 9_000)
        #expect(generator.packetsIgnored == 1)
        let last = UInt16(7 + TransportWideFeedbackGenerator.capacity)
        generator.record(sequence: last - 1, arrivalMicroseconds: 2_000)
        generator.record(sequence: last, arrivalMicroseconds: 3_000)
        generator.record(sequence: 7, arrivalMicroseconds: 4_000)  // now beyond the ring
        #expect(generator.packetsIgnored == 2)
        #expect(generator.packetsRecorded == 3)
        let all = reported(try drain(&generator))
        #expect(all[7] == nil)
        #expect(all[last] == .some(3_000))
    }

    @Test func sequenceNumbersWrapAcrossZero() throws {
        var generator = TransportWideFeedbackGenerator()
        for i in 0..<10 { generator.record(sequence: 65530 &+ UInt16(i), arrivalMicroseconds: Int64(i) * 500) }
        let messages = try drain(&generator)
        #expect(messages.count == 1)
        #expect(messages[0].statuses.map(\.sequenceNumber) == [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3])
        #expect(messages[0].statuses.allSatisfy { $0.arrivalTime != nil })
    }

    @Test func manyPacketsAreSplitIntoConsecutiveMessagesWithCountedFeedback() throws {
        var generator = TransportWideFeedbackGenerator()
        for i in 0..<1000 where i % 10 != 3 { generator.record(sequence: UInt16(i), arrivalMicroseconds: 1_000_000 + Int64(i) * 250) }
        let messages = try drain(&generator, maximumStatuses: 300)
        #expect(messages.map(\.count) == [0, 1, 2, 3])
        #expect(messages.map(\.statuses.count) == [300, 300, 300, 100])
        let statuses = messages.flatMap(\.statuses)
        #expect(statuses.map(\.sequenceNumber) == (0..<1000).map { UInt16($0) })
        #expect(statuses.filter { $0.arrivalTime == nil }.count == 100)
    }

    @Test func arrivalsFurtherApartThanADeltaCanSayStartANewMessage() throws {
        var generator = TransportWideFeedbackGenerator()
        generator.record(sequence: 1, arrivalMicroseconds: 1_000_000)
        generator.record(sequence: 2, arrivalMicroseconds: 1_001_000)
        generator.record(sequence: 3, arrivalMicroseconds: 11_000_000)  // 10 s later: beyond ±8.19 s
        let messages = try drain(&generator)
        #expect(messages.map { $0.statuses.map(\.sequenceNumber) } == [[1, 2], [3]])
        #expect(messages[1].statuses[0].arrivalTime == 11_000_000)
    }

    @Test func aJumpBeyondTheRingStartsOverAtTheNewNumber() throws {
        var generator = TransportWideFeedbackGenerator()
        generator.record(sequence: 100, arrivalMicroseconds: 1_000)
        generator.record(sequence: 30_000, arrivalMicroseconds: 2_000)
        generator.record(sequence: 30_001, arrivalMicroseconds: 3_000)
        let messages = try drain(&generator)
        #expect(messages.flatMap(\.statuses).map(\.sequenceNumber) == [30_000, 30_001])
    }

    @Test func arrivalTimesAnywhereOnTheClockAreWritten() throws {
        // A host up for years, and a clock that starts below zero: the 24-bit reference wraps.
        for base: Int64 in [0, -64_000, 1 << 40, Int64(Int32.max) * 1_000] {
            var generator = TransportWideFeedbackGenerator()
            generator.record(sequence: 5, arrivalMicroseconds: base)
            generator.record(sequence: 6, arrivalMicroseconds: base + 750)
            let messages = try drain(&generator)
            #expect(messages.count == 1)
            let times = messages[0].statuses.compactMap(\.arrivalTime)
            #expect(times.count == 2)
            #expect(times[1] - times[0] == 750)
        }
    }
}
