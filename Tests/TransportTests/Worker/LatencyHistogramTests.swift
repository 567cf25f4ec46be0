import Testing
import Transport

@Suite("LatencyHistogram")
struct LatencyHistogramTests {
    @Test("a value goes to the first bucket whose bound is at least the value; past the last, +Inf")
    func buckets() {
        var histogram = LatencyHistogram()
        for value: Int64 in [-5, 0, 1_000, 1_001, 100_000_000, 100_000_001] { histogram.record(nanoseconds: value) }
        #expect(histogram.counts[0] == 3)  // -5 (as 0), 0, 1000
        #expect(histogram.counts[1] == 1)  // 1001
        #expect(histogram.counts[LatencyHistogram.boundsNanoseconds.count - 1] == 1)
        #expect(histogram.counts[LatencyHistogram.boundsNanoseconds.count] == 1)
        #expect(histogram.count == 6)
        #expect(histogram.sumNanoseconds == 0 + 0 + 1_000 + 1_001 + 100_000_000 + 100_000_001)
    }

    @Test("quantiles are the upper bound of the bucket holding them; nil when empty or past the last bound")
    func quantiles() {
        var histogram = LatencyHistogram()
        #expect(histogram.quantileUpperBoundNanoseconds(0.5) == nil)
        for _ in 0..<98 { histogram.record(nanoseconds: 4_000) }
        histogram.record(nanoseconds: 400_000)
        histogram.record(nanoseconds: 1_000_000_000)
        #expect(histogram.quantileUpperBoundNanoseconds(0.5) == 5_000)
        #expect(histogram.quantileUpperBoundNanoseconds(0.98) == 5_000)
        #expect(histogram.quantileUpperBoundNanoseconds(0.99) == 400_000)
        #expect(histogram.quantileUpperBoundNanoseconds(1) == nil)
        #expect(histogram.quantileUpperBoundNanoseconds(0) == 5_000)
    }

    @Test("merging adds bucket by bucket")
    func merge() {
        var a = LatencyHistogram(), b = LatencyHistogram()
        a.record(nanoseconds: 2_000)
        b.record(nanoseconds: 2_000)
        b.record(nanoseconds: 60_000)
        a.merge(b)
        #expect(a.count == 3)
        #expect(a.counts[1] == 2)
        #expect(a.quantileUpperBoundNanoseconds(1) == 100_000)
        #expect(a.sumNanoseconds == 64_000)
    }
}
