import Testing
@testable import SFU

/// Ingest health's keyframe rhythm, with plain values (microseconds).
@Suite struct KeyframeCadenceTests {
    @Test func aSteadyTwoSecondRhythmHasNoIrregularInterval() {
        var cadence = KeyframeCadence()
        for i in 0..<20 { cadence.keyframe(at: Int64(i) * 2_000_000) }
        #expect(cadence.keyframes == 20)
        #expect(cadence.irregularIntervals == 0)
        #expect(cadence.lastIntervalSeconds == 2)
        #expect(cadence.meanIntervalSeconds == 2)
    }

    @Test func aLateKeyframeAndABurstAreIrregular() {
        var cadence = KeyframeCadence()
        var now: Int64 = 0
        for _ in 0..<6 {
            cadence.keyframe(at: now)
            now += 2_000_000
        }
        now += 4_000_000  // 6 s instead of 2
        cadence.keyframe(at: now)
        #expect(cadence.irregularIntervals == 1)
        now += 200_000  // a burst
        cadence.keyframe(at: now)
        #expect(cadence.irregularIntervals == 2)
    }

    @Test func keyframesAnsweringARequestAreCountedApart() {
        var cadence = KeyframeCadence()
        for i in 0..<5 { cadence.keyframe(at: Int64(i) * 2_000_000) }
        cadence.requested(at: 8_500_000)
        cadence.keyframe(at: 8_600_000)  // the answer: not an interval of the rhythm
        cadence.keyframe(at: 9_100_000)  // the encoder's own, on its old timer: not measured
        cadence.keyframe(at: 11_100_000)
        #expect(cadence.requestedKeyframes == 1)
        #expect(cadence.keyframes == 8)
        #expect(cadence.irregularIntervals == 0)
        #expect(cadence.lastIntervalSeconds == 2)
    }

    @Test func theFirstIntervalsOnlyTeachTheMean() {
        var cadence = KeyframeCadence()
        for time: Int64 in [0, 1_000_000, 5_000_000, 5_100_000] { cadence.keyframe(at: time) }
        #expect(cadence.irregularIntervals == 0)
    }

    @Test func clockValuesAnywhereDoNotTrap() {
        var cadence = KeyframeCadence()
        for time in [Int64.max, Int64.min, 0, -5, Int64.max] { cadence.keyframe(at: time) }
        cadence.requested(at: .min)
        cadence.keyframe(at: .max)
        #expect(cadence.keyframes == 6)
    }
}
