import Testing
@testable import SFU

/// The simulcast layer choice, with plain values: three layers 160, 320 and 640 wide.
@Suite struct LayerChoiceTests {
    typealias Layer = LayerChoice.Layer
    static let three = [Layer(width: 160, active: true), Layer(width: 320, active: true), Layer(width: 640, active: true)]

    @Test func theSmallestLayerAtLeastAsWideAsTheRenderingIsTaken() {
        #expect(LayerChoice.choose(renderedWidth: 100, layers: Self.three) == 0)
        #expect(LayerChoice.choose(renderedWidth: 160, layers: Self.three) == 0)
        #expect(LayerChoice.choose(renderedWidth: 161, layers: Self.three) == 1)
        #expect(LayerChoice.choose(renderedWidth: 640, layers: Self.three) == 2)
        #expect(LayerChoice.choose(renderedWidth: 1920, layers: Self.three) == 2, "none wide enough: the widest")
    }

    @Test func withoutAReportTheWidestIsTakenAndHiddenVideoGetsTheSmallest() {
        #expect(LayerChoice.choose(renderedWidth: nil, layers: Self.three) == 2)
        #expect(LayerChoice.choose(renderedWidth: 0, layers: Self.three) == 0)
    }

    @Test func pausedLayersAreSkipped() {
        var layers = Self.three
        layers[2].active = false  // the browser dropped its top layer
        #expect(LayerChoice.choose(renderedWidth: 640, layers: layers) == 1)
        #expect(LayerChoice.choose(renderedWidth: nil, layers: layers) == 1)
        layers[0].active = false
        #expect(LayerChoice.choose(renderedWidth: 0, layers: layers) == 1)
        #expect(LayerChoice.choose(renderedWidth: 100, layers: layers) == 1)
        layers[1].active = false
        #expect(LayerChoice.choose(renderedWidth: 100, layers: layers) == nil)
    }

    @Test func unknownWidthsGiveTheWidestActiveLayer() {
        let layers = [Layer(width: nil, active: true), Layer(width: 320, active: true), Layer(width: nil, active: true)]
        #expect(LayerChoice.choose(renderedWidth: 100, layers: layers) == 2)
        #expect(LayerChoice.choose(renderedWidth: 0, layers: layers) == 0)
    }
}
