/// The bitrate of each spatial and temporal layer of one RTP stream (the dependency descriptor's
/// layers, or VP8's TID, RFC 7741 4.2), from the packets' payload bytes, sampled once a second
/// like `BitrateMeter`: what leaving the upper layers out would save a subscriber
/// (`LayerAllocation.ladder`). Spatial layers 0 to 3 and temporal layers 0 to 3: the most
/// Chromium's scalability modes use (L3T3) with room to spare. No allocation per packet.
struct LayerRates {
    static let maximumLayers = 4
    private var bytes = [Int](repeating: 0, count: maximumLayers * maximumLayers)
    private var meters = [BitrateMeter](repeating: BitrateMeter(), count: maximumLayers * maximumLayers)
    private var highestTemporalSinceSample = -1
    private var highestSpatialSinceSample = -1
    /// How many temporal layers the stream sent over the last interval (the highest seen, plus
    /// one); 0: its packets name no layers.
    private(set) var temporalLayerCount = 0
    /// How many spatial layers it sent over the last interval; 0: its packets name no layers.
    private(set) var spatialLayerCount = 0

    @inline(__always)
    mutating func record(spatial: UInt8 = 0, temporal: UInt8, bytes count: Int) {
        let spatial = Int(spatial) & (Self.maximumLayers - 1)
        let temporal = Int(temporal) & (Self.maximumLayers - 1)
        bytes[spatial * Self.maximumLayers + temporal] &+= count
        if temporal > highestTemporalSinceSample { highestTemporalSinceSample = temporal }
        if spatial > highestSpatialSinceSample { highestSpatialSinceSample = spatial }
    }

    mutating func sample(nanoseconds: Int64) {
        for index in 0..<meters.count { meters[index].sample(bytes: bytes[index], nanoseconds: nanoseconds) }
        temporalLayerCount = highestTemporalSinceSample + 1
        spatialLayerCount = highestSpatialSinceSample + 1
        highestTemporalSinceSample = -1
        highestSpatialSinceSample = -1
    }

    /// Bits per second of spatial layers 0 through `spatial` and temporal layers 0 through
    /// `temporal` together (what a subscriber limited to those receives).
    func bitsPerSecond(spatialThrough spatial: Int = maximumLayers - 1, temporalThrough temporal: Int) -> Int {
        var total = 0
        for s in 0...min(max(spatial, 0), Self.maximumLayers - 1) {
            for t in 0...min(max(temporal, 0), Self.maximumLayers - 1) { total &+= meters[s * Self.maximumLayers + t].bitsPerSecond }
        }
        return total
    }
}
