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
///
/// The steps ("layers" below) are a ladder (`ladder`): each simulcast layer whole, and under the
/// lowest active one, that layer with fewer temporal layers (fewer frames a second) when it has
/// them. A subscriber whose link cannot carry even the smallest picture then still gets
/// something that moves, and a dip is met at the next picture, without waiting for a keyframe.
enum LayerAllocation {
    struct Track: Equatable {
        /// Per step, cheapest to dearest: measured bits per second and whether it is sent.
        var layers: [(bitsPerSecond: Int, active: Bool)]
        /// The step the rendered size asks for (an active one).
        var preferred: Int
        /// The step the subscriber receives now, if any.
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

    /// One step of a track's ladder: a simulcast layer (its index among the ranked layers) with
    /// temporal layers 0 through `temporal` (`UInt8.max`: all of them).
    struct Rung: Equatable {
        var spatial: Int
        var temporal: UInt8
        var bitsPerSecond: Int
        var active: Bool
    }

    /// What is known of one ranked layer: its bitrate, whether it is sent, how many temporal
    /// layers it has (0 or 1: none to leave out) and the bitrate through each of them.
    struct Layer: Equatable {
        var bitsPerSecond: Int
        var active: Bool
        var temporalLayers = 0
        var bitsPerSecondThrough: [Int] = []
    }

    /// The ladder of `layers` (smallest picture first): the lowest active layer with its
    /// temporal layers 0, 0-1, ... first when it has more than one, then every layer whole.
    static func ladder(_ layers: [Layer]) -> [Rung] {
        var rungs: [Rung] = []
        let lowest = layers.firstIndex(where: \.active)
        for (index, layer) in layers.enumerated() {
            if index == lowest, layer.temporalLayers > 1, layer.bitsPerSecondThrough.count >= layer.temporalLayers - 1 {
                for temporal in 0..<(layer.temporalLayers - 1) {
                    rungs.append(Rung(spatial: index, temporal: UInt8(temporal), bitsPerSecond: layer.bitsPerSecondThrough[temporal], active: true))
                }
            }
            rungs.append(Rung(spatial: index, temporal: .max, bitsPerSecond: layer.bitsPerSecond, active: layer.active))
        }
        return rungs
    }
}
