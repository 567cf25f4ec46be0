import TestSupport
import Testing
@testable import RTP

/// Deterministic mutation fuzzing: every seed packet (all fixtures plus hand-written and
/// writer-made packets) is truncated at every length and mutated thousands of times, then fed
/// through every parser and every accessor. A run passes if nothing traps or hangs: each input
/// either parses (and its views can be walked) or yields an `RTPParseError`.
@Suite(.timeLimit(.minutes(1))) struct FuzzTests {
    static let mutationsPerSeed = 1000

    static func seeds() throws -> [[UInt8]] {
        var seeds = try Fixtures.allPackets().map(\.bytes)
        seeds += [
            TransportWideFeedbackTests.twoBitVector,
            TransportWideFeedbackTests.runAndOneBitVector,
            TransportWideFeedbackTests.notReceivedRun,
            hex("81CD 0004 11111111 22222222 0064 8005 FFFF 0001"),
            hex("82CB 0004 11111111 22222222 05 627965210A 0000"),
            hex("90 60 0001 00000000 00000000 1000 0007 0100 00 C8 03 AABBCC 05 10 07070707070707070707070707070707 000000"),
            hex("B0 6F 0001 00000064 11223344 BEDE 0002 10AA 21BBCC 000000 0909 000003"),
        ]
        return seeds
    }

    /// Runs `bytes` through everything; returns how many parses succeeded (to keep the work observable).
    static let rtcpTypes: [(type: UInt8, format: UInt8)] = [(200, 0), (201, 0), (202, 0), (203, 0), (205, 1), (205, 15), (206, 1), (206, 4), (206, 15)]

    static func exercise(_ bytes: [UInt8], scratch: UnsafeMutableRawBufferPointer, retype: Int) -> Int {
        var successes = 0
        bytes.withUnsafeBytes { buffer in
            _ = PacketDemultiplexer.classify(buffer)
            if let packet = try? RTPPacket(buffer) {
                successes += 1
                var sum = Int(packet.sequenceNumber) &+ Int(packet.timestamp) &+ Int(packet.ssrc) &+ Int(packet.payloadType)
                for index in 0..<packet.csrcCount { sum &+= Int(packet.csrc(at: index)) }
                for element in packet.headerExtensions ?? RTPHeaderExtensions(profile: 0, data: buffer, baseOffset: 0) {
                    precondition(element.range.upperBound <= packet.headerLength)
                    sum &+= element.value.count &+ Int(element.id)
                }
                for byte in packet.payload { sum &+= Int(byte) }
                _ = packet.headerExtension(id: 3).flatMap(TransportSequenceNumberExtension.read)
                // The payload and the extension values as a VP8 descriptor and as a dependency
                // descriptor (with a structure from an earlier packet, kept across inputs).
                _ = VP8PayloadDescriptor(packet.payload)
                var dependencyStructure = DependencyStructure()
                DependencyDescriptorTests.keyframe.withUnsafeBytes { _ = DependencyDescriptor($0, structure: &dependencyStructure) }
                _ = DependencyDescriptor(packet.payload, structure: &dependencyStructure)
                for element in packet.headerExtensions ?? RTPHeaderExtensions(profile: 0, data: buffer, baseOffset: 0) {
                    _ = DependencyDescriptor(element.value, structure: &dependencyStructure)
                }
                if (try? RTX.originalSequenceNumber(of: packet)) != nil {
                    _ = try? RTX.unwrap(packet, originalSSRC: 1, originalPayloadType: 96, into: scratch)
                }
                if let length = try? RTX.wrap(packet, rtxSSRC: 2, rtxPayloadType: 97, rtxSequenceNumber: 3, into: scratch) {
                    precondition((try? RTPPacket(UnsafeRawBufferPointer(rebasing: scratch[0..<length]))) != nil, "RTX wrap output must parse")
                }
                _ = sum
            }
            // Each RTCP parser on the first packet, whatever its type, then the compound walk.
            if let packet = try? RTCPPacket(buffer) {
                successes += 1
                successes += exerciseRTCP(packet)
            }
            if let compound = try? RTCPCompound(buffer) {
                successes += 1
                var total = 0
                for packet in compound {
                    total += packet.bytes.count
                    _ = try? parseKnownRTCP(packet)
                }
                precondition(total == buffer.count, "compound walk must cover the datagram")
            }
        }
        // The same bytes as RTCP of one of the types this module reads, to reach that parser's
        // checks with bodies it would otherwise never see.
        if bytes.count >= 2 {
            var retyped = bytes
            let (type, format) = rtcpTypes[retype % rtcpTypes.count]
            retyped[0] = (bytes[0] & 0xE0) | (type >= 205 ? format : bytes[0] & 0x1F)
            retyped[1] = type
            retyped.withUnsafeBytes { buffer in
                if let packet = try? RTCPPacket(buffer) { successes += exerciseRTCP(packet) }
            }
        }
        // In-place rewriting on a copy.
        var copy = bytes
        copy.withUnsafeMutableBytes { buffer in
            if let rewriter = try? RTPRewriter(buffer) {
                rewriter.setSSRC(9)
                _ = try? rewriter.rewriteExtensionID(from: 3, to: 5)
                _ = rewriter.removeExtension(id: 4)
                precondition((try? RTPPacket(UnsafeRawBufferPointer(buffer))) != nil, "rewritten packet must still parse")
            }
        }
        return successes
    }

    static func exerciseRTCP(_ packet: RTCPPacket) -> Int {
        var successes = 0
        var sum = 0
        if let sr = try? SenderReport(packet) { successes += 1; for report in sr.reports { sum &+= Int(report.jitter) } }
        if let rr = try? ReceiverReport(packet) { successes += 1; for report in rr.reports { sum &+= Int(report.cumulativeLost) } }
        if let sdes = try? SourceDescription(packet) {
            successes += 1
            for chunk in sdes { for item in chunk { sum &+= item.value.count } }
        }
        if let bye = try? Goodbye(packet) {
            successes += 1
            for index in 0..<bye.sourceCount { sum &+= Int(bye.source(at: index)) }
            sum &+= bye.reason?.count ?? 0
        }
        if let nack = try? GenericNACK(packet) { successes += 1; for lost in nack { sum &+= Int(lost) } }
        if let pli = try? PictureLossIndication(packet) { successes += 1; sum &+= Int(pli.mediaSSRC) }
        if let fir = try? FullIntraRequest(packet) { successes += 1; for entry in fir { sum &+= Int(entry.sequenceNumber) } }
        if let remb = try? ReceiverEstimatedMaxBitrate(packet) {
            successes += 1
            sum &+= Int(truncatingIfNeeded: remb.bitrate)
            for index in 0..<remb.ssrcCount { sum &+= Int(remb.ssrc(at: index)) }
        }
        if let twcc = try? TransportWideFeedback(packet) {
            successes += 1
            var count = 0
            for status in twcc { count += 1; sum &+= Int(status.delta) }
            precondition(count == twcc.packetStatusCount, "every status is yielded")
        }
        _ = sum
        return successes
    }

    static func mutate(_ seed: [UInt8], _ random: inout SplitMix64, others: [[UInt8]]) -> [UInt8] {
        var bytes = seed
        switch Int.random(in: 0..<8, using: &random) {
        case 0:  // bit flips
            guard !bytes.isEmpty else { break }
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            }
        case 1:  // random byte values
            guard !bytes.isEmpty else { break }
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
        case 2:  // truncation
            bytes.removeLast(Int.random(in: 0...bytes.count, using: &random))
        case 3:  // length-ish fields: a 16-bit word near the front set to an edge value
            guard bytes.count >= 4 else { break }
            let offset = Int.random(in: 0...min(bytes.count - 2, 40), using: &random)
            let value: UInt16 = [0, 1, 0xFFFF, 0x7FFF, 0x8000, UInt16(bytes.count / 4), UInt16(bytes.count / 4 - 1), UInt16.random(in: 0...0xFF, using: &random)]
                .randomElement(using: &random)!
            bytes[offset] = UInt8(value >> 8)
            bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
        case 4:  // header bits: counts, padding and extension flags
            guard !bytes.isEmpty else { break }
            bytes[0] = (bytes[0] & 0xC0) | UInt8.random(in: 0..<64, using: &random)
            if bytes.count > 1, Bool.random(using: &random) { bytes[bytes.count - 1] = UInt8.random(in: 0...255, using: &random) }
        case 5:  // insert or delete a run of bytes
            let at = Int.random(in: 0...bytes.count, using: &random)
            if Bool.random(using: &random) {
                bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: at)
            } else {
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &random)))
            }
        case 6:  // random bytes behind a plausible first byte
            bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if !bytes.isEmpty { bytes[0] = 0x80 | (bytes[0] & 0x3F) }
        default:  // splice: a compound of this and another seed
            bytes += others.randomElement(using: &random)!
        }
        return bytes
    }

    @Test func truncationsAtEveryLength() throws {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { scratch.deallocate() }
        for seed in try Self.seeds() {
            for length in 0...seed.count {
                _ = Self.exercise(Array(seed[0..<length]), scratch: scratch, retype: length)
            }
        }
    }

    @Test func randomMutations() throws {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { scratch.deallocate() }
        let seeds = try Self.seeds()
        var random = SplitMix64(seed: 0x5EED_F00D)
        var parsed = 0
        var runs = 0
        for seed in seeds {
            for _ in 0..<Self.mutationsPerSeed {
                var bytes = Self.mutate(seed, &random, others: seeds)
                if Int.random(in: 0..<4, using: &random) == 0 { bytes = Self.mutate(bytes, &random, others: seeds) }
                parsed += Self.exercise(bytes, scratch: scratch, retype: Int.random(in: 0..<Self.rtcpTypes.count, using: &random))
                runs += 1
            }
        }
        #expect(runs == seeds.count * Self.mutationsPerSeed)
        #expect(parsed > 0)
    }
}
