import Testing
@testable import SFU

/// Which simulcast layers the publisher is told to send, with plain values: three layers 320, 640
/// and 1280 wide, a pause delay of 5 s, times in microseconds.
@Suite struct LayerDemandTests {
    static let widths: [Int?] = [320, 640, 1280]
    static let delay: Int64 = 5_000_000

    @Test func theNeedReachesTheLargestLayerAnySubscriberRendersFor() {
        #expect(LayerDemand.needed(widths: Self.widths, renderedWidths: [300]) == 1)
        #expect(LayerDemand.needed(widths: Self.widths, renderedWidths: [300, 600]) == 2)
        #expect(LayerDemand.needed(widths: Self.widths, renderedWidths: [300, 1280, 0]) == 3)
        #expect(LayerDemand.needed(widths: Self.widths, renderedWidths: [1920]) == 3, "none wide enough: the widest")
        #expect(LayerDemand.needed(widths: Self.widths, renderedWidths: [0, 0]) == 1, "hidden everywhere: the smallest")
    }

    @Test func aSubscriberWithoutAReportUnknownWidthsAndNoSubscriberAtAll() {
        #expect(LayerDemand.needed(widths: Self.widths, renderedWidths: [300, nil]) == 3, "a newcomer gets every layer")
        #expect(LayerDemand.needed(widths: [320, nil, 1280], renderedWidths: [300]) == 3, "a layer's width unknown: all")
        #expect(LayerDemand.needed(widths: Self.widths, renderedWidths: []) == 1, "nobody: the smallest, for a quick start")
        #expect(LayerDemand.needed(widths: [], renderedWidths: [300]) == 0)
    }

    @Test func aLowerNeedPausesOnlyAfterItHeldForTheDelay() {
        var demand = LayerDemand()
        #expect(demand.update(needed: 3, count: 3, now: 0, pauseDelay: Self.delay) == nil, "all sent already: nothing to tell")
        #expect(demand.update(needed: 1, count: 3, now: 1_000_000, pauseDelay: Self.delay) == nil)
        #expect(demand.update(needed: 1, count: 3, now: 5_999_999, pauseDelay: Self.delay) == nil)
        #expect(demand.update(needed: 1, count: 3, now: 6_000_000, pauseDelay: Self.delay) == 1)
        #expect(demand.activeCount == 1)
        #expect(demand.update(needed: 1, count: 3, now: 7_000_000, pauseDelay: Self.delay) == nil, "told once")
    }

    @Test func aHigherNeedResumesAtOnce() {
        var demand = LayerDemand()
        _ = demand.update(needed: 1, count: 3, now: 0, pauseDelay: Self.delay)
        #expect(demand.update(needed: 1, count: 3, now: Self.delay, pauseDelay: Self.delay) == 1)
        #expect(demand.update(needed: 3, count: 3, now: Self.delay + 1, pauseDelay: Self.delay) == 3)
        #expect(demand.update(needed: 2, count: 3, now: Self.delay + 2, pauseDelay: Self.delay) == nil, "down waits again")
    }

    @Test func aNeedThatComesBackWithinTheDelayPausesNothing() {
        var demand = LayerDemand()
        _ = demand.update(needed: 1, count: 3, now: 0, pauseDelay: Self.delay)
        #expect(demand.update(needed: 3, count: 3, now: 4_000_000, pauseDelay: Self.delay) == nil, "back up: still all sent")
        // The delay starts again from the next lower need.
        #expect(demand.update(needed: 1, count: 3, now: 4_500_000, pauseDelay: Self.delay) == nil)
        #expect(demand.update(needed: 1, count: 3, now: 9_000_000, pauseDelay: Self.delay) == nil)
        #expect(demand.update(needed: 2, count: 3, now: 9_500_000, pauseDelay: Self.delay) == 2,
                "after the delay the need of the moment is told")
    }

    @Test func aSingleLayerTrackIsNeverToldAndTheNeedIsClamped() {
        var demand = LayerDemand()
        #expect(demand.update(needed: 0, count: 1, now: 0, pauseDelay: 0) == nil)
        #expect(demand.update(needed: 0, count: 3, now: 0, pauseDelay: 0) == 1, "the smallest layer always stays")
        #expect(demand.update(needed: 9, count: 3, now: 1, pauseDelay: 0) == 3)
    }
}
