import Testing
@testable import SFU

/// What a publisher is told it may send (REMB), with plain values: bits per second.
@Suite struct PublisherBitrateCapTests {
    typealias Track = PublisherBitrateCap.Track

    @Test func aSingleStreamTrackIsCappedAtItsBestServedSubscriberPlusAudio() {
        let track = Track(isLayered: false, shares: [300_000, 250_000])
        #expect(PublisherBitrateCap.cap(tracks: [track], otherBitsPerSecond: 40_000) == 340_000)
        let two = [track, Track(isLayered: false, shares: [500_000])]
        #expect(PublisherBitrateCap.cap(tracks: two, otherBitsPerSecond: 0) == 800_000, "tracks add up")
    }

    @Test func noCapWhenAnySubscriberIsUnknownOrATrackIsSimulcastOrUnwatched() {
        #expect(PublisherBitrateCap.cap(tracks: [Track(isLayered: false, shares: [300_000, nil])], otherBitsPerSecond: 0) == nil,
                "a subscriber without an estimate")
        #expect(PublisherBitrateCap.cap(tracks: [Track(isLayered: true, shares: [300_000])], otherBitsPerSecond: 0) == nil,
                "simulcast: layers are paused and chosen instead")
        #expect(PublisherBitrateCap.cap(tracks: [Track(isLayered: false, shares: [])], otherBitsPerSecond: 0) == nil,
                "no subscriber yet")
        #expect(PublisherBitrateCap.cap(tracks: [], otherBitsPerSecond: 40_000) == nil, "audio only")
        let mixed = [Track(isLayered: false, shares: [300_000]), Track(isLayered: true, shares: [300_000])]
        #expect(PublisherBitrateCap.cap(tracks: mixed, otherBitsPerSecond: 0) == nil)
    }

    @Test func theCapStaysBetweenItsFloorAndTheLiftValue() {
        #expect(PublisherBitrateCap.cap(tracks: [Track(isLayered: false, shares: [0])], otherBitsPerSecond: -5) == 100_000)
        #expect(PublisherBitrateCap.cap(tracks: [Track(isLayered: false, shares: [.max, .max])], otherBitsPerSecond: .max)
                == PublisherBitrateCap.liftedBitsPerSecond, "no overflow on absurd figures")
    }

    @Test func aSubscribersShareIsItsEstimateLessItsOtherStreams() {
        #expect(PublisherBitrateCap.share(estimate: 300_000, sentBitsPerSecond: 340_000, trackBitsPerSecond: 300_000) == 260_000)
        #expect(PublisherBitrateCap.share(estimate: 300_000, sentBitsPerSecond: 100_000, trackBitsPerSecond: 200_000) == 300_000,
                "this track more than all that was sent (the second's samples differ): no others")
        #expect(PublisherBitrateCap.share(estimate: 100_000, sentBitsPerSecond: 900_000, trackBitsPerSecond: 0) == 0)
    }
}
