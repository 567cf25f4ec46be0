/// The bitrate of each temporal layer of one RTP stream (VP8's TID, RFC 7741 4.2), from the
/// packets' payload bytes, sampled once a second like `BitrateMeter`: what leaving the upper
/// layers out would save a subscriber (`LayerAllocation.ladder`). Layers 0 to 3, the most the
/// descriptor's two bits name. No allocation per packet.
struct TemporalLayerRates {
    static let maximumLayers = 4
    private var bytes = [Int](repeating: 0, count: maximumLayers)
    private var meters = [BitrateMeter](repeating: BitrateMeter(), count: maximumLayers)
    private var highestSinceSample = -1
    /// How many temporal layers the stream sent over the last interval (the highest TID seen,
    /// plus one); 0: its packets carry no TID.
    private(set) var layerCount = 0

    @inline(__always)
    mutating func record(layer: UInt8, bytes count: Int) {
        let layer = Int(layer) & (Self.maximumLayers - 1)
        bytes[layer] &+= count
        if layer > highestSinceSample { highestSinceSample = layer }
    }

    mutating func sample(nanoseconds: Int64) {
        for layer in 0..<Self.maximumLayers { meters[layer].sample(bytes: bytes[layer], nanoseconds: nanoseconds) }
        layerCount = highestSinceSample + 1
        highestSinceSample = -1
    }

    /// Bits per second of layers 0 through `layer` together (what a subscriber limited to
    /// `layer` receives).
    func bitsPerSecond(through layer: Int) -> Int {
        var total = 0
        for index in 0...min(max(layer, 0), Self.maximumLayers - 1) { total &+= meters[index].bitsPerSecond }
        return total
    }
}
