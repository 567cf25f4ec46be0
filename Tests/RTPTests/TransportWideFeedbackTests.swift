import TestSupport
import Testing
@testable import RTP

/// Hand-written packets checked against draft-holmer-rmcat-transport-wide-cc-extensions-01
/// sections 3.1.1-3.1.5, then the writer by exact bytes and random round trips.
@Suite struct TransportWideFeedbackTests {
    typealias Status = TransportWideFeedback.PacketStatus

    /// Base 100, 7 statuses, reference 16 (1.024 s), feedback count 1; one 2-bit status
    /// vector `1 1 | 01 01 00 10 01 00 00` = 0xD490; deltas 4 (small), 0 (small), -16 (large,
    /// 0xFFF0), 255 (small); one byte of padding, P bit set.
    static let twoBitVector = hex("AFCD 0006 00000001 00000002  0064 0007 000010 01  D490  04 00 FFF0 FF  01")

    /// Base 65534 (wraps), 17 statuses, reference -1 (0xFFFFFF), count 255; a run-length chunk
    /// `0 | 01 | 3` = 0x2003 (three small deltas) and the draft's 1-bit status vector example
    /// `1 | 0 | 0 1 1 1 1 1 0 0 0 1 1 1 0 0` = 0x9F1C; eleven deltas of 1 tick.
    static let runAndOneBitVector = hex("AFCD 0008 00000001 00000002  FFFE 0011 FFFFFF FF  2003 9F1C  0101010101010101010101  01")

    /// The draft's run-length example: `0 | 00 | 0000011011101`, 221 packets not received.
    static let notReceivedRun = hex("AFCD 0005 00000001 00000002  0000 00DD 000000 00  00DD  0002")

    func statuses(_ bytes: [UInt8]) throws -> [Status] {
        try withBytes(bytes) { Array(try TransportWideFeedback(parsing: $0)) }
    }

    @Test func twoBitVectorPacket() throws {
        try withBytes(Self.twoBitVector) { buffer in
            let feedback = try TransportWideFeedback(parsing: buffer)
            #expect(feedback.senderSSRC == 1)
            #expect(feedback.mediaSSRC == 2)
            #expect(feedback.baseSequenceNumber == 100)
            #expect(feedback.packetStatusCount == 7)
            #expect(feedback.referenceTime == 16)
            #expect(feedback.referenceTimeMicroseconds == 1_024_000)
            #expect(feedback.feedbackPacketCount == 1)
        }
        #expect(try statuses(Self.twoBitVector) == [
            Status(sequenceNumber: 100, symbol: .receivedSmallDelta, delta: 4, arrivalTime: 1_025_000),
            Status(sequenceNumber: 101, symbol: .receivedSmallDelta, delta: 0, arrivalTime: 1_025_000),
            Status(sequenceNumber: 102, symbol: .notReceived, delta: 0, arrivalTime: nil),
            Status(sequenceNumber: 103, symbol: .receivedLargeDelta, delta: -16, arrivalTime: 1_021_000),
            Status(sequenceNumber: 104, symbol: .receivedSmallDelta, delta: 255, arrivalTime: 1_084_750),
            Status(sequenceNumber: 105, symbol: .notReceived, delta: 0, arrivalTime: nil),
            Status(sequenceNumber: 106, symbol: .notReceived, delta: 0, arrivalTime: nil),
        ])
    }

    @Test func runLengthAndOneBitVectorPacket() throws {
        let all = try statuses(Self.runAndOneBitVector)
        #expect(all.count == 17)
        #expect(all.map(\.sequenceNumber) == [65534, 65535] + Array(0...14))
        let received: [Bool] = [true, true, true] + [false, true, true, true, true, true, false, false, false, true, true, true, false, false]
        #expect(all.map { $0.arrivalTime != nil } == received)
        // Reference -64 ms, then +250 µs per received packet.
        #expect(all.compactMap(\.arrivalTime) == (1...11).map { -64_000 + 250 * Int64($0) })
        let count = try withBytes(Self.runAndOneBitVector) { try TransportWideFeedback(parsing: $0).feedbackPacketCount }
        #expect(count == 255)
    }

    @Test func longRunNotReceived() throws {
        let all = try statuses(Self.notReceivedRun)
        #expect(all.count == 221)
        #expect(all.allSatisfy { $0.symbol == .notReceived })
    }

    @Test func malformed() {
        // Reserved 2-bit symbol 11 in a status vector.
        #expect(parseError(hex("8FCD 0005 00000001 00000002 0000 0001 000000 00 F000 0000")) { try TransportWideFeedback(parsing: $0) }
            == .reservedStatusSymbol(offset: 20))
        // Deltas missing.
        #expect(parseError(hex("8FCD 0005 00000001 00000002 0064 0007 000010 01 D490 0000")) { try TransportWideFeedback(parsing: $0) }
            == .truncated(needed: 27, have: 24))
        // Status count needs more chunks than present.
        #expect(parseError(hex("8FCD 0005 00000001 00000002 0000 0100 000000 00 00DD 0000")) { try TransportWideFeedback(parsing: $0) }
            == .truncated(needed: 26, have: 24))
        // No room for the fixed fields.
        #expect(parseError(hex("8FCD 0003 00000001 00000002 0000 0001")) { try TransportWideFeedback(parsing: $0) } == .truncated(needed: 20, have: 16))
        // Zero-length runs are skipped, bounded by the packet: no hang.
        #expect(parseError(hex("8FCD 0006 00000001 00000002 0000 0001 000000 00 0000 0000 0000 0000")) { try TransportWideFeedback(parsing: $0) }
            == .truncated(needed: 30, have: 28))
    }

    func write(_ observations: [TransportWideObservation], count: UInt8 = 1, capacity: Int = 1500) throws(RTPWriteError) -> [UInt8] {
        try written(capacity: capacity) { out throws(RTPWriteError) in
            try TransportWideFeedback.write(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: count, observations: observations, into: out)
        }
    }

    @Test func writerReproducesHandWrittenPacket() throws {
        let observations = [
            TransportWideObservation(sequenceNumber: 100, arrivalTime: 1_025_000),
            TransportWideObservation(sequenceNumber: 101, arrivalTime: 1_025_000),
            TransportWideObservation(sequenceNumber: 103, arrivalTime: 1_021_000),  // 102 missing: a gap
            TransportWideObservation(sequenceNumber: 104, arrivalTime: 1_084_750),
            TransportWideObservation(sequenceNumber: 105, arrivalTime: nil),
            TransportWideObservation(sequenceNumber: 106, arrivalTime: nil),
        ]
        #expect(try write(observations) == Self.twoBitVector)
    }

    @Test func writerChunkChoices() throws {
        // 14 alternating received/lost: one 1-bit vector 1 0 10101010101010 = 0xAAAA.
        let alternating = (0..<14).map { TransportWideObservation(sequenceNumber: UInt16($0), arrivalTime: $0 % 2 == 0 ? 0 : nil) }
        let bytes = try write(alternating)
        #expect(Array(bytes[20..<22]) == [0xAA, 0xAA])
        // 20 000 received in a row: run-length chunks of at most 8191.
        let run = (0..<20_000).map { TransportWideObservation(sequenceNumber: UInt16($0), arrivalTime: Int64($0) * 250) }
        let long = try write(run, capacity: 30_000)
        #expect(Array(long[20..<26]) == hex("3FFF 3FFF 2E22"))
        #expect(try statuses(long).compactMap(\.arrivalTime) == run.compactMap(\.arrivalTime))
    }

    @Test func writerRejects() {
        let unordered = [TransportWideObservation(sequenceNumber: 5, arrivalTime: 0), TransportWideObservation(sequenceNumber: 4, arrivalTime: 0)]
        #expect(throws: RTPWriteError.unorderedSequenceNumber(4)) { try write(unordered) }
        let duplicate = [TransportWideObservation(sequenceNumber: 5, arrivalTime: 0), TransportWideObservation(sequenceNumber: 5, arrivalTime: 0)]
        #expect(throws: RTPWriteError.unorderedSequenceNumber(5)) { try write(duplicate) }
        let jump = [TransportWideObservation(sequenceNumber: 5, arrivalTime: 0), TransportWideObservation(sequenceNumber: 6, arrivalTime: 10_000_000)]
        #expect(throws: RTPWriteError.deltaOutOfRange(sequenceNumber: 6)) { try write(jump) }
        let full = (try? write(Array(jump.prefix(1)))) ?? []
        for capacity in 0..<full.count {
            #expect(throws: RTPWriteError.self) { try write(Array(jump.prefix(1)), capacity: capacity) }
        }
    }

    @Test func randomRoundTrips() throws {
        var random = SplitMix64(seed: 0x7CC)
        for _ in 0..<300 {
            var sequence = UInt16.random(in: 0...UInt16.max, using: &random)
            var time = Int64.random(in: -1_000_000_000...1_000_000_000, using: &random) / 250 * 250
            var observations: [TransportWideObservation] = []
            for _ in 0..<Int.random(in: 1...400, using: &random) {
                let lost = Int.random(in: 0..<5, using: &random) == 0
                // Time moves only with received packets, so each delta is one step below.
                switch lost ? -1 : Int.random(in: 0..<20, using: &random) {
                case 0: time -= 250 * Int64.random(in: 1...40, using: &random)  // reordered arrival: negative delta
                case 1: time += 250 * Int64.random(in: 256...30_000, using: &random)  // large delta
                case -1: break
                default: time += 250 * Int64.random(in: 0...40, using: &random)
                }
                observations.append(TransportWideObservation(sequenceNumber: sequence, arrivalTime: lost ? nil : time))
                sequence &+= UInt16(Int.random(in: 0..<8, using: &random) == 0 ? Int.random(in: 2...4, using: &random) : 1)
            }
            let bytes = try write(observations, count: 9, capacity: 4000)
            #expect(bytes.count % 4 == 0)
            let parsed = try statuses(bytes)
            var bySequence: [UInt16: Int64?] = [:]
            for status in parsed { bySequence[status.sequenceNumber] = status.arrivalTime }
            #expect(parsed.count == Int(observations.last!.sequenceNumber &- observations.first!.sequenceNumber) + 1)
            for observation in observations {
                #expect(bySequence[observation.sequenceNumber] == .some(observation.arrivalTime))
            }
            // Everything between observations is reported lost.
            #expect(parsed.filter { $0.arrivalTime != nil }.count == observations.filter { $0.arrivalTime != nil }.count)
        }
    }
}

/// Transport-wide feedback captured from Chromium (Fixtures/chromium): libwebrtc's own packing.
@Suite struct ChromiumTransportWideFeedbackTests {
    @Test func capturedFeedbackSurvivesOurWriter() throws {
        var checked = 0
        var identical = 0
        for (name, bytes) in try Fixtures.allPackets() where name.hasPrefix("chromium/") {
            try withBytes(bytes) { buffer in
                guard PacketDemultiplexer.classify(buffer) == .rtcp else { return }
                for packet in try RTCPCompound(buffer)
                where packet.packetType == .transportFeedback && packet.count == RTCPFeedback.Format.transportWideCC {
                    let feedback = try TransportWideFeedback(packet)
                    let statuses = Array(feedback)
                    #expect(statuses.count == feedback.packetStatusCount, "\(name)")
                    let observations = statuses.map { TransportWideObservation(sequenceNumber: $0.sequenceNumber, arrivalTime: $0.arrivalTime) }
                    let rewritten = try written(capacity: 4000) { out throws(RTPWriteError) in
                        try TransportWideFeedback.write(
                            senderSSRC: feedback.senderSSRC, mediaSSRC: feedback.mediaSSRC,
                            feedbackPacketCount: feedback.feedbackPacketCount, observations: observations, into: out)
                    }
                    let reparsed = try withBytes(rewritten) { Array(try TransportWideFeedback(parsing: $0)) }
                    #expect(reparsed == statuses, "\(name)")
                    checked += 1
                    if rewritten == Array(packet.bytes) { identical += 1 }
                }
            }
        }
        // Our chunk packing and reference-time rounding follow libwebrtc's, so every captured
        // message comes out byte for byte (with no captures present this checks nothing).
        #expect(identical == checked, "\(checked - identical) of \(checked) captured feedback messages differ")
    }
}
