/// How one subscriber's estimated bandwidth is shared among the simulcast tracks it receives,
/// as a plain function (mediasoup's Transport::DistributeAvailableOutgoingBitrate and LiveKit's
/// StreamAllocator do the same job).
///
/// Each track starts at the layer its rendered size asks for (`LayerChoice`); while the layers
/// chosen cost more than the budget, the track whose chosen layer costs most steps down one
/// active layer, until everything fits or every track is on its lowest active layer (video is
/// never cut off for bandwidth: the lowest layer of a simulcast set is small). A layer above the
/// one a track receives now costs `upgradeMargin` more than its measured bitrate: a subscriber
/// goes up only with room to spare, and does not flap between two layers when its estimate
/// sits near one's bitrate.
enum LayerAllocation {
    struct Track: Equatable {
        /// Per layer, smallest to largest: measured bits per second and whether it is sent.
        var layers: [(bitsPerSecond: Int, active: Bool)]
        /// The layer the rendered size asks for (an active one).
        var preferred: Int
        /// The layer the subscriber receives now, if any.
        var current: Int?

        static func == (a: Track, b: Track) -> Bool {
            a.preferred == b.preferred && a.current == b.current && a.layers.count == b.layers.count
                && zip(a.layers, b.layers).allSatisfy { $0.bitsPerSecond == $1.bitsPerSecond && $0.active == $1.active }
        }
    }

    static let upgradeMargin = 1.15

    /// The layer index per track. `budget`: bits per second for these tracks (the estimate less
    /// what the subscriber's other streams take); nil: no estimate yet, every track gets its
    /// preferred layer.
    static func allocate(budget: Int?, tracks: [Track]) -> [Int] {
        var chosen = tracks.map(\.preferred)
        guard let budget else { return chosen }
        func cost(_ track: Int, _ layer: Int) -> Int {
            let bits = max(0, tracks[track].layers[layer].bitsPerSecond)
            guard let current = tracks[track].current, layer > current else { return bits }
            return Int((Double(bits) * upgradeMargin).rounded(.up))
        }
        func lower(_ track: Int) -> Int? {
            var layer = chosen[track] - 1
            while layer >= 0 {
                if tracks[track].layers[layer].active { return layer }
                layer -= 1
            }
            return nil
        }
        var total = tracks.indices.reduce(0) { $0 &+ cost($1, chosen[$1]) }
        while total > budget {
            // The most expensive track that can still step down.
            var candidate: Int?
            for track in tracks.indices where lower(track) != nil {
                if candidate == nil || cost(track, chosen[track]) > cost(candidate!, chosen[candidate!]) { candidate = track }
            }
            guard let track = candidate, let layer = lower(track) else { break }
            total = total &- cost(track, chosen[track]) &+ cost(track, layer)
            chosen[track] = layer
        }
        return chosen
    }
}
