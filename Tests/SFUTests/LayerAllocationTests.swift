import Testing
@testable import SFU

/// Sharing a subscriber's estimate among its simulcast tracks, with plain values: layers of
/// 150, 500 and 1 500 kbit/s.
@Suite struct LayerAllocationTests {
    typealias Track = LayerAllocation.Track
    static func track(preferred: Int = 2, current: Int? = nil, active: [Bool] = [true, true, true]) -> Track {
        Track(layers: [(150_000, active[0]), (500_000, active[1]), (1_500_000, active[2])], preferred: preferred, current: current)
    }

    @Test func withoutAnEstimateEveryTrackGetsWhatItsSizeAsksFor() {
        #expect(LayerAllocation.allocate(budget: nil, tracks: [Self.track(), Self.track(preferred: 0)]) == [2, 0])
    }

    @Test func aTrackStepsDownUntilItFits() {
        #expect(LayerAllocation.allocate(budget: 2_000_000, tracks: [Self.track(current: 2)]) == [2])
        #expect(LayerAllocation.allocate(budget: 1_499_999, tracks: [Self.track(current: 2)]) == [1])
        #expect(LayerAllocation.allocate(budget: 300_000, tracks: [Self.track(current: 2)]) == [0])
        #expect(LayerAllocation.allocate(budget: 100_000, tracks: [Self.track(current: 2)]) == [0], "the lowest layer is kept")
        #expect(LayerAllocation.allocate(budget: 0, tracks: [Self.track(preferred: 1, current: 1)]) == [0])
    }

    @Test func goingUpNeedsRoomToSpare() {
        // At 500 kbit/s now: the top layer needs 1.15 x 1.5 Mbit/s.
        #expect(LayerAllocation.allocate(budget: 1_600_000, tracks: [Self.track(current: 1)]) == [1])
        #expect(LayerAllocation.allocate(budget: 1_725_000, tracks: [Self.track(current: 1)]) == [2])
        // Staying costs no margin.
        #expect(LayerAllocation.allocate(budget: 1_500_000, tracks: [Self.track(current: 2)]) == [2])
    }

    @Test func theMostExpensiveTrackStepsDownFirst() {
        let tracks = [Self.track(preferred: 1, current: 1), Self.track(current: 2)]
        #expect(LayerAllocation.allocate(budget: 1_100_000, tracks: tracks) == [1, 1])
        #expect(LayerAllocation.allocate(budget: 700_000, tracks: tracks) == [0, 1], "a tie: the first steps down")
        #expect(LayerAllocation.allocate(budget: 300_000, tracks: tracks) == [0, 0])
    }

    @Test func pausedLayersAreNotChosen() {
        let track = Self.track(current: 2, active: [true, false, true])
        #expect(LayerAllocation.allocate(budget: 1_000_000, tracks: [track]) == [0], "the middle layer is paused")
    }

    @Test func layersWithoutAMeasuredRateCostNothing() {
        let track = Track(layers: [(0, true), (0, true)], preferred: 1, current: nil)
        #expect(LayerAllocation.allocate(budget: 0, tracks: [track]) == [1])
    }
}
