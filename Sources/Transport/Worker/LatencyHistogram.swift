/// Durations counted in fixed buckets, for a figure recorded once per packet on one worker
/// thread: plain integers, no lock, no allocation after creation. Workers' histograms are merged
/// when read (a Prometheus scrape, a stats request), which is also when percentiles are taken.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets in nanoseconds (Prometheus's `le`); one more bucket, +Inf,
    /// takes the rest. From 1 us (a forward on an idle worker) to 100 ms (a stalled thread), with
    /// steps of 100-250 us around the 1 ms that a p99 target is read against, and of 0.5-1 ms up
    /// to 5 ms, where a virtual machine's stalls put the tail of a loaded worker.
    public static let boundsNanoseconds: [Int64] = [
        1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 200_000, 300_000, 400_000, 500_000,
        600_000, 800_000, 1_000_000, 1_250_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 4_000_000,
        5_000_000, 7_500_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000,
    ]

    /// Per bucket, not cumulative; `boundsNanoseconds.count + 1` entries.
    public private(set) var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sumNanoseconds: UInt64 = 0

    public init() {
        counts = Array(repeating: 0, count: Self.boundsNanoseconds.count + 1)
    }

    @inline(__always)
    public mutating func record(nanoseconds: Int64) {
        let value = max(0, nanoseconds)
        var bucket = 0
        let bounds = Self.boundsNanoseconds
        while bucket < bounds.count, value > bounds[bucket] { bucket += 1 }
        counts[bucket] &+= 1
        count &+= 1
        sumNanoseconds &+= UInt64(value)
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] &+= other.counts[index] }
        count &+= other.count
        sumNanoseconds &+= other.sumNanoseconds
    }

    /// The upper bound of the bucket holding the `quantile` (0...1) of the samples: an upper
    /// estimate, as precise as the buckets. nil without samples or past the last bound.
    public func quantileUpperBoundNanoseconds(_ quantile: Double) -> Int64? {
        guard count > 0 else { return nil }
        let rank = UInt64((Double(count) * min(max(quantile, 0), 1)).rounded(.up))
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() {
            seen += bucketCount
            if seen >= max(rank, 1) { return index < Self.boundsNanoseconds.count ? Self.boundsNanoseconds[index] : nil }
        }
        return nil
    }
}
