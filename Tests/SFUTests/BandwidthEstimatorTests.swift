import Testing
import TestSupport
@testable import SFU

/// A sender, a bottleneck of `capacity` with a FIFO queue, and a receiver sending transport-wide
/// feedback every 50 ms, around one estimator. A packet arrives at
/// max(send + base delay, previous arrival + its serialisation at `capacity`); reported arrival
/// times are on the receiver's clock (another origin), with up to `jitter` added and rounded to
/// the feedback's 250 µs resolution. Lost packets are dropped before the link and reported as
/// lost once a later packet has arrived.
private struct LinkSimulation {
    struct Sent {
        var result: PacketResult
        var arrival: Int64?
    }

    static let feedbackInterval: Int64 = 50_000
    static let receiverClockOffset: Int64 = 987_654_321

    var estimator: BandwidthEstimator
    var capacity: Int
    var baseDelay: Int64 = 30_000
    var lossProbability = 0.0
    var jitter: Int64 = 0
    var random = SplitMix64(seed: 42)
    private(set) var now: Int64 = 1_000_000
    private(set) var feedbacks = 0
    private(set) var sawOveruse = false
    private(set) var lowestEstimate = Int.max
    /// When the estimate first went below `watchBelow`, and the first decrease's figures.
    var watchBelow = 0
    private(set) var firstBelow: Int64?
    private(set) var firstDecrease: (before: Int, after: Int, acknowledged: Int?)?
    /// Reports after which the estimate had risen above 1.5 × acknowledged + 10 kbit/s.
    private(set) var risesAboveThroughputLimit = 0
    private var lastArrival: Int64 = .min
    private var pending: [Sent] = []
    private var nextFeedback: Int64 = 1_000_000 + feedbackInterval

    init(capacity: Int, estimator: BandwidthEstimator = BandwidthEstimator()) {
        self.capacity = capacity
        self.estimator = estimator
    }

    /// Sends `bitsPerSecond` of `bytes`-byte packets for `duration`.
    mutating func run(bitsPerSecond: Int, for duration: Int64, bytes: Int = 1200, cluster: Int? = nil) {
        let interval = Int64(bytes * 8) * 1_000_000 / Int64(bitsPerSecond)
        let end = now + duration
        while now < end {
            send(bytes: bytes, cluster: cluster)
            advance(to: min(now + interval, end))
        }
    }

    /// Sends `count` packets of a probe cluster at `bitsPerSecond`.
    mutating func probe(cluster: Int, bitsPerSecond: Int, count: Int, bytes: Int = 1200) {
        let interval = Int64(bytes * 8) * 1_000_000 / Int64(bitsPerSecond)
        for _ in 0..<count {
            send(bytes: bytes, cluster: cluster)
            advance(to: now + interval)
        }
    }

    mutating func advance(to time: Int64) {
        while nextFeedback <= time {
            now = nextFeedback
            feedback()
            nextFeedback += Self.feedbackInterval
        }
        now = time
    }

    private mutating func send(bytes: Int, cluster: Int?) {
        if lossProbability > 0, Double(random.next() % 1_000_000) / 1_000_000 < lossProbability {
            pending.append(Sent(result: PacketResult(sendMicroseconds: now, arrivalMicroseconds: nil, bytes: bytes, probeCluster: cluster), arrival: nil))
            return
        }
        let serialisation = Int64(bytes * 8) * 1_000_000 / Int64(capacity)
        let arrival = max(now + baseDelay, lastArrival == .min ? .min : lastArrival + serialisation)
        lastArrival = arrival
        let noise = jitter > 0 ? Int64(random.next() % UInt64(jitter + 1)) : 0
        let reported = (arrival + noise + Self.receiverClockOffset) / 250 * 250
        pending.append(Sent(result: PacketResult(sendMicroseconds: now, arrivalMicroseconds: reported, bytes: bytes, probeCluster: cluster),
                            arrival: arrival))
    }

    private mutating func feedback() {
        guard let last = pending.lastIndex(where: { $0.arrival.map { $0 <= now } ?? false }) else { return }
        let report = pending[...last].map(\.result)
        pending.removeFirst(last + 1)
        let before = estimator.bitsPerSecond
        report.withUnsafeBufferPointer { estimator.update($0, now: now) }
        feedbacks += 1
        let after = estimator.bitsPerSecond
        if estimator.usage == .overusing { sawOveruse = true }
        lowestEstimate = min(lowestEstimate, after)
        if firstBelow == nil, after < watchBelow { firstBelow = now }
        if firstDecrease == nil, after < before { firstDecrease = (before, after, estimator.acknowledgedBitsPerSecond) }
        if after > before, Double(after) > 1.5 * Double(estimator.acknowledgedBitsPerSecond ?? 0) + 10_000 { risesAboveThroughputLimit += 1 }
    }
}

/// Feeds `estimator` 1 200-byte packets every `spacing` (10 ms: 960 kbit/s) sent from `start`
/// for `duration`, each arriving `delay(send)` after it was sent, reported five at a time
/// (every 50 ms at 10 ms); `observe` sees the estimator after each report.
private func feed(_ estimator: inout BandwidthEstimator, from start: Int64, for duration: Int64, spacing: Int64 = 10_000,
                  delay: (Int64) -> Int64, observe: (BandwidthEstimator) -> Void = { _ in }) {
    var results: [PacketResult] = []
    var send = start
    while send < start + duration {
        results.append(PacketResult(sendMicroseconds: send, arrivalMicroseconds: send + delay(send), bytes: 1200, probeCluster: nil))
        send += spacing
        if results.count == 5 {
            results.withUnsafeBufferPointer { estimator.update($0, now: send + 40_000) }
            observe(estimator)
            results.removeAll(keepingCapacity: true)
        }
    }
}

private func update(_ estimator: inout BandwidthEstimator, _ results: [PacketResult], now: Int64) {
    results.withUnsafeBufferPointer { estimator.update($0, now: now) }
}

/// The send-side estimate against simulated links, and against inputs no link would give.
@Suite struct BandwidthEstimatorTests {
    @Test func aCongestedLinkBringsTheEstimateDownWithinTwoSeconds() throws {
        // 1.2 Mbit/s into 300 kbit/s: the queue grows by three times what the link carries.
        var link = LinkSimulation(capacity: 300_000)
        link.watchBelow = 360_000
        let start = link.now
        link.run(bitsPerSecond: 1_200_000, for: 2_000_000)
        #expect(link.sawOveruse)
        let below = try #require(link.firstBelow)
        #expect(below - start <= 2_000_000)
        #expect(link.estimator.bitsPerSecond < 360_000)
        // Decreases go to 0.85 times what arrived (300 kbit/s), not to the floor.
        #expect(link.estimator.bitsPerSecond > 200_000)
        let acknowledged = try #require(link.estimator.acknowledgedBitsPerSecond)
        #expect(abs(acknowledged - 300_000) < 15_000, "\(acknowledged)")
        let decrease = try #require(link.firstDecrease)
        let basis = try #require(decrease.acknowledged)
        #expect(abs(Double(decrease.after) - 0.85 * Double(basis)) < 0.01 * Double(basis), "\(decrease)")
        #expect(!link.estimator.mayProbe(now: link.now))
    }

    @Test func aLinkThatNarrowsIsMetInOneStepFromWhatArrivesNow() throws {
        // 900 kbit/s over an open link, then the link narrows to 300 kbit/s: the first decrease
        // must land under the new capacity, not between the two rates (the half-second window
        // still holds arrivals from before), or a subscriber's layers come down in two steps.
        var link = LinkSimulation(capacity: 10_000_000)
        link.run(bitsPerSecond: 900_000, for: 3_000_000)
        #expect(!link.sawOveruse)
        #expect(link.firstDecrease == nil)
        let before = link.estimator.bitsPerSecond
        #expect(before >= 900_000)
        link.capacity = 300_000
        let narrowed = link.now
        link.watchBelow = 300_000
        link.run(bitsPerSecond: 900_000, for: 1_000_000)
        let decrease = try #require(link.firstDecrease)
        #expect(decrease.after < 300_000 && decrease.after > 200_000, "\(decrease)")
        // The half-second's rate was still well above the link's when it happened.
        #expect((decrease.acknowledged ?? 0) > 400_000, "\(decrease)")
        let below = try #require(link.firstBelow)
        #expect(below - narrowed <= 400_000, "\(below - narrowed) µs")
    }

    @Test func onlyAStandingQueueGivesTheLinksRate() {
        // 1 200-byte packets every 10 ms (960 kbit/s), reported every 50 ms.
        func estimator(delay: (Int) -> Int64) -> BandwidthEstimator {
            var estimator = BandwidthEstimator()
            var results: [PacketResult] = []
            for index in 0..<60 {
                let send = Int64(1_000_000 + index * 10_000)
                results.append(PacketResult(sendMicroseconds: send, arrivalMicroseconds: send + delay(index), bytes: 1200, probeCluster: nil))
                if results.count == 5 {
                    update(&estimator, results, now: send + 30_000)
                    results.removeAll()
                }
            }
            return estimator
        }
        // No queue: constant delay, or jitter within `queuedDelay`.
        #expect(estimator { _ in 20_000 }.queuedThroughput() == .none)
        #expect(estimator { index in 20_000 + Int64(index % 3) * 1_500 }.queuedThroughput() == .none)
        // A queue that began three packets ago: forming, too young to measure.
        #expect(estimator { index in index < 57 ? 20_000 : 20_000 + Int64(index - 56) * 20_000 }.queuedThroughput() == .forming)
        // From packet 40 on, the link carries 320 kbit/s (a packet every 30 ms): each waits
        // 20 ms longer than the one before, and the queued packets give the link's rate.
        let queued = estimator { index in index < 40 ? 20_000 : 20_000 + Int64(index - 39) * 20_000 }.queuedThroughput()
        guard case .rate(let rate) = queued else {
            Issue.record("\(queued)")
            return
        }
        #expect(abs(rate - 320_000) < 1_000, "\(rate)")
        // Delays that grow as much but over a link sending as fast as it is sent: late feedback
        // of a faster path, not a bottleneck (arrivals no slower than sends).
        #expect(estimator { index in index < 40 ? 20_000 : 40_000 }.queuedThroughput() == .none)
    }

    @Test func ampleCapacityKeepsTheEstimateAboveWhatIsSentAndWithinTheThroughputLimit() throws {
        var link = LinkSimulation(capacity: 10_000_000)
        link.jitter = 2_000
        link.run(bitsPerSecond: 800_000, for: 10_000_000)
        #expect(link.feedbacks == 200)
        #expect(!link.sawOveruse)
        #expect(link.lowestEstimate >= 800_000)
        let estimate = link.estimator.bitsPerSecond
        let acknowledged = try #require(link.estimator.acknowledgedBitsPerSecond)
        #expect(abs(acknowledged - 800_000) < 8_000, "\(acknowledged)")
        #expect(estimate >= 800_000)
        // No rise took it above 1.5 × acknowledged + 10 kbit/s: for 800 kbit/s 1 210 kbit/s, give
        // or take the few tenths of a percent the jitter makes of the measured rate.
        #expect(link.risesAboveThroughputLimit == 0)
        #expect(estimate <= 1_210_000 + 12_100, "\(estimate)")
        // And it got there: 1 Mbit/s grows by 8 %/s up to that limit.
        #expect(estimate >= 1_150_000, "\(estimate)")
        #expect(link.estimator.lossRatio == 0)
        #expect(link.estimator.mayProbe(now: link.now))
    }

    @Test func heavyLossDrivesTheEstimateDownAndLightLossDoesNot() {
        var heavy = LinkSimulation(capacity: 10_000_000)
        heavy.lossProbability = 0.2
        heavy.watchBelow = 500_000
        heavy.run(bitsPerSecond: 800_000, for: 10_000_000)
        #expect(heavy.estimator.lossRatio > 0.12 && heavy.estimator.lossRatio < 0.28, "\(heavy.estimator.lossRatio)")
        #expect(heavy.estimator.bitsPerSecond < 200_000, "\(heavy.estimator.bitsPerSecond)")
        #expect(heavy.firstBelow.map { $0 < 6_000_000 } ?? false, "\(String(describing: heavy.firstBelow))")
        #expect(heavy.estimator.bitsPerSecond >= heavy.estimator.minimumBitsPerSecond)
        #expect(!heavy.estimator.mayProbe(now: heavy.now))

        var light = LinkSimulation(capacity: 10_000_000)
        light.lossProbability = 0.01
        light.run(bitsPerSecond: 800_000, for: 10_000_000)
        #expect(light.estimator.lossRatio < 0.05, "\(light.estimator.lossRatio)")
        #expect(light.lowestEstimate >= 800_000)
        #expect(light.estimator.bitsPerSecond >= 1_000_000, "\(light.estimator.bitsPerSecond)")
    }

    @Test func aProbeOverAnAmpleLinkRaisesTheEstimateToItsRate() throws {
        var link = LinkSimulation(capacity: 10_000_000, estimator: BandwidthEstimator(initialBitsPerSecond: 500_000))
        link.run(bitsPerSecond: 400_000, for: 1_000_000)
        let before = link.estimator.bitsPerSecond
        #expect(before < 650_000, "\(before)")
        link.probe(cluster: 1, bitsPerSecond: 2_000_000, count: 20)
        link.run(bitsPerSecond: 400_000, for: 200_000)
        let now = link.now
        let measured = link.estimator.probeClusterComplete(1, now: now)
        let result = try #require(measured)
        #expect(abs(result - 2_000_000) <= 300_000, "\(result)")
        #expect(abs(link.estimator.bitsPerSecond - 2_000_000) <= 300_000, "\(link.estimator.bitsPerSecond)")
        #expect(link.estimator.lastProbeResult == result)
        // Forgotten once complete.
        let again = link.estimator.probeClusterComplete(1, now: now)
        #expect(again == nil)
    }

    @Test func aProbeOverANarrowLinkMeasuresTheLink() throws {
        var link = LinkSimulation(capacity: 500_000, estimator: BandwidthEstimator(initialBitsPerSecond: 300_000))
        link.run(bitsPerSecond: 250_000, for: 1_000_000)
        link.probe(cluster: 7, bitsPerSecond: 2_000_000, count: 20)
        link.run(bitsPerSecond: 250_000, for: 500_000)
        let now = link.now
        let measured = link.estimator.probeClusterComplete(7, now: now)
        let result = try #require(measured)
        // Received at 500 kbit/s, a quarter of the send rate: saturated, 0.95 × 500 kbit/s.
        #expect(result >= 450_000 && result <= 490_000, "\(result)")
        #expect(link.estimator.bitsPerSecond >= 400_000 && link.estimator.bitsPerSecond <= 600_000, "\(link.estimator.bitsPerSecond)")
    }

    @Test func probesWithoutAMeasurementGiveNothing() {
        var estimator = BandwidthEstimator(initialBitsPerSecond: 300_000)
        func probePackets(cluster: Int, count: Int, from start: Int64, spacing: Int64) -> [PacketResult] {
            (0..<count).map { index in
                let send = start + Int64(index) * spacing
                return PacketResult(sendMicroseconds: send, arrivalMicroseconds: send + 20_000, bytes: 1200, probeCluster: cluster)
            }
        }
        // Three packets 5 ms apart: too few over too short a time.
        update(&estimator, probePackets(cluster: 1, count: 3, from: 0, spacing: 5_000), now: 50_000)
        let cluster1 = estimator.probeClusterComplete(1, now: 50_000)
        #expect(cluster1 == nil)
        // Three packets 10 ms apart span 20 ms of send time: enough.
        update(&estimator, probePackets(cluster: 2, count: 3, from: 100_000, spacing: 10_000), now: 150_000)
        let few = estimator.probeClusterComplete(2, now: 150_000)
        #expect(few.map { abs($0 - 960_000) < 20_000 } ?? false, "\(String(describing: few))")
        #expect(estimator.bitsPerSecond == few)
        // A cluster never seen.
        let cluster99 = estimator.probeClusterComplete(99, now: 150_000)
        #expect(cluster99 == nil)
        // A cluster whose feedback is more than a second old is forgotten.
        update(&estimator, probePackets(cluster: 3, count: 10, from: 200_000, spacing: 5_000), now: 300_000)
        update(&estimator, [], now: 1_400_000)
        let cluster3 = estimator.probeClusterComplete(3, now: 1_400_000)
        #expect(cluster3 == nil)
        // All lost: nothing measured.
        var lost = probePackets(cluster: 4, count: 10, from: 1_500_000, spacing: 5_000)
        for index in lost.indices { lost[index].arrivalMicroseconds = nil }
        update(&estimator, lost, now: 1_600_000)
        let cluster4 = estimator.probeClusterComplete(4, now: 1_600_000)
        #expect(cluster4 == nil)
        // More clusters at once than slots: the oldest is given up, the others still measure.
        for cluster in 10..<15 {
            update(&estimator, probePackets(cluster: cluster, count: 10, from: 2_000_000 + Int64(cluster) * 100_000, spacing: 5_000),
                   now: 2_100_000 + Int64(cluster) * 100_000)
        }
        let cluster10 = estimator.probeClusterComplete(10, now: 3_600_000)
        #expect(cluster10 == nil)
        let cluster14 = estimator.probeClusterComplete(14, now: 3_600_000)
        #expect(cluster14 != nil)
    }

    @Test func underuseHoldsTheEstimate() throws {
        // One second of steady delay, then one where the queue drains (each packet 2 ms less
        // delayed than the one before) or, for comparison, stays.
        func run(draining: Bool) -> (start: Int, end: Int, atUnderuse: Int?, highestAfterUnderuse: Int) {
            var estimator = BandwidthEstimator(initialBitsPerSecond: 600_000)
            feed(&estimator, from: 0, for: 1_000_000, delay: { _ in 400_000 })
            let start = estimator.bitsPerSecond
            var atUnderuse: Int?
            var highest = 0
            feed(&estimator, from: 1_000_000, for: 1_000_000, delay: { send in draining ? 400_000 - (send - 1_000_000) / 5 : 400_000 }) {
                if $0.usage == .underusing, atUnderuse == nil { atUnderuse = $0.bitsPerSecond }
                if atUnderuse != nil { highest = max(highest, $0.bitsPerSecond) }
            }
            return (start, estimator.bitsPerSecond, atUnderuse, highest)
        }
        let steady = run(draining: false)
        #expect(steady.atUnderuse == nil)
        #expect(Double(steady.end) > 1.04 * Double(steady.start), "\(steady)")
        let draining = run(draining: true)
        let atUnderuse = try #require(draining.atUnderuse)
        #expect(draining.highestAfterUnderuse == atUnderuse, "\(draining)")
        #expect(draining.end == atUnderuse)
        #expect(Double(draining.end) < 1.02 * Double(draining.start), "\(draining)")
    }

    @Test func theAcknowledgedRateIsTheLastHalfSecondOfArrivals() {
        var estimator = BandwidthEstimator()
        // Unknown until arrivals span 150 ms: the first report spans 40 ms, the third 140 ms.
        var reports = 0
        feed(&estimator, from: 0, for: 150_000, delay: { _ in 30_000 }) { reported in
            reports += 1
            #expect(reported.acknowledgedBitsPerSecond == nil, "after report \(reports)")
        }
        #expect(reports == 3)
        feed(&estimator, from: 150_000, for: 1_850_000, delay: { _ in 30_000 })
        #expect(estimator.acknowledgedBitsPerSecond == 960_000)
        // Half the rate: 600 ms later only the new rate is in the window.
        feed(&estimator, from: 2_000_000, for: 600_000, spacing: 20_000, delay: { _ in 30_000 })
        #expect(estimator.acknowledgedBitsPerSecond == 480_000)
    }

    @Test func theSameInstantAddsNothingAndAGapAddsAtMostOneSecondsGrowth() {
        var estimator = BandwidthEstimator(initialBitsPerSecond: 500_000)
        feed(&estimator, from: 0, for: 2_000_000, delay: { _ in 30_000 })
        let settled = estimator.bitsPerSecond
        #expect(settled > 500_000 && settled < 700_000, "\(settled)")
        // New packets, reported at the instant of the last report: no time, no growth.
        let last: Int64 = 2_000_000 + 40_000
        update(&estimator, (0..<5).map { PacketResult(sendMicroseconds: 1_995_000 + Int64($0) * 1_000, arrivalMicroseconds: 2_030_000 + Int64($0) * 1_000, bytes: 1200) },
               now: last)
        #expect(estimator.bitsPerSecond == settled)
        update(&estimator, [], now: last)
        #expect(estimator.bitsPerSecond == settled)
        // An hour later: at most one second's 8 % (plus the hold-to-increase step: nothing).
        let hour: Int64 = 3_600_000_000
        feed(&estimator, from: hour, for: 50_000, delay: { _ in 30_000 })
        #expect(Double(estimator.bitsPerSecond) <= 1.081 * Double(settled) + 4_000, "\(estimator.bitsPerSecond) after \(settled)")
        #expect(estimator.bitsPerSecond >= settled)
    }

    @Test func oddInputsNeitherTrapNorLeaveTheBounds() {
        var estimator = BandwidthEstimator(initialBitsPerSecond: 700_000, minimumBitsPerSecond: 60_000, maximumBitsPerSecond: 5_000_000)
        func expectBounds(_ label: String) {
            #expect(estimator.bitsPerSecond >= 60_000 && estimator.bitsPerSecond <= 5_000_000, "\(label)")
            #expect(estimator.lossRatio >= 0 && estimator.lossRatio <= 1, "\(label)")
            #expect((estimator.acknowledgedBitsPerSecond ?? 0) >= 0, "\(label)")
        }
        let extremes: [Int64] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
        let odd: [[PacketResult]] = [
            [],
            (0..<10).map { PacketResult(sendMicroseconds: Int64($0) * 1_000, arrivalMicroseconds: nil, bytes: 1200) },
            // Arrivals going backwards while sends go forwards.
            (0..<40).map { PacketResult(sendMicroseconds: Int64($0) * 10_000, arrivalMicroseconds: 1_000_000 - Int64($0) * 10_000, bytes: 1200) },
            extremes.map { PacketResult(sendMicroseconds: $0, arrivalMicroseconds: $0, bytes: 1200, probeCluster: 1) },
            extremes.map { PacketResult(sendMicroseconds: 0, arrivalMicroseconds: $0, bytes: 1200, probeCluster: 2) },
            extremes.reversed().map { PacketResult(sendMicroseconds: $0, arrivalMicroseconds: .max, bytes: 1200, probeCluster: 2) },
            [PacketResult(sendMicroseconds: 0, arrivalMicroseconds: 0, bytes: -5, probeCluster: .min),
             PacketResult(sendMicroseconds: 1, arrivalMicroseconds: 1, bytes: .max, probeCluster: .max),
             PacketResult(sendMicroseconds: 20_000, arrivalMicroseconds: .min, bytes: .min, probeCluster: .max)],
        ]
        for now in extremes + [50_000, 50_000, 3_600_000_000, 0] {
            for results in odd {
                update(&estimator, results, now: now)
                expectBounds("now \(now), \(results.count) results")
                _ = estimator.mayProbe(now: now)
                for cluster in [1, 2, .min, .max] { _ = estimator.probeClusterComplete(cluster, now: now) }
                expectBounds("probes at \(now)")
            }
        }
        // And at random: any values, any order.
        var random = SplitMix64(seed: 7)
        func value() -> Int64 {
            switch random.next() % 4 {
            case 0: extremes[Int(random.next() % UInt64(extremes.count))]
            case 1: Int64(bitPattern: random.next())
            default: Int64(random.next() % 10_000_000)
            }
        }
        for _ in 0..<2_000 {
            let count = Int(random.next() % 40)
            let results = (0..<count).map { _ in
                PacketResult(sendMicroseconds: value(), arrivalMicroseconds: random.next() % 5 == 0 ? nil : value(),
                             bytes: Int(truncatingIfNeeded: value()), probeCluster: random.next() % 3 == 0 ? Int(random.next() % 6) : nil)
            }
            let now = value()
            update(&estimator, results, now: now)
            estimator.roundTripMicroseconds = value()
            if random.next() % 8 == 0 { _ = estimator.probeClusterComplete(Int(random.next() % 6), now: now) }
            expectBounds("random")
        }
        // Still an estimator afterwards: a clean path and clean clocks bring it back to normal use.
        estimator.roundTripMicroseconds = 100_000
        feed(&estimator, from: 10_000_000_000, for: 3_000_000, delay: { _ in 30_000 })
        #expect(estimator.usage == .normal)
        #expect(estimator.acknowledgedBitsPerSecond.map { abs($0 - 960_000) < 30_000 } ?? false,
                "\(String(describing: estimator.acknowledgedBitsPerSecond))")
    }

    @Test func boundsAndInitialValuesAreSane() {
        let plain = BandwidthEstimator()
        #expect(plain.bitsPerSecond == 1_000_000)
        #expect(plain.acknowledgedBitsPerSecond == nil)
        #expect(plain.usage == .normal)
        #expect(plain.lossRatio == 0)
        #expect(plain.mayProbe(now: 0))
        let inverted = BandwidthEstimator(initialBitsPerSecond: -1, minimumBitsPerSecond: 200_000, maximumBitsPerSecond: 100_000)
        #expect(inverted.bitsPerSecond == 200_000)
        #expect(inverted.maximumBitsPerSecond == 200_000)
        let huge = BandwidthEstimator(initialBitsPerSecond: .max, minimumBitsPerSecond: .min, maximumBitsPerSecond: .max)
        #expect(huge.bitsPerSecond == BandwidthEstimator.ceiling)
        #expect(huge.minimumBitsPerSecond == 0)
    }
}
