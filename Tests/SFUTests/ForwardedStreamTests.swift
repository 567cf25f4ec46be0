import RTP
import SDP
@testable import SFU
import Testing

/// One subscriber's numbering of a track, with plain packets: continuity across source changes
/// (simulcast switches, re-published tracks), header extension mapping, the transport-wide
/// stamp, VP8 picture ids, and resends.
@Suite struct ForwardedStreamTests {
    /// The publisher's ids: transport-wide 3, mid 4, abs-send-time 2; the subscriber negotiated
    /// transport-wide as 5 and abs-send-time as 2, not mid.
    static let publisherExtensions: [UInt8: String] = [
        3: HeaderExtensionURI.transportWideCC, 4: "urn:ietf:params:rtp-hdrext:sdes:mid",
        2: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    ]
    static let subscriberExtensions: [String: UInt8] = [
        HeaderExtensionURI.transportWideCC: 5, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time": 2,
    ]

    static func stream(codec: VideoKeyframe.Codec? = .vp8) -> ForwardedStream {
        var stream = ForwardedStream(ssrc: 0xCAFE, codec: codec, clockRate: 90_000, firstSequence: 1000, firstTimestamp: 50_000)
        stream.configure(payloadType: 100, publisherExtensions: publisherExtensions, subscriberExtensions: subscriberExtensions)
        return stream
    }

    /// A publisher's packet: payload type 96, the three extensions, a VP8 payload descriptor
    /// with a 15-bit picture id and TL0PICIDX when `picture` is given.
    static func packet(ssrc: UInt32, sequence: UInt16, timestamp: UInt32, picture: (id: UInt16, tl0: UInt8)? = nil,
                       transportWide: UInt16 = 7) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 200)
        let count = bytes.withUnsafeMutableBytes { buffer in
            var writer = try! RTPPacketWriter(into: buffer, header: RTPHeaderFields(payloadType: 96, sequenceNumber: sequence,
                                                                                     timestamp: timestamp, ssrc: ssrc))
            try! writer.appendExtension(id: 2, uint24: 0x123456)
            try! writer.appendExtension(id: 3, uint16: transportWide)
            try! writer.appendExtension(id: 4, value: Array("1".utf8))
            if let picture {
                try! writer.appendPayload([0x90, 0xC0, 0x80 | UInt8(picture.id >> 8), UInt8(picture.id & 0xFF), picture.tl0, 0x10, 0xAA])
            } else {
                try! writer.appendPayload([0x10, 0xAA, 0xBB])
            }
            return try! writer.finish()
        }
        return Array(bytes[0..<count])
    }

    /// Runs `rewrite` and parses what it wrote.
    struct Output {
        var result: ForwardedStream.Rewritten?
        var bytes: [UInt8]
        var packet: (sequence: UInt16, timestamp: UInt32, ssrc: UInt32, payloadType: UInt8) {
            bytes.withUnsafeBytes { let p = try! RTPPacket($0); return (p.sequenceNumber, p.timestamp, p.ssrc, p.payloadType) }
        }
        func extensionIDs() -> [UInt8] { bytes.withUnsafeBytes { buffer in (try! RTPPacket(buffer)).headerExtensions!.map(\.id) } }
        func value(id: UInt8) -> [UInt8]? { bytes.withUnsafeBytes { buffer in (try! RTPPacket(buffer)).headerExtension(id: id).map(Array.init) } }
        var picture: (id: UInt16, tl0: UInt8?)? {
            bytes.withUnsafeBytes { buffer in
                let packet = try! RTPPacket(buffer)
                return VP8PayloadDescriptor(packet.payload).flatMap { d in d.pictureID.map { ($0, d.tl0PictureIndex) } }
            }
        }
    }

    static func forward(_ stream: inout ForwardedStream, _ bytes: [UInt8], wide: UInt16 = 0, now: Int64 = 0) -> Output {
        var out = [UInt8](repeating: 0, count: bytes.count)
        let result = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { buffer in
                stream.rewrite(try! RTPPacket(input), into: buffer, transportWide: wide, nowMicroseconds: now)
            }
        }
        return Output(result: result, bytes: out)
    }

    @Test func theFirstPacketTakesTheSubscribersHeader() throws {
        var stream = Self.stream()
        let out = Self.forward(&stream, Self.packet(ssrc: 0xA, sequence: 40_000, timestamp: 9, picture: (300, 20)), wide: 0x0102)
        let result = try #require(out.result)
        #expect(result.rebound && result.stampedTransportWide && result.sequence == 1000)
        #expect(out.packet.sequence == 1000 && out.packet.timestamp == 50_000 && out.packet.ssrc == 0xCAFE && out.packet.payloadType == 100)
        // abs-send-time keeps id 2, transport-wide becomes 5 with this hop's number, the mid
        // (not negotiated) an id the subscriber does not use.
        #expect(out.extensionIDs() == [2, 5, 14])
        #expect(out.value(id: 5) == [0x01, 0x02])
        #expect(out.value(id: 2) == [0x12, 0x34, 0x56])
        // One source so far: its picture numbering passes unchanged.
        #expect(out.picture?.id == 300 && out.picture?.tl0 == 20)
    }

    /// A simulcast switch: the new layer's numbers (sequence, timestamp, picture id, TL0PICIDX)
    /// continue ours; the timestamp moves on by the time that passed.
    @Test func aNewSourceContinuesTheNumbering() throws {
        var stream = Self.stream()
        // Two packets a picture, a picture every 100 ms (9 000 ticks).
        for i in 0..<5 {
            let picture = (id: UInt16(300 + i / 2), tl0: UInt8(20 + i / 4))
            _ = Self.forward(&stream, Self.packet(ssrc: 0xA, sequence: UInt16(100 + i), timestamp: UInt32(9000 * (i / 2)), picture: picture),
                             now: Int64(i / 2) * 100_000)
        }
        #expect(stream.lastSequence == 1004 && stream.lastPictureID == 302 && stream.lastTL0PictureIndex == 21)
        let switched = Self.forward(&stream, Self.packet(ssrc: 0xB, sequence: 9, timestamp: 777, picture: (0x7FFF, 255)), now: 300_000)
        #expect(switched.result?.rebound == true)
        #expect(switched.packet.sequence == 1005)
        #expect(switched.packet.timestamp == 50_000 + 18_000 + 9_000)
        #expect(switched.picture?.id == 303 && switched.picture?.tl0 == 22)
        // B's next picture, its id and TL0PICIDX wrapping in the publisher's numbering, follows
        // on in ours.
        let next = Self.forward(&stream, Self.packet(ssrc: 0xB, sequence: 10, timestamp: 9777, picture: (0x0000, 0)), now: 400_000)
        #expect(next.packet.sequence == 1006 && next.packet.timestamp == 50_000 + 36_000)
        #expect(next.picture?.id == 304 && next.picture?.tl0 == 23)
    }

    /// Packets of the new source from before the one bound to would land among the previous
    /// source's numbers: dropped, inside the bind window only.
    @Test func packetsOlderThanTheBindAreDropped() {
        var stream = Self.stream()
        _ = Self.forward(&stream, Self.packet(ssrc: 0xA, sequence: 100, timestamp: 0))
        _ = Self.forward(&stream, Self.packet(ssrc: 0xB, sequence: 500, timestamp: 0))
        #expect(Self.forward(&stream, Self.packet(ssrc: 0xB, sequence: 499, timestamp: 0)).result == nil)
        #expect(Self.forward(&stream, Self.packet(ssrc: 0xB, sequence: 501, timestamp: 0)).result?.sequence == 1002)
        #expect(ForwardedStream.precedesBind(65_535, boundFirst: 3), "across the wrap")
        #expect(!ForwardedStream.precedesBind(1000 &+ 40_000, boundFirst: 1000))
    }

    @Test func sevenBitPictureIDsWrapInTheirOwnWidth() {
        var stream = Self.stream()
        func short(_ ssrc: UInt32, _ sequence: UInt16, _ id: UInt8) -> [UInt8] {
            var bytes = Self.packet(ssrc: ssrc, sequence: sequence, timestamp: 0, picture: (0, 0))
            // Replace the descriptor with X|S, I and a 7-bit id (no TL0PICIDX).
            let payloadStart = bytes.count - 7
            bytes.replaceSubrange(payloadStart..<bytes.count, with: [0x90, 0x80, id, 0x10, 0xAA])
            return bytes
        }
        func id(_ out: Output) -> UInt16? { out.picture?.id }
        #expect(id(Self.forward(&stream, short(0xA, 1, 126))) == 126)
        #expect(id(Self.forward(&stream, short(0xA, 2, 127))) == 127)
        #expect(id(Self.forward(&stream, short(0xA, 3, 0))) == 0)
        #expect(stream.lastPictureID == 0, "127 -> 0 is one picture on, in 7 bits")
        #expect(id(Self.forward(&stream, short(0xB, 50, 90))) == 1)
    }

    /// A NACK's packet, resent from the cache: numbered as it went out the first time, with a
    /// transport-wide number of its own; nothing resent from a source no longer bound.
    @Test func resendsKeepTheirFirstNumbering() throws {
        var stream = Self.stream()
        let first = Self.packet(ssrc: 0xA, sequence: 100, timestamp: 3000, picture: (300, 20))
        let sent = Self.forward(&stream, first, wide: 1)
        _ = Self.forward(&stream, Self.packet(ssrc: 0xA, sequence: 101, timestamp: 6000, picture: (301, 20)), wide: 2)
        #expect(stream.sourceSequence(of: sent.packet.sequence) == 100)
        var out = [UInt8](repeating: 0, count: first.count)
        let stamped = first.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { stream.rewriteResend(try! RTPPacket(input), as: sent.packet.sequence, into: $0, transportWide: 9) }
        }
        #expect(stamped == true)
        let resent = Output(result: nil, bytes: out)
        #expect(resent.packet.sequence == sent.packet.sequence && resent.packet.timestamp == sent.packet.timestamp)
        #expect(resent.picture?.id == 300 && resent.value(id: 5) == [0, 9])
        #expect(stream.lastSequence == 1001, "a resend moves nothing on")
        let other = Self.packet(ssrc: 0xB, sequence: 100, timestamp: 3000)
        let refused = other.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { stream.rewriteResend(try! RTPPacket(input), as: 1000, into: $0, transportWide: 9) }
        }
        #expect(refused == nil)
    }

    /// A codec other than VP8 has its payload passed untouched, however it looks.
    @Test func otherCodecsPayloadsAreNotTouched() {
        var stream = Self.stream(codec: .h264)
        let bytes = Self.packet(ssrc: 0xA, sequence: 1, timestamp: 0, picture: (300, 20))
        _ = Self.forward(&stream, Self.packet(ssrc: 0xB, sequence: 1, timestamp: 0, picture: (10, 1)))
        let out = Self.forward(&stream, bytes)
        #expect(out.picture?.id == 300 && out.picture?.tl0 == 20)
        #expect(out.bytes.suffix(7) == bytes.suffix(7))
    }

    /// Any gap between packets (a camera off for days, a clock read out of order) moves the
    /// timestamp on without trapping.
    @Test(arguments: [Int64.max, Int64.min, -1, 30 * 86_400_000_000] as [Int64])
    func anyTimeBetweenSourcesIsSafe(now: Int64) {
        var stream = Self.stream()
        _ = Self.forward(&stream, Self.packet(ssrc: 0xA, sequence: 1, timestamp: 0), now: 1_000)
        let out = Self.forward(&stream, Self.packet(ssrc: 0xB, sequence: 1, timestamp: 0), now: now)
        #expect(out.packet.sequence == 1001)
        let elapsed = max(0, now &- 1_000)
        #expect(out.packet.timestamp == 50_000 &+ RTPClock.ticks(microseconds: elapsed, clockRate: 90_000))
    }

    @Test func aPacketLargerThanTheBufferIsNotWritten() {
        var stream = Self.stream()
        let bytes = Self.packet(ssrc: 0xA, sequence: 1, timestamp: 0)
        var small = [UInt8](repeating: 0, count: bytes.count - 1)
        let result = bytes.withUnsafeBytes { input in
            small.withUnsafeMutableBytes { stream.rewrite(try! RTPPacket(input), into: $0, transportWide: 0, nowMicroseconds: 0) }
        }
        #expect(result == nil && !stream.hasSent)
    }
}

/// Which packets of a new source (a simulcast switch, a re-published track) are dropped as older
/// than the packet the forwarder bound to.
@Suite struct ForwardedStreamBindTests {
    @Test func packetsJustBeforeTheBindPointAreOlder() {
        #expect(ForwardedStream.precedesBind(999, boundFirst: 1000))
        #expect(ForwardedStream.precedesBind(65_535, boundFirst: 3), "across the wrap")
        #expect(!ForwardedStream.precedesBind(1000, boundFirst: 1000))
        #expect(!ForwardedStream.precedesBind(1001, boundFirst: 1000))
    }

    /// The check used to be "older modulo 2^16" for the whole life of the binding: 32 768
    /// packets after the bind, every packet counted as older and was dropped for the next half
    /// of the sequence space (minutes of frozen video in a long call).
    @Test func farAwayNumbersAreNotOlder() {
        #expect(!ForwardedStream.precedesBind(1000 &+ 40_000, boundFirst: 1000))
        #expect(!ForwardedStream.precedesBind(1000 &- 30_000, boundFirst: 1000))
        #expect(ForwardedStream.bindWindow < 1024)
    }
}

/// Which layer's packets a subscriber's stream carries: `admits` feeds packets (layer,
/// keyframe) in order and returns which were forwarded.
@Suite struct LayerSwitchTests {
    static func admits(_ layers: inout LayerSwitch, _ packets: [(Int, Bool)]) -> [Bool] {
        packets.map { layers.admit(layer: $0.0, keyframe: $0.1) }
    }

    @Test func aSingleLayerIsAlwaysForwarded() {
        var layers = LayerSwitch(layerCount: 1)
        #expect(Self.admits(&layers, [(0, false), (0, false)]) == [true, true])
        #expect(layers.current == 0 && layers.switches == 0)
    }

    @Test func simulcastStartsOnlyAtAKeyframeOfTheTarget() {
        var layers = LayerSwitch(layerCount: 3)
        // Without a target: the last layer, at its keyframe.
        #expect(Self.admits(&layers, [(0, true), (2, false), (2, true)]) == [false, false, true])
        #expect(layers.switches == 0, "the first layer is not a switch")
        // Down to 0: the current layer goes on until 0's keyframe (not 1's), then stops.
        let waits = layers.setTarget(0)
        #expect(waits)
        #expect(Self.admits(&layers, [(2, false), (0, false), (1, true), (0, true), (2, true)]) == [true, false, false, true, false])
        #expect(layers.current == 0 && layers.switches == 1)
    }

    @Test func droppingTheCurrentLayerStopsItAtOnce() {
        var layers = LayerSwitch(layerCount: 2)
        layers.setTarget(1)
        #expect(Self.admits(&layers, [(1, true)]) == [true])
        let waits = layers.setTarget(0, dropCurrent: true)
        #expect(waits && layers.dropsCurrent)
        #expect(Self.admits(&layers, [(1, false), (0, true)]) == [false, true])
        #expect(!layers.dropsCurrent && layers.switches == 1)
        // Back to the current layer: nothing to wait for, nothing dropped.
        layers.setTarget(1, dropCurrent: true)
        let again = layers.setTarget(0, dropCurrent: true)
        #expect(!again && !layers.dropsCurrent)
        #expect(Self.admits(&layers, [(0, false)]) == [true])
    }
}

/// Redundant audio (RFC 2198) from a publisher that negotiated it: passed through to a
/// subscriber that took RED too, reduced to its primary block for one that did not.
@Suite struct ForwardedStreamRedundancyTests {
    /// The publisher's Opus is 109 and its RED 63.
    static func redPacket(sequence: UInt16, padding: Bool = false) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = bytes.withUnsafeMutableBytes { buffer in
            var writer = try! RTPPacketWriter(into: buffer, header: RTPHeaderFields(payloadType: 63, sequenceNumber: sequence,
                                                                                     timestamp: 9600, ssrc: 0xA))
            try! writer.appendExtension(id: 1, value: [0x25])
            try! writer.appendPayload([0x80 | 109, 0x0F, 0x00, 0x03, 109, 0xA1, 0xA2, 0xA3, 0xB1, 0xB2])
            return try! writer.finish()
        }
        var packet = Array(bytes[0..<count])
        if padding {
            packet[0] |= 0x20
            packet += [0, 0, 3]
        }
        return packet
    }

    static func stream(subscriberRED: UInt8?) -> ForwardedStream {
        var stream = ForwardedStream(ssrc: 0xCAFE, codec: nil, clockRate: 48_000, firstSequence: 500, firstTimestamp: 0)
        stream.configure(payloadType: 111, publisherExtensions: [1: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"],
                         subscriberExtensions: ["urn:ietf:params:rtp-hdrext:ssrc-audio-level": 1],
                         redundancy: (publisherRED: 63, publisherPrimary: 109, subscriberRED: subscriberRED))
        return stream
    }

    static func forward(_ stream: inout ForwardedStream, _ bytes: [UInt8]) -> (ForwardedStream.Rewritten, [UInt8])? {
        var out = [UInt8](repeating: 0, count: bytes.count)
        let result = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { stream.rewrite(try! RTPPacket(input), into: $0, transportWide: 0, nowMicroseconds: 0) }
        }
        return result.map { ($0, Array(out[0..<$0.length])) }
    }

    @Test func aSubscriberWithREDGetsItWithItsOwnPayloadTypes() throws {
        var stream = Self.stream(subscriberRED: 96)
        let (result, bytes) = try #require(Self.forward(&stream, Self.redPacket(sequence: 7)))
        let packet = try bytes.withUnsafeBytes { try RTPPacket($0) }
        #expect(result.length == Self.redPacket(sequence: 7).count && packet.payloadType == 96 && packet.sequenceNumber == 500)
        #expect(Array(packet.payload) == [0x80 | 111, 0x0F, 0x00, 0x03, 111, 0xA1, 0xA2, 0xA3, 0xB1, 0xB2])
    }

    @Test func aSubscriberWithoutREDGetsThePrimaryBlock() throws {
        var stream = Self.stream(subscriberRED: nil)
        for padding in [false, true] {
            let (result, bytes) = try #require(Self.forward(&stream, Self.redPacket(sequence: padding ? 8 : 7, padding: padding)))
            let packet = try bytes.withUnsafeBytes { try RTPPacket($0) }
            #expect(packet.payloadType == 111 && Array(packet.payload) == [0xB1, 0xB2] && packet.paddingLength == 0)
            #expect(result.length == packet.headerLength + 2)
            #expect(packet.headerExtension(id: 1).map(Array.init) == [0x25], "the header as it was")
        }
    }

    @Test func plainPacketsOfAREDPublisherTakeTheCodecsPayloadType() throws {
        var stream = Self.stream(subscriberRED: 96)
        var bytes = Self.redPacket(sequence: 7)
        bytes[1] = (bytes[1] & 0x80) | 109
        let (_, out) = try #require(Self.forward(&stream, bytes))
        #expect(out.withUnsafeBytes { (try? RTPPacket($0))?.payloadType } == 111)
    }

    @Test func aMalformedREDPacketIsDropped() {
        var stream = Self.stream(subscriberRED: nil)
        var bytes = Self.redPacket(sequence: 7)
        bytes[bytes.count - 7] = 0xFF  // the redundant block's length runs past the payload
        #expect(Self.forward(&stream, bytes) == nil)
    }
}
