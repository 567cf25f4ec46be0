import RTP
import SDP
@testable import SFU
import Testing

/// Spatial layers (SVC) left out for a subscriber, with plain packets and the frames the
/// dependency descriptor would give: three layer frames a picture (S0, S1, S2, one packet each,
/// the publisher's marker on S2's), a keyframe picture every `keyEvery` (its base frame
/// references nothing, `L3T1_KEY`).
@Suite struct ForwardedStreamSpatialTests {
    struct Sent: Equatable {
        var spatial: UInt8
        var sequence: UInt16
        var marker: Bool
    }

    static func stream() -> ForwardedStream {
        var stream = ForwardedStream(ssrc: 0xCAFE, codec: .vp9, clockRate: 90_000, firstSequence: 1000, firstTimestamp: 0)
        stream.configure(payloadType: 100, publisherExtensions: [:], subscriberExtensions: [:])
        return stream
    }

    /// Pictures `pictures` (sequence 100 + 3 × picture + layer); `target` may set the spatial
    /// target before a picture's layer frame. Returns what went out.
    static func run(_ stream: inout ForwardedStream, pictures: Range<Int>, keyEvery: Int = 10,
                    target: (_ picture: Int, _ spatial: UInt8) -> UInt8? = { _, _ in nil }) -> [Sent] {
        var sent: [Sent] = []
        for picture in pictures {
            for spatial in UInt8(0)...2 {
                if let layer = target(picture, spatial) { stream.setSpatialTarget(layer) }
                let index = 3 * picture + Int(spatial)
                var bytes = [UInt8](repeating: 0, count: 32)
                let count = bytes.withUnsafeMutableBytes { buffer in
                    var writer = try! RTPPacketWriter(into: buffer, header: RTPHeaderFields(
                        payloadType: 98, marker: spatial == 2, sequenceNumber: UInt16(100 + index),
                        timestamp: UInt32(picture) &* 3000, ssrc: 0xB))
                    try! writer.appendPayload([0x00, 0xAA])
                    return try! writer.finish()
                }
                let key = picture % keyEvery == 0
                let frame = ScalableFrame(numbering: .dependencyDescriptor, number: UInt16(index), temporalLayer: 0, layerSync: true,
                                          spatialLayer: spatial, independent: key && spatial == 0, endOfFrame: true)
                var out = [UInt8](repeating: 0, count: count)
                let result = bytes[0..<count].withUnsafeBytes { input in
                    out.withUnsafeMutableBytes { buffer in
                        stream.rewrite(try! RTPPacket(input), frame: frame, into: buffer, transportWide: 0, nowMicroseconds: 0)
                    }
                }
                guard result != nil else { continue }
                let packet = out.withUnsafeBytes { try! RTPPacket($0) }
                sent.append(Sent(spatial: spatial, sequence: packet.sequenceNumber, marker: packet.marker))
            }
        }
        return sent
    }

    @Test func allLayersPassByDefaultWithThePublishersMarker() {
        var stream = Self.stream()
        let sent = Self.run(&stream, pictures: 0..<4)
        #expect(sent.count == 12)
        #expect(sent.map(\.sequence) == Array(1000..<1012).map { UInt16($0) })
        #expect(sent.map(\.marker) == sent.map { $0.spatial == 2 })
        #expect(stream.spatialDrops == 0)
    }

    @Test func theBaseLayerAloneGoesOutContiguousWithTheMarkerOnItsFrames() {
        var stream = Self.stream()
        let sent = Self.run(&stream, pictures: 0..<6, target: { picture, spatial in picture == 0 && spatial == 0 ? 0 : nil })
        #expect(sent.map(\.spatial) == [UInt8](repeating: 0, count: 6))
        #expect(sent.map(\.sequence) == Array(1000..<1006).map { UInt16($0) }, "no holes where the upper layers were")
        let allMarked = sent.allSatisfy(\.marker)
        #expect(allMarked, "each S0 frame now ends its picture")
        #expect(stream.spatialDrops == 12)
    }

    @Test func goingDownTakesEffectAtTheNextPictureNotWithinOne() {
        var stream = Self.stream()
        // At most S1 from picture 1's S1 on: picture 1 still goes out whole (its S0 went out
        // unmarked, cutting it after S0 would leave it unended), picture 2 as S0 and S1.
        let sent = Self.run(&stream, pictures: 0..<3, target: { picture, spatial in picture == 1 && spatial == 1 ? 1 : nil })
        #expect(sent.map(\.spatial) == [0, 1, 2, 0, 1, 2, 0, 1])
        #expect(sent.map(\.marker) == [false, false, true, false, false, true, false, true])
        #expect(sent.map(\.sequence) == Array(1000..<1008).map { UInt16($0) })
    }

    @Test func goingUpWaitsForAKeyframePicture() {
        var stream = Self.stream()
        // S0 only from the start; all layers wanted from picture 3; keyframe pictures 0 and 10.
        let sent = Self.run(&stream, pictures: 0..<12, target: { picture, spatial in
            spatial == 0 && picture == 0 ? 0 : spatial == 1 && picture == 3 ? 2 : nil
        })
        let upper = sent.filter { $0.spatial > 0 }
        #expect(upper.count == 4, "pictures 10 and 11 only: \(sent)")
        #expect(sent.filter { $0.spatial == 0 }.count == 12)
        #expect(sent.map(\.sequence) == (0..<sent.count).map { UInt16(1000 + $0) })
        // S0 frames end pictures 0 to 9 (waiting to go up included: the limit moves only at a
        // picture's first frame); from picture 10, S2's carry the publisher's marker.
        #expect(sent.filter(\.marker).map(\.sequence) == Array(1000..<1010).map { UInt16($0) } + [1012, 1015], "\(sent)")
        #expect(stream.spatialLimit == 2)
    }
}
