/// Who in a room is speaking, and who speaks most (the dominant speaker), from each participant's
/// `SpeechActivity` score, as plain values. A class's page enlarges the teacher while they talk; an
/// auction room highlights the auctioneer; a client can subscribe to the speakers' video first.
///
/// Hysteresis keeps the list calm: a participant starts speaking when its score reaches `start`
/// and stops only below `stop`; the dominant speaker stays dominant while it speaks unless another
/// speaker's score passes its own by `takeOverMargin` (one cough does not take the floor). The list
/// is the dominant speaker first, then the other speakers in the order they started, so that it
/// changes only when someone starts, stops or takes the floor, not each time two scores cross.
struct ActiveSpeakers {
    struct Thresholds: Sendable, Equatable {
        var start = 0.3
        var stop = 0.15
        var takeOverMargin = 0.2
    }

    let thresholds: Thresholds
    /// The dominant speaker first (when anyone speaks), then the others in the order they started.
    private(set) var speakers: [String] = []

    init(thresholds: Thresholds = Thresholds()) {
        self.thresholds = thresholds
    }

    var dominant: String? { speakers.first }

    /// Takes the latest scores (one per participant; a participant absent from `scores` has left
    /// or publishes no audio and stops speaking). Returns the new list when it changed.
    mutating func update(scores: [(participantID: String, score: Double)]) -> [String]? {
        var score: [String: Double] = [:]
        for entry in scores { score[entry.participantID] = max(score[entry.participantID] ?? 0, entry.score) }
        // Those who went on speaking keep their place; newcomers join at the end, loudest first.
        var speaking = speakers.filter { (score[$0] ?? 0) >= thresholds.stop }
        let starting = scores.filter { entry in
            entry.score >= thresholds.start && !speaking.contains(entry.participantID)
        }.sorted { $0.score > $1.score }
        for entry in starting where !speaking.contains(entry.participantID) { speaking.append(entry.participantID) }

        if let current = dominant, let index = speaking.firstIndex(of: current) {
            // The floor changes hands only to someone clearly louder.
            let held = score[current] ?? 0
            if let challenger = speaking.enumerated().filter({ $0.offset != index })
                .max(by: { (score[$0.element] ?? 0) < (score[$1.element] ?? 0) }),
               (score[challenger.element] ?? 0) > held + thresholds.takeOverMargin {
                speaking.remove(at: challenger.offset)
                speaking.insert(challenger.element, at: 0)
            } else if index != 0 {
                speaking.remove(at: index)
                speaking.insert(current, at: 0)
            }
        } else if let loudest = speaking.enumerated().max(by: { (score[$0.element] ?? 0) < (score[$1.element] ?? 0) }) {
            // The dominant speaker stopped (or nobody held the floor): the loudest takes it.
            speaking.remove(at: loudest.offset)
            speaking.insert(loudest.element, at: 0)
        }
        guard speaking != speakers else { return nil }
        speakers = speaking
        return speaking
    }
}
