import RTP
import SDP
@testable import SFU
import Testing

/// VP8 temporal layers left out for a subscriber (RFC 7741 4.2, TID and Y), with plain packets:
/// what is dropped, when the limit moves, and that sequence numbers and picture ids stay
/// contiguous across the pictures left out, for late packets and NACKs too.
@Suite struct ForwardedStreamTemporalTests {
    /// One VP8 packet: X|S (S only at a picture's first packet), I|L|T, a 15-bit picture id,
    /// TL0PICIDX, TID and Y.
    static func packet(sequence: UInt16, picture: UInt16, tl0: UInt8, layer: UInt8, sync: Bool = false,
                       first: Bool = true, ssrc: UInt32 = 0xA) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = bytes.withUnsafeMutableBytes { buffer in
            var writer = try! RTPPacketWriter(into: buffer, header: RTPHeaderFields(payloadType: 96, sequenceNumber: sequence,
                                                                                     timestamp: UInt32(picture) &* 3000, ssrc: ssrc))
            try! writer.appendPayload([first ? 0x90 : 0x80, 0xE0, 0x80 | UInt8(picture >> 8), UInt8(picture & 0xFF), tl0,
                                       layer << 6 | (sync ? 0x20 : 0), 0xAA])
            return try! writer.finish()
        }
        return Array(bytes[0..<count])
    }

    static func stream() -> ForwardedStream {
        var stream = ForwardedStream(ssrc: 0xCAFE, codec: .vp8, clockRate: 90_000, firstSequence: 1000, firstTimestamp: 0)
        stream.configure(payloadType: 100, publisherExtensions: [:], subscriberExtensions: [:])
        return stream
    }

    struct Sent: Equatable {
        var sequence: UInt16
        var picture: UInt16
        var tl0: UInt8
    }

    static func forward(_ stream: inout ForwardedStream, _ bytes: [UInt8]) -> Sent? {
        var out = [UInt8](repeating: 0, count: bytes.count)
        let result = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { buffer in
                let packet = try! RTPPacket(input)
                let frame = VP8PayloadDescriptor(packet.payload).flatMap(ScalableFrame.init(vp8:))
                return stream.rewrite(packet, frame: frame, into: buffer, transportWide: 0, nowMicroseconds: 0)
            }
        }
        guard result != nil else { return nil }
        return out.withUnsafeBytes { buffer in
            let packet = try! RTPPacket(buffer)
            let descriptor = VP8PayloadDescriptor(packet.payload)!
            return Sent(sequence: packet.sequenceNumber, picture: descriptor.pictureID!, tl0: descriptor.tl0PictureIndex!)
        }
    }

    /// libwebrtc's three-layer pattern: 0, 2, 1, 2, 0, ...; the first TL1 and TL2 after each
    /// TL0 picture marked as layer sync when `syncEvery` says so.
    static func layer(of picture: Int) -> UInt8 { [0, 2, 1, 2][picture % 4] }

    /// One packet a picture, `count` pictures from picture id 500 and sequence 100.
    static func run(_ stream: inout ForwardedStream, pictures: Range<Int>, sync: (Int) -> Bool = { _ in false },
                    target: (Int) -> UInt8? = { _ in nil }) -> [(picture: Int, sent: Sent?)] {
        pictures.map { i in
            if let layer = target(i) { stream.setTemporalTarget(layer) }
            let bytes = packet(sequence: UInt16(100 + i), picture: UInt16(500 + i), tl0: UInt8(truncatingIfNeeded: 10 + i / 4),
                               layer: layer(of: i), sync: sync(i))
            return (i, forward(&stream, bytes))
        }
    }

    @Test func allLayersPassByDefault() {
        var stream = Self.stream()
        let sent = Self.run(&stream, pictures: 0..<8)
        #expect(sent.allSatisfy { $0.sent != nil })
        #expect(sent.map { $0.sent!.picture } == Array(500..<508).map(UInt16.init), "one source, ids unchanged")
        #expect(stream.temporalDrops == 0)
    }

    /// Base layer only: a quarter of the pictures, numbered with no gap, TL0PICIDX untouched.
    @Test func upperLayersAreLeftOutWithContiguousNumbers() {
        var stream = Self.stream()
        let sent = Self.run(&stream, pictures: 0..<12, target: { $0 == 0 ? 0 : nil }).compactMap(\.sent)
        #expect(sent == [Sent(sequence: 1000, picture: 500, tl0: 10), Sent(sequence: 1001, picture: 501, tl0: 11),
                         Sent(sequence: 1002, picture: 502, tl0: 12)])
        #expect(stream.temporalDrops == 9)
    }

    /// Two layers of three: TL0 and TL1, half the pictures.
    @Test func aMiddleLimitKeepsTheLayersBelowIt() {
        var stream = Self.stream()
        let sent = Self.run(&stream, pictures: 0..<8, target: { $0 == 0 ? 1 : nil })
        #expect(sent.filter { $0.sent != nil }.map(\.picture) == [0, 2, 4, 6])
        #expect(sent.compactMap(\.sent).map(\.picture) == [500, 501, 502, 503])
        #expect(sent.compactMap(\.sent).map(\.sequence) == [1000, 1001, 1002, 1003])
    }

    /// Going up, a layer comes back at its next layer-sync picture only, one layer at a time:
    /// before it, the receiver lacks the pictures an upper-layer picture references.
    @Test func theLimitRisesOnlyAtALayerSyncPicture() {
        var stream = Self.stream()
        // Base only for pictures 0-3, then everything wanted; sync pictures: 6 (TL1) and 9 (TL2).
        let sent = Self.run(&stream, pictures: 0..<16, sync: { $0 == 6 || $0 == 9 }, target: { $0 == 0 ? 0 : $0 == 4 ? .max : nil })
        let forwarded = sent.filter { $0.sent != nil }.map(\.picture)
        // 5 (TL2, not sync) stays out; 6 (TL1 sync) raises to 1; 7 (TL2) out; 9 (TL2 sync) raises to 2.
        #expect(forwarded == [0, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15])
        let ids = sent.compactMap(\.sent).map(\.picture)
        #expect(ids == Array(500..<511).map(UInt16.init), "picture ids without a gap")
        #expect(sent.compactMap(\.sent).map(\.sequence) == Array(1000..<1011).map(UInt16.init))
        #expect(stream.temporalLimit == 2)
    }

    /// A lower target takes effect at the next picture, never inside one.
    @Test func aLowerTargetWaitsForTheNextPicture() {
        var stream = Self.stream()
        #expect(Self.forward(&stream, Self.packet(sequence: 1, picture: 10, tl0: 0, layer: 0)) != nil)
        #expect(Self.forward(&stream, Self.packet(sequence: 2, picture: 11, tl0: 0, layer: 2)) != nil)
        stream.setTemporalTarget(0)
        let rest = Self.forward(&stream, Self.packet(sequence: 3, picture: 11, tl0: 0, layer: 2, first: false))
        #expect(rest?.sequence == 1002 && rest?.picture == 11, "the picture begun goes out whole")
        #expect(Self.forward(&stream, Self.packet(sequence: 4, picture: 12, tl0: 0, layer: 1)) == nil)
        #expect(Self.forward(&stream, Self.packet(sequence: 5, picture: 13, tl0: 1, layer: 0))?.sequence == 1003)
    }

    /// A dropped picture of three packets whose middle one is lost upstream: the gap lies inside
    /// the dropped picture, so it costs no number; when the packet turns up (repaired), it is
    /// dropped too.
    @Test func aGapInsideADroppedPictureCostsNoNumber() {
        var stream = Self.stream()
        stream.setTemporalTarget(0)
        #expect(Self.forward(&stream, Self.packet(sequence: 10, picture: 1, tl0: 0, layer: 0))?.sequence == 1000)
        #expect(Self.forward(&stream, Self.packet(sequence: 11, picture: 2, tl0: 0, layer: 1)) == nil)
        #expect(Self.forward(&stream, Self.packet(sequence: 13, picture: 2, tl0: 0, layer: 1, first: false)) == nil)
        let next = Self.forward(&stream, Self.packet(sequence: 14, picture: 3, tl0: 1, layer: 0))
        #expect(next == Sent(sequence: 1001, picture: 2, tl0: 1))
        #expect(Self.forward(&stream, Self.packet(sequence: 12, picture: 2, tl0: 0, layer: 1, first: false)) == nil)
    }

    /// A packet missing between two pictures might belong to either: its place is kept, and it
    /// takes it when it arrives late, with its picture's id.
    @Test func aLatePacketTakesThePlaceKeptForIt() {
        var stream = Self.stream()
        stream.setTemporalTarget(0)
        #expect(Self.forward(&stream, Self.packet(sequence: 10, picture: 1, tl0: 0, layer: 0))?.sequence == 1000)
        // 11, the rest of picture 1, is late; 12 starts a dropped picture; 13 a kept one.
        #expect(Self.forward(&stream, Self.packet(sequence: 12, picture: 2, tl0: 0, layer: 2)) == nil)
        #expect(Self.forward(&stream, Self.packet(sequence: 13, picture: 3, tl0: 1, layer: 0)) == Sent(sequence: 1002, picture: 2, tl0: 1))
        let late = Self.forward(&stream, Self.packet(sequence: 11, picture: 1, tl0: 0, layer: 0, first: false))
        #expect(late == Sent(sequence: 1001, picture: 1, tl0: 0))
        // A repeat of a dropped packet stays dropped.
        #expect(Self.forward(&stream, Self.packet(sequence: 12, picture: 2, tl0: 0, layer: 2)) == nil)
    }

    /// A late packet of a dropped picture in a place kept for it: dropped, leaving a hole that a
    /// NACK cannot fill (nothing is resent for it).
    @Test func aLatePacketOfADroppedPictureLeavesAHole() {
        var stream = Self.stream()
        stream.setTemporalTarget(0)
        _ = Self.forward(&stream, Self.packet(sequence: 10, picture: 1, tl0: 0, layer: 0))
        // 11 missing; 12 is the second packet of picture 2 (TL2), whose first packet is 11.
        #expect(Self.forward(&stream, Self.packet(sequence: 12, picture: 2, tl0: 0, layer: 2, first: false)) == nil)
        #expect(Self.forward(&stream, Self.packet(sequence: 13, picture: 3, tl0: 1, layer: 0))?.sequence == 1002)
        #expect(Self.forward(&stream, Self.packet(sequence: 11, picture: 2, tl0: 0, layer: 2)) == nil)
        #expect(stream.sourceSequence(of: 1001) == nil)
        #expect(stream.sourceSequence(of: 1002) == 13)
    }

    /// NACKs name our numbers: they lead back to the source's across drops, and a resend
    /// carries the picture id the packet first went out with.
    @Test func resendsFindTheirSourceAcrossDrops() {
        var stream = Self.stream()
        let sent = Self.run(&stream, pictures: 0..<9, target: { $0 == 0 ? 0 : nil })
        #expect(sent.compactMap(\.sent).map(\.sequence) == [1000, 1001, 1002])
        #expect(stream.sourceSequence(of: 1001) == 104 && stream.sourceSequence(of: 1002) == 108)
        #expect(stream.sourceSequence(of: 1003) == nil, "not sent yet")
        let original = Self.packet(sequence: 104, picture: 504, tl0: 11, layer: 0)
        var out = [UInt8](repeating: 0, count: original.count)
        let stamped = original.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { stream.rewriteResend(try! RTPPacket(input), as: 1001, into: $0, transportWide: 0) }
        }
        #expect(stamped == false)
        let picture = out.withUnsafeBytes { VP8PayloadDescriptor(try! RTPPacket($0).payload)!.pictureID }
        #expect(picture == 501)
        let dropped = Self.packet(sequence: 105, picture: 505, tl0: 11, layer: 2)
        let refused = dropped.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { stream.rewriteResend(try! RTPPacket(input), as: 1001, into: $0, transportWide: 0) }
        }
        #expect(refused == nil, "a picture never forwarded is never resent")
    }

    /// A simulcast switch while layers are left out: the new source's numbering continues ours,
    /// and the limit holds on it.
    @Test func aSwitchKeepsTheLimitAndTheNumbering() {
        var stream = Self.stream()
        _ = Self.run(&stream, pictures: 0..<5, target: { $0 == 0 ? 0 : nil })
        #expect(stream.lastSequence == 1001 && stream.lastPictureID == 501)
        let switched = Self.forward(&stream, Self.packet(sequence: 7000, picture: 90, tl0: 200, layer: 0, ssrc: 0xB))
        #expect(switched == Sent(sequence: 1002, picture: 502, tl0: 12))
        #expect(Self.forward(&stream, Self.packet(sequence: 7001, picture: 91, tl0: 200, layer: 2, ssrc: 0xB)) == nil)
        #expect(Self.forward(&stream, Self.packet(sequence: 7002, picture: 92, tl0: 201, layer: 0, ssrc: 0xB))?.sequence == 1003)
    }

    /// Frames known from the dependency descriptor (any codec; Chromium's VP8 then carries no
    /// picture id): the frames above the limit are left out, sequence numbers close up, and the
    /// payload and frame numbers go out as they are (receivers follow the descriptor's
    /// references, which point at frames that were sent).
    @Test func framesOfADependencyDescriptorAreThinnedToo() {
        var stream = ForwardedStream(ssrc: 0xCAFE, codec: .av1, clockRate: 90_000, firstSequence: 1000, firstTimestamp: 0)
        stream.configure(payloadType: 100, publisherExtensions: [:], subscriberExtensions: [:])
        stream.setTemporalTarget(0)
        var sent: [UInt16] = []
        // Two packets a frame, frames 40 to 47 in the L1T3 pattern.
        for i in 0..<16 {
            let number = UInt16(40 + i / 2)
            let frame = ScalableFrame(numbering: .dependencyDescriptor, number: number, temporalLayer: Self.layer(of: i / 2), layerSync: true)
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = bytes.withUnsafeMutableBytes { buffer in
                var writer = try! RTPPacketWriter(into: buffer, header: RTPHeaderFields(payloadType: 96, sequenceNumber: UInt16(7 + i),
                                                                                         timestamp: UInt32(number) * 3000, ssrc: 0xA))
                try! writer.appendPayload([0x10, UInt8(i)])
                return try! writer.finish()
            }
            var out = [UInt8](repeating: 0, count: count)
            let result = bytes.withUnsafeBytes { input in
                out.withUnsafeMutableBytes { stream.rewrite(try! RTPPacket(UnsafeRawBufferPointer(rebasing: input[0..<count])), frame: frame,
                                                            into: $0, transportWide: 0, nowMicroseconds: 0) }
            }
            if let result {
                sent.append(result.sequence)
                #expect(out.suffix(2) == [0x10, UInt8(i)], "payload untouched")
            }
        }
        #expect(sent == [1000, 1001, 1002, 1003], "frames 40 and 44, two packets each")
        #expect(stream.temporalDrops == 12)
    }

    /// 7-bit picture ids wrap too fast to renumber: such a stream is forwarded whole.
    @Test func sevenBitPictureIDsAreNeverThinned() {
        var stream = Self.stream()
        stream.setTemporalTarget(0)
        for i in 0..<8 {
            var bytes = Self.packet(sequence: UInt16(i), picture: 0, tl0: 0, layer: Self.layer(of: i))
            // X|S; I|L|T; 7-bit id; TL0PICIDX; TID.
            let start = bytes.count - 7
            bytes.replaceSubrange(start..<bytes.count, with: [0x90, 0xE0, UInt8(i), 0, Self.layer(of: i) << 6, 0xAA])
            #expect(Self.forward(&stream, bytes) != nil)
        }
    }
}

/// The numbering itself, as plain numbers.
@Suite struct SequenceRenumberingTests {
    @Test func withoutDropsOursIsTheSourcesPlusTheOffset() {
        var numbering = SequenceRenumbering(modulusMask: 0xFFFF, window: 64)
        numbering.reset(offset: 10)
        #expect(numbering.advance(to: 65_534, dropped: false) == 8)
        #expect(numbering.advance(to: 1, dropped: false) == 11, "across the wrap, 65 535 and 0 kept")
        #expect(numbering.late(65_535) == .kept(9) && numbering.late(0) == .kept(10))
        #expect(numbering.source(of: 11) == 1)
        #expect(numbering.drops == 0)
    }

    @Test func dropsCloseUpAndLateNumbersFindTheirPlace() {
        var numbering = SequenceRenumbering(modulusMask: 0x7FFF, window: 64)
        numbering.reset(offset: 0)
        #expect(numbering.advance(to: 0x7FFE, dropped: false) == 0x7FFE)
        #expect(numbering.advance(to: 0x7FFF, dropped: true) == nil)
        #expect(numbering.advance(to: 2, dropped: false) == 1, "0 and 1 kept places, 0x7FFF closed up")
        #expect(numbering.late(0) == .kept(0x7FFF) && numbering.late(1) == .kept(0) && numbering.late(0x7FFF) == .dropped)
        #expect(numbering.advance(to: 5, dropped: true, skippedDropped: true) == nil)
        #expect(numbering.advance(to: 6, dropped: false) == 2, "3, 4 and 5 dropped")
    }

    @Test func numbersOutsideTheWindowAreUnknown() {
        var numbering = SequenceRenumbering(modulusMask: 0xFFFF, window: 16)
        numbering.reset(offset: 0)
        _ = numbering.advance(to: 100, dropped: false)
        #expect(numbering.late(99) == .unknown, "never seen, before the first")
        _ = numbering.advance(to: 116, dropped: false)
        #expect(numbering.late(100) == .unknown, "16 behind")
        #expect(numbering.late(101) == .kept(101))
        _ = numbering.advance(to: 5000, dropped: false)
        #expect(numbering.late(4999) == .unknown, "a jump keeps no places")
        numbering.reset(offset: 3)
        #expect(numbering.late(5000) == .unknown && numbering.source(of: 5000) == nil)
    }
}
