/// The most a publisher is told it may send (REMB, draft-alvestrand-rmcat-remb-03), from what
/// its subscribers can take, as plain values. libwebrtc takes a REMB as an upper limit on its
/// send rate beside its own transport-wide estimate, so a publisher whose every viewer is on a
/// thin link lowers its encoder instead of sending what would be dropped on the way: the
/// patient's 1.5 Mbit/s towards a doctor whose hospital Wi-Fi carries 300 kbit/s.
///
/// Only video sent as one stream of one size is capped this way: a simulcast track's unneeded
/// layers are paused instead (`LayerDemand`) and each subscriber takes the layer its estimate
/// allows, as it takes the spatial layers of an SVC stream, so a publisher with a layered track
/// is not capped. A track is capped at what its best-served
/// subscriber can take (a viewer on a good link is not held down by one on a poor link); a
/// publisher is not capped while any of its single-stream video tracks has no subscriber, or a
/// subscriber that does not limit it: no estimate (no transport-wide feedback yet, or none
/// negotiated), or an estimate that has not fallen for 10 s. An estimate on an open link only
/// runs ahead of what it carries (up to 1.5 times), so capping at it would hold a publisher at
/// 1.5 times its last rate and make its encoder shrink the picture for no congestion.
enum PublisherBitrateCap {
    struct Track: Equatable {
        /// Simulcast, or one stream of spatial layers (SVC): a subscriber is given fewer layers
        /// rather than the publisher capped.
        var isLayered: Bool
        /// Per subscriber, the bits per second it can take for this track: its estimate less
        /// what it receives of other tracks; nil when its link does not limit it.
        var shares: [Int?]
    }

    /// Never told less: below this an encoder gives up picture size for nothing.
    static let minimumBitsPerSecond = 100_000
    /// What lifts an earlier cap (REMB has no "none").
    static let liftedBitsPerSecond = 100_000_000

    /// The cap for `tracks` (the publisher's video tracks) plus `otherBitsPerSecond` (its audio,
    /// as received), or nil for none.
    static func cap(tracks: [Track], otherBitsPerSecond: Int) -> Int? {
        guard !tracks.isEmpty else { return nil }
        var total = max(0, otherBitsPerSecond)
        for track in tracks {
            guard !track.isLayered, !track.shares.isEmpty else { return nil }
            var best = 0
            for share in track.shares {
                guard let share else { return nil }
                best = max(best, share)
            }
            total = total.addingReportingOverflow(best).overflow ? .max : total + best
        }
        return min(max(minimumBitsPerSecond, total), liftedBitsPerSecond)
    }

    /// A subscriber's share for one track: its estimate less what it was sent of everything
    /// else over the last second (`sentBitsPerSecond` in all, `trackBitsPerSecond` of this track).
    static func share(estimate: Int, sentBitsPerSecond: Int, trackBitsPerSecond: Int) -> Int {
        let others = max(0, sentBitsPerSecond - max(0, trackBitsPerSecond))
        return max(0, estimate - others)
    }
}
