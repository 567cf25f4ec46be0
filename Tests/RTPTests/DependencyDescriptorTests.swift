import TestSupport
import Testing
@testable import RTP

/// Dependency descriptors as Chromium 156 sends them with VP8 simulcast, L1T3 (captured from a
/// demo-page publisher): a keyframe's descriptor with the template structure, and the
/// three-to-six-byte ones of the frames after it.
@Suite struct DependencyDescriptorTests {
    static let keyframe = hex("8000248002044eaaaf2860414d34538a0940413fc0b3c0")

    static func parse(_ bytes: [UInt8], _ structure: inout DependencyStructure) -> DependencyDescriptor? {
        bytes.withUnsafeBytes { DependencyDescriptor($0, structure: &structure) }
    }

    @Test func theKeyframeCarriesSevenTemplatesOverThreeTemporalLayers() throws {
        var structure = DependencyStructure()
        let descriptor = try #require(Self.parse(Self.keyframe, &structure))
        #expect(descriptor.startOfFrame && !descriptor.endOfFrame && descriptor.frameNumber == 0x24 && descriptor.templateID == 0)
        #expect(descriptor.carriesStructure && structure.isValid)
        #expect(structure.templateCount == 7 && structure.decodeTargetCount == 3 && structure.templateIDOffset == 0)
        #expect(Array(structure.temporalLayers.prefix(7)) == [0, 0, 0, 1, 1, 2, 2])
        #expect(Array(structure.spatialLayers.prefix(7)) == [0, 0, 0, 0, 0, 0, 0])
        #expect(structure.temporalLayerCount == 3)
        #expect(descriptor.temporalLayer == 0 && descriptor.references.count == 0)
        // Template 6 (TL2) references the frames 3 and 1 before it.
        var references = DependencyDescriptor.FrameReferences()
        structure.references(of: 6, into: &references)
        #expect(references.count == 2 && references[0] == 3 && references[1] == 1)
    }

    /// Later frames name a template (its layers) and give their references as custom frame
    /// differences (simulcast layers share one frame counter, which templates cannot express).
    @Test func laterFramesTakeTheirLayerFromTheTemplate() throws {
        var structure = DependencyStructure()
        _ = Self.parse(Self.keyframe, &structure)
        let t2 = try #require(Self.parse(hex("8500181240"), &structure))
        #expect(t2.startOfFrame && t2.templateID == 5 && t2.frameNumber == 0x18 && t2.temporalLayer == 2)
        #expect(t2.references.count == 1 && t2.references[0] == 3)
        let t1 = try #require(Self.parse(hex("c40016136a80"), &structure))
        #expect(t1.startOfFrame && t1.endOfFrame && t1.temporalLayer == 1)
        #expect(t1.references.count == 2 && t1.references[0] == 12 && t1.references[1] == 6)
        let middle = try #require(Self.parse(hex("000024"), &structure))
        #expect(!middle.startOfFrame && !middle.endOfFrame && middle.frameNumber == 0x24 && middle.temporalLayer == 0,
                "three bytes: the template's own references")
    }

    @Test func withoutAStructureTheLayersAreUnknown() throws {
        var structure = DependencyStructure()
        let descriptor = try #require(Self.parse(hex("8500181240"), &structure))
        #expect(descriptor.frameNumber == 0x18 && descriptor.temporalLayer == nil)
    }

    @Test func cutShortIsNil() {
        var structure = DependencyStructure()
        #expect(Self.parse([0x80, 0x00], &structure) == nil)
        for length in 4..<Self.keyframe.count - 1 {
            var fresh = DependencyStructure()
            let parsed = Self.parse(Array(Self.keyframe.prefix(length)), &fresh)
            #expect(parsed == nil, "a structure cut at \(length) bytes does not parse")
        }
    }

    /// Any bytes: parse or nil, never a trap, and the structure stays within its storage.
    @Test func randomBytesNeverTrap() {
        var generator = SplitMix64(seed: 7)
        var structure = DependencyStructure()
        for round in 0..<20_000 {
            var bytes = round % 2 == 0 ? Self.keyframe : hex("c40016136a80")
            for _ in 0..<Int(generator.next() % 6) { bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next()) }
            bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
            if let parsed = Self.parse(bytes, &structure), let layer = parsed.temporalLayer {
                #expect(layer < 8 && structure.templateCount <= DependencyStructure.maximumTemplates)
            }
        }
    }
}
