import RTP
@testable import SFU
import Testing

/// A frame's temporal layer and whether it references only lower layers, from dependency
/// descriptors: Chromium's L1T3 structure (captured), then three-byte descriptors that use the
/// templates' own references.
@Suite struct TemporalLayerTrackerTests {
    static let keyframe: [UInt8] = [0x80, 0x00, 0x24, 0x80, 0x02, 0x04, 0x4e, 0xaa, 0xaf, 0x28, 0x60, 0x41, 0x4d, 0x34, 0x53, 0x8a,
                                    0x09, 0x40, 0x41, 0x3f, 0xc0, 0xb3, 0xc0]

    static func frame(_ tracker: inout TemporalLayerTracker, _ bytes: [UInt8]) -> TemporalFrame? {
        bytes.withUnsafeBytes { tracker.frame(dependencyDescriptor: $0) }
    }

    /// Three bytes: start of frame, `template`, frame `number`.
    static func short(template: UInt8, number: UInt16) -> [UInt8] { [0x80 | template, UInt8(number >> 8), UInt8(number & 0xFF)] }

    @Test func layersAndSyncFollowTheReferences() throws {
        var tracker = TemporalLayerTracker()
        #expect(Self.frame(&tracker, Self.short(template: 5, number: 0x20)) == nil, "no structure yet")
        let key = try #require(Self.frame(&tracker, Self.keyframe))
        #expect(key == TemporalFrame(numbering: .dependencyDescriptor, number: 0x24, temporalLayer: 0, layerSync: true))
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
}
