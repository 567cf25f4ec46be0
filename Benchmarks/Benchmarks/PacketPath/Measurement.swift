import Benchmark

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time of the calling thread in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`).
///
/// The framework's own `cpuTotal` is read from /proc in 10 ms ticks, too coarse for one
/// iteration here, and reading it allocates inside the measured window (16 mallocs per
/// iteration on Linux), which would hide the zero this suite is about.
enum ThreadCPUClock {
    static func nanoseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec)
    }
}

enum PacketPathMetric {
    /// Thread CPU time, scaled per packet like the wall clock.
    static let cpuTime = BenchmarkMetric.custom("Time (thread CPU) (ns)", polarity: .prefersSmaller, useScalingFactor: true)
}

extension Benchmark.Configuration {
    /// Every packet-path benchmark: 1000 packets per iteration (numbers shown per packet), wall
    /// clock and thread CPU time, and the allocation counters with a tolerance of zero.
    static func packetPath(maxDuration: Duration = .seconds(1)) -> Self {
        .init(
            metrics: [.wallClock, PacketPathMetric.cpuTime, .mallocCountTotal, .memoryLeakedBytes],
            timeUnits: .nanoseconds,
            // Plain counts, never "(K)": a count per 1000 packets reads as it is with --scale.
            units: [PacketPathMetric.cpuTime: .count, .mallocCountTotal: .count, .memoryLeakedBytes: .count],
            warmupIterations: 3,
            scalingFactor: .kilo,
            maxDuration: maxDuration,
            maxIterations: 10_000,
            thresholds: [
                .mallocCountTotal: .init(relative: BenchmarkThresholds.Relative.strict, absolute: BenchmarkThresholds.Absolute.strict),
                .memoryLeakedBytes: .init(relative: BenchmarkThresholds.Relative.strict, absolute: BenchmarkThresholds.Absolute.strict),
            ]
        )
    }
}

extension Benchmark {
    /// Measures `body` alone: whatever the iteration did before (preparing packets) is outside
    /// the wall clock, the CPU time and the malloc counts. The thread CPU clock is read outside
    /// the framework's window (each read is a system call of some 0.5 µs here), so the wall
    /// clock holds only `body`; the CPU time also holds the framework's own start and stop.
    @inline(__always)
    func measure(_ body: () -> Void) {
        let cpuStart = ThreadCPUClock.nanoseconds()
        startMeasurement()
        body()
        stopMeasurement()
        let cpuEnd = ThreadCPUClock.nanoseconds()
        measurement(PacketPathMetric.cpuTime, cpuEnd - cpuStart)
    }
}
