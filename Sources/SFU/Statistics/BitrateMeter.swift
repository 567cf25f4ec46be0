/// Bits per second from a growing byte count, sampled about once a second by the room's tick;
/// `perSecond` is the count's own rate (frames per second from a frame count).
struct BitrateMeter {
    private var lastBytes = 0
    private var lastNanoseconds: Int64 = 0
    private(set) var bitsPerSecond = 0
    private(set) var perSecond = 0.0

    mutating func sample(bytes: Int, nanoseconds: Int64) {
        defer {
            lastBytes = bytes
            lastNanoseconds = nanoseconds
        }
        guard lastNanoseconds > 0, nanoseconds > lastNanoseconds, bytes >= lastBytes else { return }
        // In floating point: bytes * 8e9 passes Int64 from about 1.15 GB an interval.
        perSecond = Double(bytes - lastBytes) * 1e9 / Double(nanoseconds - lastNanoseconds)
        bitsPerSecond = Int(min(perSecond * 8, 1e15))
    }
}

/// The latest receiver reports a subscriber sent about the streams it receives (RFC 3550 6.4.2).
struct RemoteReceptionSummary {
    /// Highest fraction lost of the last report, 0...1.
    var lossRatio: Double = 0
    var jitterSeconds: Double = 0
    var roundTripSeconds: Double?
}
