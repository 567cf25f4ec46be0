import Testing
@testable import SFU

/// Who speaks and who holds the floor, from scores as plain values (start 0.3, stop 0.15, take-over
/// margin 0.2).
@Suite struct ActiveSpeakersTests {
    @Test func aSpeakerStartsAtTheStartScoreAndStopsOnlyBelowTheStopScore() {
        var speakers = ActiveSpeakers()
        #expect(speakers.update(scores: [("a", 0.29)]) == nil, "below start: nobody, and nothing changed")
        #expect(speakers.update(scores: [("a", 0.3)]) == ["a"])
        #expect(speakers.update(scores: [("a", 0.16)]) == nil, "between stop and start: still speaking")
        #expect(speakers.update(scores: [("a", 0.14)]) == [], "below stop: stopped")
        #expect(speakers.update(scores: [("a", 0.2)]) == nil, "between the two: does not restart")
    }

    @Test func theFloorChangesHandsOnlyToSomeoneClearlyLouder() {
        var speakers = ActiveSpeakers()
        #expect(speakers.update(scores: [("teacher", 0.6)]) == ["teacher"])
        #expect(speakers.update(scores: [("teacher", 0.6), ("student", 0.7)]) == ["teacher", "student"], "louder, not by the margin")
        #expect(speakers.update(scores: [("teacher", 0.5), ("student", 0.7)]) == nil, "0.2 more is not more than the margin")
        #expect(speakers.update(scores: [("teacher", 0.45), ("student", 0.7)]) == ["student", "teacher"])
        #expect(speakers.dominant == "student")
    }

    @Test func whenTheDominantSpeakerStopsTheLoudestOtherTakesTheFloor() {
        var speakers = ActiveSpeakers()
        _ = speakers.update(scores: [("a", 0.9)])
        _ = speakers.update(scores: [("a", 0.9), ("b", 0.4), ("c", 0.5)])
        #expect(speakers.speakers == ["a", "c", "b"], "newcomers in order of loudness, after the dominant")
        #expect(speakers.update(scores: [("a", 0.1), ("b", 0.45), ("c", 0.35)]) == ["b", "c"])
    }

    @Test func theOthersKeepTheOrderInWhichTheyStarted() {
        var speakers = ActiveSpeakers()
        _ = speakers.update(scores: [("a", 0.9), ("b", 0.3)])
        _ = speakers.update(scores: [("a", 0.9), ("b", 0.3), ("c", 0.6)])
        #expect(speakers.speakers == ["a", "b", "c"])
        #expect(speakers.update(scores: [("a", 0.9), ("b", 0.5), ("c", 0.4)]) == nil, "scores crossing change nothing")
    }

    @Test func aParticipantMissingFromTheScoresHasStopped() {
        var speakers = ActiveSpeakers()
        _ = speakers.update(scores: [("a", 0.9), ("b", 0.5)])
        #expect(speakers.update(scores: [("b", 0.5)]) == ["b"], "a left the room")
        #expect(speakers.update(scores: []) == [])
        #expect(speakers.dominant == nil)
    }
}
