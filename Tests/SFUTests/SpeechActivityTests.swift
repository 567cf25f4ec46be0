import Testing
@testable import SFU

/// A track's share of sound from RFC 6464 level bytes, with plain values: 250 ms intervals (12
/// packets of 20 ms expected), smoothing 0.4.
@Suite struct SpeechActivityTests {
    static let interval = 250
    static let smoothing = 0.4

    static func feed(_ activity: inout SpeechActivity, level: UInt8, packets: Int) {
        for _ in 0..<packets { activity.record(levelByte: level) }
    }

    @Test func levelsAtOrBelowTheThresholdAreSoundAndTheVoiceFlagIsIgnored() {
        var activity = SpeechActivity(soundLevel: 40)
        Self.feed(&activity, level: 40, packets: 6)        // -40 dBov: sound
        Self.feed(&activity, level: 41, packets: 3)        // -41 dBov: not
        Self.feed(&activity, level: 0x80 | 127, packets: 3) // silence with V set: not
        #expect(activity.endInterval(milliseconds: Self.interval, smoothing: 1) == 0.5)
    }

    @Test func theScoreRisesAndFallsSmoothly() {
        var activity = SpeechActivity()
        var scores: [Double] = []
        for _ in 0..<3 {
            Self.feed(&activity, level: 20, packets: 12)
            scores.append(activity.endInterval(milliseconds: Self.interval, smoothing: Self.smoothing))
        }
        #expect(abs(scores[0] - 0.4) < 1e-9)
        #expect(abs(scores[1] - 0.64) < 1e-9)
        #expect(abs(scores[2] - 0.784) < 1e-9)
        Self.feed(&activity, level: 127, packets: 12)
        let after = activity.endInterval(milliseconds: Self.interval, smoothing: Self.smoothing)
        #expect(abs(after - 0.784 * 0.6) < 1e-9, "a silent interval pulls the score down by the smoothing weight")
    }

    @Test func aPublisherThatStopsSendingIsSilentNotLoud() {
        var activity = SpeechActivity()
        Self.feed(&activity, level: 10, packets: 2)         // the last two packets before DTX or a cut
        #expect(abs(activity.endInterval(milliseconds: Self.interval, smoothing: 1) - 2.0 / 12) < 1e-9)
        #expect(activity.endInterval(milliseconds: Self.interval, smoothing: 1) == 0, "no packets: silence")
    }

    @Test func moreThanTheExpectedPacketsCountAsTheyCame() {
        var activity = SpeechActivity()
        Self.feed(&activity, level: 10, packets: 25)        // 10 ms packets
        Self.feed(&activity, level: 127, packets: 25)
        #expect(activity.endInterval(milliseconds: Self.interval, smoothing: 1) == 0.5)
    }

    @Test func oddSettingsStayInRange() {
        var activity = SpeechActivity(soundLevel: 200)
        #expect(activity.soundLevel == 127)
        Self.feed(&activity, level: 127, packets: 3)
        #expect(activity.endInterval(milliseconds: 0, smoothing: 7) == 1, "an interval under a packet counts one packet")
        #expect(activity.endInterval(milliseconds: -5, smoothing: -1) == 1, "a negative weight keeps the score")
        activity.reset()
        #expect(activity.score == 0)
    }
}
