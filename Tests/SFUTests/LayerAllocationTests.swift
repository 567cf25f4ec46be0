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

/// The ladder a track's allocation climbs: temporal rungs under the lowest active layer.
@Suite struct LayerLadderTests {
    typealias Layer = LayerAllocation.Layer
    typealias Rung = LayerAllocation.Rung

    /// Three simulcast layers, each with three temporal layers (Chromium's VP8 simulcast, L1T3):
    /// the smallest at 40, 70 and 100 kbit/s through TL0, TL1 and all.
    @Test func theLowestActiveLayerGetsTemporalRungs() {
        let layers = [Layer(bitsPerSecond: 100_000, active: true, temporalLayers: 3, bitsPerSecondThrough: [40_000, 70_000]),
                      Layer(bitsPerSecond: 500_000, active: true, temporalLayers: 3, bitsPerSecondThrough: [200_000, 350_000]),
                      Layer(bitsPerSecond: 1_500_000, active: true, temporalLayers: 3, bitsPerSecondThrough: [600_000, 1_000_000])]
        #expect(LayerAllocation.ladder(layers) == [
            Rung(spatial: 0, temporal: 0, bitsPerSecond: 40_000, active: true),
            Rung(spatial: 0, temporal: 1, bitsPerSecond: 70_000, active: true),
            Rung(spatial: 0, temporal: .max, bitsPerSecond: 100_000, active: true),
            Rung(spatial: 1, temporal: .max, bitsPerSecond: 500_000, active: true),
            Rung(spatial: 2, temporal: .max, bitsPerSecond: 1_500_000, active: true),
        ])
    }

    /// A paused smallest layer: the temporal rungs go under the lowest one sent.
    @Test func aPausedLayerHasNoTemporalRungs() {
        let layers = [Layer(bitsPerSecond: 0, active: false),
                      Layer(bitsPerSecond: 500_000, active: true, temporalLayers: 2, bitsPerSecondThrough: [300_000])]
        #expect(LayerAllocation.ladder(layers).map { [$0.spatial, Int($0.temporal)] } == [[0, 255], [1, 0], [1, 255]])
    }

    @Test func aStreamWithoutTemporalLayersIsOneRung() {
        #expect(LayerAllocation.ladder([Layer(bitsPerSecond: 800_000, active: true, temporalLayers: 1)]).count == 1)
        #expect(LayerAllocation.ladder([Layer(bitsPerSecond: 800_000, active: true)]).count == 1)
    }

    /// A subscriber at 60 kbit/s with one such track: the smallest layer's base and middle
    /// temporal layers fit, the whole of it does not; at 30 kbit/s the base layer is kept.
    @Test func aTightBudgetThinsTheSmallestLayer() {
        let rungs = LayerAllocation.ladder([
            Layer(bitsPerSecond: 100_000, active: true, temporalLayers: 3, bitsPerSecondThrough: [40_000, 60_000]),
            Layer(bitsPerSecond: 500_000, active: true),
        ])
        let track = LayerAllocation.Track(layers: rungs.map { ($0.bitsPerSecond, $0.active) }, preferred: 3, current: 3)
        #expect(rungs[LayerAllocation.allocate(budget: 60_000, tracks: [track])[0]].temporal == 1)
        #expect(rungs[LayerAllocation.allocate(budget: 30_000, tracks: [track])[0]].temporal == 0)
        #expect(rungs[LayerAllocation.allocate(budget: 600_000, tracks: [track])[0]] == rungs[3])
    }
}

/// Per spatial and temporal layer bitrates of one stream.
@Suite struct LayerRatesTests {
    @Test func ratesAddUpThroughALayer() {
        var rates = LayerRates()
        rates.sample(nanoseconds: 1_000_000_000)
        #expect(rates.temporalLayerCount == 0 && rates.spatialLayerCount == 0)
        for _ in 0..<10 {
            rates.record(temporal: 0, bytes: 1000)
            rates.record(temporal: 1, bytes: 500)
            rates.record(temporal: 2, bytes: 250)
        }
        rates.sample(nanoseconds: 2_000_000_000)
        #expect(rates.temporalLayerCount == 3 && rates.spatialLayerCount == 1)
        #expect(rates.bitsPerSecond(temporalThrough: 0) == 80_000)
        #expect(rates.bitsPerSecond(temporalThrough: 1) == 120_000)
        #expect(rates.bitsPerSecond(temporalThrough: 2) == 140_000)
        #expect(rates.bitsPerSecond(temporalThrough: 7) == 140_000, "clamped to the layers there are")
        rates.sample(nanoseconds: 3_000_000_000)
        #expect(rates.temporalLayerCount == 0, "nothing in the last second")
    }

    @Test func spatialLayersAddUpWithTheirTemporalOnes() {
        var rates = LayerRates()
        rates.sample(nanoseconds: 1_000_000_000)
        for _ in 0..<10 {
            rates.record(spatial: 0, temporal: 0, bytes: 100)
            rates.record(spatial: 0, temporal: 1, bytes: 50)
            rates.record(spatial: 1, temporal: 0, bytes: 400)
            rates.record(spatial: 2, temporal: 1, bytes: 1000)
        }
        rates.sample(nanoseconds: 2_000_000_000)
        #expect(rates.spatialLayerCount == 3 && rates.temporalLayerCount == 2)
        #expect(rates.bitsPerSecond(spatialThrough: 0, temporalThrough: 0) == 8_000)
        #expect(rates.bitsPerSecond(spatialThrough: 0, temporalThrough: 3) == 12_000)
        #expect(rates.bitsPerSecond(spatialThrough: 1, temporalThrough: 3) == 44_000)
        #expect(rates.bitsPerSecond(spatialThrough: 2, temporalThrough: 0) == 40_000)
        #expect(rates.bitsPerSecond(temporalThrough: 3) == 124_000)
    }
}

/// An SVC track's ladder from its measured layer rates, and what a budget picks from it.
@Suite struct ScalableLadderTests {
    @Test func spatialLayersAddUpAndTheBaseLayersTemporalOnesComeFirst() {
        var rates = LayerRates()
        rates.sample(nanoseconds: 1_000_000_000)
        for _ in 0..<10 {
            for temporal in UInt8(0)...2 {
                rates.record(spatial: 0, temporal: temporal, bytes: 250)    // 20 kbit/s each
                rates.record(spatial: 1, temporal: temporal, bytes: 1000)   // 80 kbit/s each
                rates.record(spatial: 2, temporal: temporal, bytes: 4000)   // 320 kbit/s each
            }
        }
        rates.sample(nanoseconds: 2_000_000_000)
        let rungs = SubscriberConnection.scalableRungs(rates)
        #expect(rungs.map(\.spatial) == [0, 0, 0, 1, 2])
        #expect(rungs.map(\.temporal) == [0, 1, .max, .max, .max])
        #expect(rungs.map(\.bitsPerSecond) == [20_000, 40_000, 60_000, 300_000, 1_260_000])
        let track = LayerAllocation.Track(layers: rungs.map { ($0.bitsPerSecond, $0.active) }, preferred: 4, current: 4)
        #expect(LayerAllocation.allocate(budget: 2_000_000, tracks: [track]) == [4])
        #expect(LayerAllocation.allocate(budget: 500_000, tracks: [track]) == [3], "the 640 px layer with the base")
        #expect(LayerAllocation.allocate(budget: 50_000, tracks: [track]) == [1], "the base layer at half the frame rate")
    }
}

/// When a subscriber's link loses its redundant audio: the lowest video rungs do not fit.
@Suite struct RedundancyStarvationTests {
    @Test func redundancyGoesWhenTheLowestRungsDoNotFitAndComesBackWithRoomToSpare() {
        #expect(!SubscriberConnection.stripsRedundancy(budget: nil, lowestRungs: 40_000, stripped: false), "no estimate yet")
        #expect(!SubscriberConnection.stripsRedundancy(budget: 40_000, lowestRungs: 40_000, stripped: false))
        #expect(SubscriberConnection.stripsRedundancy(budget: 39_999, lowestRungs: 40_000, stripped: false))
        #expect(SubscriberConnection.stripsRedundancy(budget: -20_000, lowestRungs: 40_000, stripped: false), "the audio alone is over")
        #expect(SubscriberConnection.stripsRedundancy(budget: 45_000, lowestRungs: 40_000, stripped: true), "back only with 15 % to spare")
        #expect(!SubscriberConnection.stripsRedundancy(budget: 46_000, lowestRungs: 40_000, stripped: true))
    }
}
