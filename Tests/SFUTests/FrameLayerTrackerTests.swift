import RTP
@testable import SFU
import Testing

/// A frame's temporal layer and whether it references only lower layers, from dependency
/// descriptors: Chromium's L1T3 structure (captured), then three-byte descriptors that use the
/// templates' own references.
@Suite struct FrameLayerTrackerTests {
    static let keyframe: [UInt8] = [0x80, 0x00, 0x24, 0x80, 0x02, 0x04, 0x4e, 0xaa, 0xaf, 0x28, 0x60, 0x41, 0x4d, 0x34, 0x53, 0x8a,
                                    0x09, 0x40, 0x41, 0x3f, 0xc0, 0xb3, 0xc0]

    static func frame(_ tracker: inout FrameLayerTracker, _ bytes: [UInt8]) -> ScalableFrame? {
        bytes.withUnsafeBytes { tracker.frame(dependencyDescriptor: $0) }
    }

    /// Three bytes: start of frame, `template`, frame `number`.
    static func short(template: UInt8, number: UInt16) -> [UInt8] { [0x80 | template, UInt8(number >> 8), UInt8(number & 0xFF)] }

    @Test func layersAndSyncFollowTheReferences() throws {
        var tracker = FrameLayerTracker()
        #expect(Self.frame(&tracker, Self.short(template: 5, number: 0x20)) == nil, "no structure yet")
        let key = try #require(Self.frame(&tracker, Self.keyframe))
        #expect(key == ScalableFrame(numbering: .dependencyDescriptor, number: 0x24, temporalLayer: 0, layerSync: true, independent: true))
        // Template 5: TL2 referencing the frame before (0x24, TL0).
        #expect(Self.frame(&tracker, Self.short(template: 5, number: 0x25))?.layerSync == true)
        // Template 3: TL1 referencing 2 back (0x24).
        let t1 = try #require(Self.frame(&tracker, Self.short(template: 3, number: 0x26)))
        #expect(t1.temporalLayer == 1 && t1.layerSync)
        // Template 6: TL2 referencing 0x24 (TL0) and 0x26 (TL1): lower layers only.
        #expect(Self.frame(&tracker, Self.short(template: 6, number: 0x27))?.layerSync == true)
        #expect(Self.frame(&tracker, Self.short(template: 1, number: 0x28))?.temporalLayer == 0)
        // Template 4: TL1 referencing 0x26 (TL1) and 0x28: not a sync frame.
        let later = try #require(Self.frame(&tracker, Self.short(template: 4, number: 0x2A)))
        #expect(later.temporalLayer == 1 && !later.layerSync)
        // A TL1 frame referencing a frame never seen is not one either.
        #expect(Self.frame(&tracker, Self.short(template: 3, number: 0x40))?.layerSync == false)
    }

    /// Writes bits most significant first (for descriptors built in tests).
    struct BitWriter {
        var bytes: [UInt8] = []
        var count = 0
        mutating func write(_ value: Int, bits: Int) {
            for shift in stride(from: bits - 1, through: 0, by: -1) {
                if count % 8 == 0 { bytes.append(0) }
                if (value >> shift) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(count % 8) }
                count += 1
            }
        }
    }

    /// A three-spatial-layer structure in the manner of L3T1_KEY, one frame number per layer
    /// frame: templates 0 (S0 key, no references), 1 (S0, the previous picture's S0: 3 back),
    /// 2 (S1 key, S0 of its picture: 1 back), 3 (S1, 3 back), 4 (S2 key, 1 back), 5 (S2, 3
    /// back); sizes 320x180, 640x360 and 1280x720. Carried by frame `number` (template 0).
    static func svcKeyframe(number: UInt16) -> [UInt8] {
        var w = BitWriter()
        w.write(1, bits: 1); w.write(0, bits: 1); w.write(0, bits: 6); w.write(Int(number), bits: 16)
        w.write(1, bits: 1)  // template structure present
        w.write(0, bits: 4)  // no active targets, custom DTIs, fdiffs or chains
        w.write(0, bits: 6)  // template id offset
        w.write(2, bits: 5)  // three decode targets
        for idc in [0, 2, 0, 2, 0, 3] { w.write(idc, bits: 2) }  // S0, S0, S1, S1, S2, S2
        for _ in 0..<(6 * 3) { w.write(2, bits: 2) }  // DTIs: not read
        for fdiffs in [[], [3], [1], [3], [1], [3]] {
            for fdiff in fdiffs { w.write(1, bits: 1); w.write(fdiff - 1, bits: 4) }
            w.write(0, bits: 1)
        }
        w.write(0, bits: 2)  // ns(4): no chains
        w.write(1, bits: 1)  // resolutions
        for (width, height) in [(320, 180), (640, 360), (1280, 720)] { w.write(width - 1, bits: 16); w.write(height - 1, bits: 16) }
        return w.bytes
    }

    @Test func spatialLayersTheirSizesAndWhichFramesStandAlone() throws {
        var tracker = FrameLayerTracker()
        let key = try #require(Self.frame(&tracker, Self.svcKeyframe(number: 100)))
        #expect(key.spatialLayer == 0 && key.independent && key.temporalLayer == 0)
        let structure = tracker.structure
        #expect(structure.spatialLayerCount == 3 && structure.hasResolutions)
        #expect(Array(structure.widths[0..<3]) == [320, 640, 1280] && Array(structure.heights[0..<3]) == [180, 360, 720])
        // The keyframe picture's upper layers reference the layer below.
        let s1 = try #require(Self.frame(&tracker, Self.short(template: 2, number: 101)))
        #expect(s1.spatialLayer == 1 && !s1.independent && s1.layerSync)
        // End of frame passes through (0x40 in the first byte).
        let s2 = try #require(Self.frame(&tracker, [0xC4, 0x00, 102]))
        #expect(s2.spatialLayer == 2 && s2.endOfFrame)
        // The next picture's base frame references the previous one's.
        let next = try #require(Self.frame(&tracker, Self.short(template: 1, number: 103)))
        #expect(next.spatialLayer == 0 && !next.independent && !next.endOfFrame)
        #expect(Self.frame(&tracker, Self.short(template: 3, number: 104))?.spatialLayer == 1)
    }
}
