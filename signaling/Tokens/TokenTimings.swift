/// How long token checks take: the last `capacity` durations, and their percentiles on demand.
///
/// Kept in memory until metrics exist; `/debug/token-timing` shows it in development mode. A
/// ring of recent samples rather than a histogram: exact percentiles over a recent window is
/// what tuning needs, and 4096 samples cost 32 KiB.
public actor TokenTimings {
    public struct Snapshot: Sendable, Equatable {
        /// Checks since start.
        public var count: Int
        /// Samples the percentiles are taken over (the most recent ones).
        public var window: Int
        public var p50Microseconds: Int64
        public var p95Microseconds: Int64
        public var p99Microseconds: Int64
        public var maxMicroseconds: Int64
    }

    private let capacity: Int
    private var samples: [Int64] = []
    private var next = 0
    private var count = 0

    public init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    public func record(_ duration: Duration) {
        let microseconds = duration.microseconds
        if samples.count < capacity {
            samples.append(microseconds)
        } else {
            samples[next] = microseconds
        }
        next = (next + 1) % capacity
        count += 1
    }

    public func snapshot() -> Snapshot {
        let sorted = samples.sorted()
        // Nearest-rank percentile: the smallest sample with at least p% of samples at or below it.
        func percentile(_ p: Int) -> Int64 {
            guard !sorted.isEmpty else { return 0 }
            let rank = (p * sorted.count + 99) / 100
            return sorted[max(0, rank - 1)]
        }
        return Snapshot(count: count, window: sorted.count, p50Microseconds: percentile(50), p95Microseconds: percentile(95),
                        p99Microseconds: percentile(99), maxMicroseconds: sorted.last ?? 0)
    }
}
