import Foundation

/// One packet of a feedback report, matched with what the sender recorded when it sent it.
struct PacketResult: Equatable {
    /// Our monotonic clock at send, microseconds.
    var sendMicroseconds: Int64
    /// The receiver's clock, microseconds (arbitrary origin: only differences matter); nil when
    /// the report says the packet was lost.
    var arrivalMicroseconds: Int64?
    /// Size on the wire (RTP packet length).
    var bytes: Int
    /// Non-nil for the packets of a probe cluster.
    var probeCluster: Int?
}

/// The send-side bandwidth estimate towards one subscriber, from its transport-wide congestion
/// control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01), in the manner of
/// Google Congestion Control (draft-ietf-rmcat-gcc-02, with libwebrtc's goog_cc as the
/// reference behaviour). A plain value: the caller feeds it each feedback message and reads
/// the estimate.
///
/// Two controllers, and the estimate is the lower of the two (section 4):
/// - delay-based (section 5): packets are grouped into bursts (5.2); the growth of the delay
///   between consecutive groups is smoothed and its slope fitted over the last groups (a
///   trendline, which libwebrtc uses in place of the draft's Kalman filter of 5.3); the slope,
///   against an adaptive threshold (5.4), says whether a queue is building (overuse), draining
///   (underuse) or neither; the rate follows by AIMD (5.5), decreasing to a share of what was
///   acknowledged on overuse, holding on underuse, increasing otherwise;
/// - loss-based (section 6): a smoothed loss fraction above 10 % cuts the rate, below 2 % lets it
///   grow, in between holds it.
///
/// The delay-based rate cannot grow past what the receiver acknowledged by much (one cannot
/// claim capacity one has not used): upwards, capacity is found by probes, clusters of packets
/// sent above the estimate whose arrival rate is measured (`probeClusterComplete`).
///
/// `update` runs on the media thread for every feedback message: it allocates nothing. The
/// trendline window, the acknowledged-bytes window and the probe accumulators are rings and
/// slots allocated once, in `init`. Times are integer microseconds; every difference of times
/// saturates, so no clock value, however absurd, traps.
struct BandwidthEstimator {
    /// The delay signal (draft-ietf-rmcat-gcc-02 section 5.4).
    enum Usage: Equatable {
        case normal
        /// Delays grow: a queue is building on the path.
        case overusing
        /// Delays shrink: a queue is draining.
        case underusing
    }

    // MARK: - Pre-filtering (section 5.2)

    /// Packets sent within this of a group's first packet form one group (a burst, a frame).
    static let groupInterval: Int64 = 5_000
    /// A packet arriving within this of the group's last one, and with a negative delay
    /// variation against it, was queued behind it: it joins the group whatever its send time.
    static let burstArrivalInterval: Int64 = 5_000
    /// A burst that joins packets this far apart in arrival is not a burst any more.
    static let maximumBurstDuration: Int64 = 100_000
    /// Consecutive groups that arrived before their predecessor (reordering, or the receiver's
    /// clock stepped back) after which grouping starts again from the newest group.
    static let reorderedGroupsBeforeReset = 3
    /// Feedback or packets this far apart: the path's state then says nothing of its state now,
    /// so delay detection starts afresh (libwebrtc's stream timeout).
    static let streamTimeout: Int64 = 2_000_000

    // MARK: - Trendline (sections 5.3 and 5.4)

    /// The number of groups the slope is fitted over.
    static let trendlineWindow = 20
    /// The weight of the past in the smoothed accumulated delay.
    static let delaySmoothing = 0.9
    /// The slope is scaled by the number of samples (up to `trendSamplesCap`) and this gain, so
    /// that it compares with a threshold in milliseconds.
    static let trendGain = 4.0
    static let trendSamplesCap = 60
    /// Samples are counted up to this (only `trendSamplesCap` matters, the cap keeps it small).
    static let sampleCountCap = 1_000
    /// A delay variation larger than this between two groups (milliseconds) is not a queue but
    /// a clock step: delay detection starts afresh.
    static let maximumDelayVariation = 3_000.0
    /// The adaptive threshold (section 5.4), milliseconds: its start, its bounds, the rates it
    /// moves towards the modified trend (per millisecond, up when the trend is beyond it, down
    /// when within), and how far beyond it a trend must be to be ignored as an outlier.
    static let initialThreshold = 12.5
    static let minimumThreshold = 6.0
    static let maximumThreshold = 600.0
    static let thresholdUp = 0.0087
    static let thresholdDown = 0.039
    static let thresholdOutlier = 15.0
    /// The time one threshold update may count, milliseconds (a gap is not a long observation).
    static let maximumThresholdStep = 100.0
    /// Overuse is declared once the trend has been over the threshold for longer than this
    /// (milliseconds of send time) and for at least `overuseSamples` samples, and is not
    /// falling: one late group is not a queue.
    static let overuseMilliseconds = 10.0
    static let overuseSamples = 2

    // MARK: - AIMD rate control (section 5.5)

    /// On overuse the rate goes down to this share of what was acknowledged.
    static let decreaseFactor = 0.85
    /// Far from the last decrease's level, the rate grows by this factor per second.
    static let increaseFactorPerSecond = 1.08
    /// The least an increase adds, bits per second of elapsed time (low rates still move).
    static let minimumIncreasePerSecond = 4_000.0
    /// At most this much elapsed time counts towards one increase: a gap is not a second of
    /// evidence that the path has room.
    static let maximumIncreaseInterval: Int64 = 1_000_000
    /// Near the last decrease's level the rate grows by about one packet per response time; a
    /// packet is at most this, and at most one frame's share of the rate at this frame rate.
    static let packetBits = 1_200 * 8
    static let framesPerSecond = 30.0
    /// The round trip assumed until one is known, and the most one counts, microseconds.
    static let defaultRoundTrip: Int64 = 100_000
    static let maximumRoundTrip: Int64 = 2_000_000
    /// The response time is the round trip plus this (the time for a rate change to show in
    /// feedback).
    static let responseMargin: Int64 = 100_000
    /// The delay-based rate does not grow past `throughputHeadroom` × acknowledged +
    /// `throughputSlack` (bits/s), except through a probe.
    static let throughputHeadroom = 1.5
    static let throughputSlack = 10_000.0
    /// The link's capacity is estimated from the throughputs at overuse: this weight for a new
    /// one; a normalised variance (kbit/s) within these bounds; the band of `capacityDeviations`
    /// standard deviations around it is "near the last decrease".
    static let capacitySmoothing = 0.05
    static let minimumCapacityVariance = 0.4
    static let maximumCapacityVariance = 2.5
    static let capacityDeviations = 3.0

    // MARK: - Acknowledged bitrate

    /// The arrival-time window the received bytes are summed over, microseconds.
    static let acknowledgedWindow: Int64 = 500_000
    /// The rate is known once the window holds arrivals this far apart.
    static let acknowledgedMinimumSpan: Int64 = 150_000
    /// A decrease goes by the link's own rate when the feedback shows it: while a queue at the
    /// bottleneck is not empty, packets leave it at the link's rate, so the arrivals of the
    /// newest packets that were queued (their one-way delay at least `queuedDelay` above the
    /// window's least) give that rate, if they arrived clearly slower than they were sent
    /// (`queuedSaturation`). The half-second's acknowledged rate straddles the moment a link
    /// narrowed, and a decrease from its mixture lands between the old rate and the new one:
    /// a subscriber's layers then come down in two steps, each waiting for a keyframe.
    static let queuedDelay: Int64 = 5_000
    /// The queued packets measure a rate once they are this many, over this span of arrivals.
    static let queuedMinimumPackets = 4
    static let queuedMinimumSpan: Int64 = 60_000
    static let queuedSaturation = 0.9
    /// Overuse seen while the queue is still too young to measure: the decrease waits for it,
    /// at most this long (one or two feedback intervals at the rates where it matters).
    static let queuedPatience: Int64 = 150_000
    /// Packets remembered in the window (more in 500 ms, and the window shortens).
    static let acknowledgedCapacity = 2_048
    /// Consecutive arrivals older than the whole window after which it starts again from them
    /// (the receiver's clock stepped back; one very late packet is just ignored).
    static let staleArrivalsBeforeReset = 3
    /// A packet counts at most this many bytes (the largest UDP payload).
    static let maximumPacketBytes = 65_535

    // MARK: - Loss-based control (section 6)

    /// Each report's loss fraction enters the smoothed one with the weight n / (n + this), n
    /// its packets: a report of a handful of packets moves it little.
    static let lossSmoothingPackets = 100
    static let lossDecreaseThreshold = 0.10
    static let lossIncreaseThreshold = 0.02
    /// At most one loss-based decrease this often, microseconds.
    static let lossDecreaseInterval: Int64 = 300_000

    // MARK: - Probes

    /// Concurrent clusters accumulated (the prober sends one at a time).
    static let probeSlots = 4
    /// A cluster measures a rate with this many received packets, or with
    /// `probeFewPackets` spread over at least `probeFewPacketsSpan` of send time.
    static let probeMinimumPackets = 5
    static let probeFewPackets = 3
    static let probeFewPacketsSpan: Int64 = 15_000
    /// Send and arrival spans must be within these (microseconds): shorter is timing noise
    /// (feedback has 250 µs resolution), longer is not a probe.
    static let probeMinimumSpan: Int64 = 1_000
    static let probeMaximumSpan: Int64 = 1_000_000
    /// A cluster not added to for this long is forgotten.
    static let probeStaleAfter: Int64 = 1_000_000
    /// Received below this share of the send rate, the path was saturated: its rate is then a
    /// little less than what arrived (`probeSaturatedShare`).
    static let probeSaturation = 0.9
    static let probeSaturatedShare = 0.95
    /// Arrivals faster than this multiple of the send rate are a queue emptying, not a rate.
    static let probeMaximumRatio = 2.0
    /// A probe is not sent within this of a decrease.
    static let probeQuietAfterDecrease: Int64 = 1_000_000

    /// Rates are kept below this (1 Tbit/s), so that every conversion to Int is exact.
    static let ceiling = 1_000_000_000_000

    // MARK: - State

    let minimumBitsPerSecond: Int
    let maximumBitsPerSecond: Int
    /// The round trip to the subscriber (from its receiver reports), microseconds; clamped to
    /// [0, `maximumRoundTrip`] where used.
    var roundTripMicroseconds: Int64 = Self.defaultRoundTrip

    private(set) var usage = Usage.normal
    /// The smoothed loss fraction of recent feedback, 0...1.
    private(set) var lossRatio = 0.0
    /// What the receiver acknowledged over the last `acknowledgedWindow` of arrivals, bits/s.
    private(set) var acknowledgedBitsPerSecond: Int?
    /// The last valid probe measurement, bits/s.
    private(set) var lastProbeResult: Int?

    /// The two controllers' rates, bits/s, always within [minimum, maximum]; the loss-based one
    /// is never above the delay-based one.
    private var delayBased: Double
    private var lossBased: Double

    private struct Group {
        var firstSend: Int64
        var lastSend: Int64
        var firstArrival: Int64
        var lastArrival: Int64
    }
    private var group: Group?
    private var previousGroup: Group?
    private var reorderedGroups = 0

    /// The trendline's ring: arrival times (ms since `trendOrigin`) and smoothed delays (ms).
    private var trendArrivals: [Double]
    private var trendDelays: [Double]
    private var trendNext = 0
    private var trendCount = 0
    private var trendOrigin: Int64?
    private var samples = 0
    private var accumulatedDelay = 0.0
    private var smoothedDelay = 0.0
    private var trend = 0.0
    private var previousTrend = 0.0
    private var threshold = Self.initialThreshold
    private var lastThresholdUpdate: Double?
    private var overuseMilliseconds: Double?
    private var overuseCount = 0

    private enum RateState { case hold, increase }
    private var rateState = RateState.hold
    private var lastChange: Int64?
    private var lastDelayDecrease: Int64?
    /// When a decrease began waiting for the queue to be measurable (`queuedPatience`).
    private var overuseWaiting: Int64?
    /// Either controller's last decrease.
    private var lastDecrease: Int64?
    private var capacity: Double?
    private var capacityVariance = Self.minimumCapacityVariance

    /// The acknowledged window's ring, oldest first from `acknowledgedOldest`.
    private var acknowledgedArrivals: [Int64]
    private var acknowledgedSizes: [Int32]
    private var acknowledgedSends: [Int64]
    private var acknowledgedOldest = 0
    private var acknowledgedCount = 0
    private var acknowledgedBytes = 0
    private var newestArrival: Int64?
    private var staleArrivals = 0

    private var lastLossUpdate: Int64?
    private var lastLossDecrease: Int64?
    private var lastFeedback: Int64?

    private struct ProbeAccumulator {
        var cluster = 0
        var active = false
        var lastSeen: Int64 = 0
        var received = 0
        var bytes = 0
        var firstSend: Int64 = 0
        var lastSend: Int64 = 0
        var lastSendBytes = 0
        var firstArrival: Int64 = 0
        var lastArrival: Int64 = 0
        var firstArrivalBytes = 0
    }
    private var probes: [ProbeAccumulator]

    init(initialBitsPerSecond: Int = 1_000_000, minimumBitsPerSecond: Int = 50_000, maximumBitsPerSecond: Int = 20_000_000) {
        let minimum = min(max(0, minimumBitsPerSecond), Self.ceiling)
        let maximum = min(max(minimum, maximumBitsPerSecond), Self.ceiling)
        self.minimumBitsPerSecond = minimum
        self.maximumBitsPerSecond = maximum
        delayBased = Double(min(max(minimum, initialBitsPerSecond), maximum))
        lossBased = delayBased
        trendArrivals = [Double](repeating: 0, count: Self.trendlineWindow)
        trendDelays = [Double](repeating: 0, count: Self.trendlineWindow)
        acknowledgedArrivals = [Int64](repeating: 0, count: Self.acknowledgedCapacity)
        acknowledgedSizes = [Int32](repeating: 0, count: Self.acknowledgedCapacity)
        acknowledgedSends = [Int64](repeating: 0, count: Self.acknowledgedCapacity)
        probes = [ProbeAccumulator](repeating: ProbeAccumulator(), count: Self.probeSlots)
    }

    /// The estimate, bits per second: the lower of the two controllers, within [minimum, maximum].
    var bitsPerSecond: Int { Int(min(delayBased, lossBased)) }

    /// One feedback message's packets, in transport-wide sequence order (lost ones included),
    /// and the time (our clock) the feedback arrived.
    mutating func update(_ results: UnsafeBufferPointer<PacketResult>, now: Int64) {
        if let last = lastFeedback, Self.difference(now, last) > Self.streamTimeout { resetDelayDetection() }
        lastFeedback = now
        expireProbes(now: now)
        var lost = 0
        var received = 0
        var overused = false
        for result in results {
            guard let arrival = result.arrivalMicroseconds else {
                lost += 1
                continue
            }
            received += 1
            let bytes = min(max(0, result.bytes), Self.maximumPacketBytes)
            acknowledge(send: result.sendMicroseconds, arrival: arrival, bytes: bytes)
            if let cluster = result.probeCluster {
                accumulateProbe(cluster, send: result.sendMicroseconds, arrival: arrival, bytes: bytes, now: now)
            }
            if let delta = addToGroup(send: result.sendMicroseconds, arrival: arrival) {
                detect(sendDelta: delta.send, arrivalDelta: delta.arrival, arrival: delta.at)
                // An overuse within the report counts even if the trend fell back by its end.
                if usage == .overusing { overused = true }
            }
        }
        measureAcknowledged()
        updateLossRatio(lost: lost, total: lost + received)
        // A report of losses only says nothing of delays.
        if received > 0 { controlDelayBased(signal: overused ? .overusing : usage, now: now) }
        controlLossBased(now: now)
    }

    /// Whether the estimate fell (on delay or on loss) less than `interval` before `now`: the
    /// link, not the sender, is what sets the rate.
    func decreased(within interval: Int64, now: Int64) -> Bool { !Self.hasElapsed(interval, since: lastDecrease, now: now) }

    /// Whether the link looks clear for a probe now: no overuse, loss under the increase
    /// threshold, no decrease in the last `probeQuietAfterDecrease`, and room under the maximum.
    func mayProbe(now: Int64) -> Bool {
        guard usage != .overusing, lossRatio < Self.lossIncreaseThreshold, bitsPerSecond < maximumBitsPerSecond else { return false }
        return Self.hasElapsed(Self.probeQuietAfterDecrease, since: lastDecrease, now: now)
    }

    /// A probe cluster's packets have all been reported: its rate in bits/s (at most the
    /// maximum) if the cluster gave a valid measurement. The send rate counts all bytes but the
    /// last packet's over the send span, the receive rate all but the first arrival's over the
    /// arrival span; a path that delivered clearly less than was sent was saturated, and its
    /// rate is a little under what arrived; otherwise the lower of the two. A result above the
    /// estimate raises both controllers to it at once: that is how capacity is found upwards.
    /// The cluster is forgotten either way.
    mutating func probeClusterComplete(_ cluster: Int, now: Int64) -> Int? {
        guard let index = probeSlot(cluster) else { return nil }
        let probe = probes[index]
        probes[index].active = false
        guard let measured = Self.measure(probe) else { return nil }
        let rate = min(measured, maximumBitsPerSecond)
        lastProbeResult = rate
        let raised = Double(rate)
        if raised > min(delayBased, lossBased) {
            delayBased = max(delayBased, raised)
            lossBased = max(lossBased, raised)
            // Well above where the link was thought to be: that belief is stale.
            if let capacity, raised > capacity + capacityBand { self.capacity = nil }
            if rateState == .increase { lastChange = now }
        }
        return rate
    }

    // MARK: - Time

    /// `later - earlier`, saturating instead of trapping.
    @inline(__always)
    private static func difference(_ later: Int64, _ earlier: Int64) -> Int64 {
        let (value, overflow) = later.subtractingReportingOverflow(earlier)
        return overflow ? (later > earlier ? .max : .min) : value
    }

    /// Whether `interval` has passed since `since` (never set: yes). A clock that went
    /// backwards counts as passed: an interval that can never end would freeze the estimate.
    private static func hasElapsed(_ interval: Int64, since: Int64?, now: Int64) -> Bool {
        guard let since else { return true }
        let elapsed = difference(now, since)
        return elapsed >= interval || elapsed < 0
    }

    /// Seconds since `since`, within [0, `maximumIncreaseInterval`].
    private static func increaseSeconds(since: Int64?, now: Int64) -> Double {
        guard let since else { return 0 }
        return Double(min(max(0, difference(now, since)), maximumIncreaseInterval)) / 1e6
    }

    private var responseTime: Int64 {
        min(max(0, roundTripMicroseconds), Self.maximumRoundTrip) + Self.responseMargin
    }

    // MARK: - Grouping (section 5.2)

    /// Adds a received packet to the current group; when it opens a new group, returns the
    /// send and arrival deltas between the group just completed and the one before it.
    private mutating func addToGroup(send: Int64, arrival: Int64) -> (send: Int64, arrival: Int64, at: Int64)? {
        let opened = Group(firstSend: send, lastSend: send, firstArrival: arrival, lastArrival: arrival)
        guard var current = group else {
            group = opened
            return nil
        }
        let sinceFirst = Self.difference(send, current.firstSend)
        // Sent before the group began: out of order in send time, and of no use to a delay.
        // Far before it, our clock stepped back (or the group began at an absurd time): start
        // again from this packet rather than wait for the clock to catch up.
        if sinceFirst < 0 {
            if sinceFirst < -Self.streamTimeout {
                resetDelayDetection()
                group = opened
            }
            return nil
        }
        if Self.difference(send, current.lastSend) > Self.streamTimeout {
            resetDelayDetection()
            group = opened
            return nil
        }
        if sinceFirst <= Self.groupInterval || Self.belongsToBurst(current, send: send, arrival: arrival) {
            current.lastSend = max(current.lastSend, send)
            current.lastArrival = max(current.lastArrival, arrival)
            group = current
            return nil
        }
        group = opened
        guard let previous = previousGroup else {
            previousGroup = current
            return nil
        }
        let sendDelta = Self.difference(current.lastSend, previous.lastSend)
        let arrivalDelta = Self.difference(current.lastArrival, previous.lastArrival)
        guard arrivalDelta >= 0, sendDelta >= 0 else {
            // Arrived before its predecessor: skipped, the predecessor stays the reference. A
            // few in a row mean the reference is the odd one out (a clock step): start from here.
            reorderedGroups += 1
            if reorderedGroups >= Self.reorderedGroupsBeforeReset {
                reorderedGroups = 0
                previousGroup = current
            }
            return nil
        }
        reorderedGroups = 0
        previousGroup = current
        return (sendDelta, arrivalDelta, current.lastArrival)
    }

    private static func belongsToBurst(_ group: Group, send: Int64, arrival: Int64) -> Bool {
        let arrivalDelta = difference(arrival, group.lastArrival)
        let propagation = difference(arrivalDelta, difference(send, group.lastSend))
        return arrivalDelta <= burstArrivalInterval && propagation < 0
            && difference(arrival, group.firstArrival) < maximumBurstDuration
    }

    private mutating func resetDelayDetection() {
        overuseWaiting = nil
        group = nil
        previousGroup = nil
        reorderedGroups = 0
        resetTrend()
    }

    private mutating func resetTrend() {
        trendNext = 0
        trendCount = 0
        trendOrigin = nil
        samples = 0
        accumulatedDelay = 0
        smoothedDelay = 0
        trend = 0
        previousTrend = 0
        threshold = Self.initialThreshold
        lastThresholdUpdate = nil
        overuseMilliseconds = nil
        overuseCount = 0
        usage = .normal
    }

    // MARK: - Trendline and detection (sections 5.3, 5.4)

    private mutating func detect(sendDelta: Int64, arrivalDelta: Int64, arrival: Int64) {
        // Both deltas are non-negative, so neither the difference nor the conversion traps.
        let variation = (Double(arrivalDelta) - Double(sendDelta)) / 1000
        guard abs(variation) <= Self.maximumDelayVariation else {
            resetTrend()
            return
        }
        let origin = trendOrigin ?? arrival
        trendOrigin = origin
        samples = min(samples + 1, Self.sampleCountCap)
        accumulatedDelay += variation
        smoothedDelay = Self.delaySmoothing * smoothedDelay + (1 - Self.delaySmoothing) * accumulatedDelay
        let x = Double(Self.difference(arrival, origin)) / 1000
        trendArrivals[trendNext] = x
        trendDelays[trendNext] = smoothedDelay
        trendNext = (trendNext + 1) % Self.trendlineWindow
        trendCount = min(trendCount + 1, Self.trendlineWindow)
        if trendCount == Self.trendlineWindow, let slope = fittedSlope() { trend = slope }
        classify(sendMilliseconds: Double(sendDelta) / 1000, at: x)
    }

    /// The least-squares slope of smoothed delay over arrival time in the window; nil when the
    /// arrival times do not spread.
    private func fittedSlope() -> Double? {
        let count = Double(trendCount)
        var meanX = 0.0
        var meanY = 0.0
        for index in 0..<trendCount {
            meanX += trendArrivals[index]
            meanY += trendDelays[index]
        }
        meanX /= count
        meanY /= count
        var numerator = 0.0
        var denominator = 0.0
        for index in 0..<trendCount {
            let dx = trendArrivals[index] - meanX
            numerator += dx * (trendDelays[index] - meanY)
            denominator += dx * dx
        }
        guard denominator > 0 else { return nil }
        let slope = numerator / denominator
        return slope.isFinite ? slope : nil
    }

    private mutating func classify(sendMilliseconds: Double, at x: Double) {
        guard samples >= 2 else {
            usage = .normal
            return
        }
        let modified = Double(min(samples, Self.trendSamplesCap)) * trend * Self.trendGain
        guard modified.isFinite else { return }
        if modified > threshold {
            let over = overuseMilliseconds.map { $0 + sendMilliseconds } ?? sendMilliseconds / 2
            overuseMilliseconds = over
            overuseCount += 1
            if over > Self.overuseMilliseconds, overuseCount >= Self.overuseSamples, trend >= previousTrend {
                overuseMilliseconds = 0
                overuseCount = 0
                usage = .overusing
            }
        } else if modified < -threshold {
            overuseMilliseconds = nil
            overuseCount = 0
            usage = .underusing
        } else {
            overuseMilliseconds = nil
            overuseCount = 0
            usage = .normal
        }
        previousTrend = trend
        adaptThreshold(modified, at: x)
    }

    /// Section 5.4: the threshold follows the modified trend, quickly up and more slowly down,
    /// so that it sits above the noise of this path; a trend far beyond it is an event, not
    /// noise, and leaves it alone.
    private mutating func adaptThreshold(_ modified: Double, at x: Double) {
        guard let last = lastThresholdUpdate else {
            lastThresholdUpdate = x
            return
        }
        lastThresholdUpdate = x
        let magnitude = abs(modified)
        if magnitude > threshold + Self.thresholdOutlier { return }
        let rate = magnitude < threshold ? Self.thresholdDown : Self.thresholdUp
        let step = min(max(0, x - last), Self.maximumThresholdStep)
        threshold = min(max(threshold + rate * (magnitude - threshold) * step, Self.minimumThreshold), Self.maximumThreshold)
    }

    // MARK: - AIMD (section 5.5)

    private mutating func controlDelayBased(signal: Usage, now: Int64) {
        switch signal {
        case .overusing:
            // Once per response time, unless what arrives is already far below the estimate.
            let farBelow = throughput.map { $0 < 0.5 * delayBased } ?? false
            guard farBelow || Self.hasElapsed(responseTime, since: lastDelayDecrease, now: now) else { return }
            // A queue too young to give the link's rate: a decrease now would go by the
            // half-second's mixture of before and after.
            if case .forming = queuedThroughput() {
                let since = overuseWaiting ?? now
                overuseWaiting = since
                if !Self.hasElapsed(Self.queuedPatience, since: since, now: now) { return }
            }
            overuseWaiting = nil
            decrease(now: now)
        case .underusing:
            // A queue is draining: rising now would refill it.
            overuseWaiting = nil
            rateState = .hold
        case .normal:
            overuseWaiting = nil
            if rateState == .hold {
                // The increase counts from here, not from the decrease or the hold.
                rateState = .increase
                lastChange = now
                return
            }
            increase(now: now)
        }
    }

    private mutating func decrease(now: Int64) {
        let throughput = self.throughput ?? delayBased
        if let capacity, throughput < capacity - capacityBand { self.capacity = nil }
        var target = Self.decreaseFactor * throughput
        // Sending above the estimate and still overusing: go by the link's level if known.
        if target >= delayBased, let capacity { target = min(target, Self.decreaseFactor * capacity) }
        if target < delayBased { delayBased = max(Double(minimumBitsPerSecond), target) }
        observeCapacity(throughput)
        rateState = .hold
        lastChange = now
        lastDelayDecrease = now
        lastDecrease = now
    }

    private mutating func increase(now: Int64) {
        let seconds = Self.increaseSeconds(since: lastChange, now: now)
        lastChange = now
        // Without knowing what arrives, there is nothing to say the path has room.
        guard let acknowledged = acknowledgedBitsPerSecond else { return }
        let throughput = Double(acknowledged)
        if let capacity, throughput > capacity + capacityBand { self.capacity = nil }
        let limit = Self.throughputHeadroom * throughput + Self.throughputSlack
        guard delayBased < limit else { return }
        let added: Double
        if capacity != nil {
            // Near the level of the last decrease: about a packet per response time.
            let packet = min(Double(Self.packetBits), delayBased / Self.framesPerSecond)
            let perSecond = max(Self.minimumIncreasePerSecond, packet * 1e6 / Double(responseTime))
            added = perSecond * seconds
        } else {
            added = Self.multiplicativeIncrease(delayBased, seconds: seconds)
        }
        delayBased = min(delayBased + added, limit, Double(maximumBitsPerSecond))
    }

    private static func multiplicativeIncrease(_ rate: Double, seconds: Double) -> Double {
        max(rate * (pow(increaseFactorPerSecond, seconds) - 1), minimumIncreasePerSecond * seconds)
    }

    /// Half-width of the band around `capacity` taken as "near the last decrease", bits/s.
    private var capacityBand: Double {
        guard let capacity else { return 0 }
        return Self.capacityDeviations * (capacityVariance * max(capacity / 1000, 1)).squareRoot() * 1000
    }

    private mutating func observeCapacity(_ throughput: Double) {
        guard let estimate = capacity else {
            capacity = throughput
            return
        }
        let updated = (1 - Self.capacitySmoothing) * estimate + Self.capacitySmoothing * throughput
        let errorKilobits = (updated - throughput) / 1000
        let normalised = errorKilobits * errorKilobits / max(updated / 1000, 1)
        capacityVariance = min(max((1 - Self.capacitySmoothing) * capacityVariance + Self.capacitySmoothing * normalised,
                                   Self.minimumCapacityVariance), Self.maximumCapacityVariance)
        capacity = updated
    }

    // MARK: - Acknowledged bitrate

    private mutating func acknowledge(send: Int64, arrival: Int64, bytes: Int) {
        if let newest = newestArrival, Self.difference(newest, arrival) > Self.acknowledgedWindow {
            staleArrivals += 1
            guard staleArrivals >= Self.staleArrivalsBeforeReset else { return }
            acknowledgedOldest = 0
            acknowledgedCount = 0
            acknowledgedBytes = 0
            newestArrival = nil
        }
        staleArrivals = 0
        if acknowledgedCount == Self.acknowledgedCapacity { dropOldestAcknowledged() }
        let slot = (acknowledgedOldest + acknowledgedCount) % Self.acknowledgedCapacity
        acknowledgedArrivals[slot] = arrival
        acknowledgedSizes[slot] = Int32(bytes)
        acknowledgedSends[slot] = send
        acknowledgedCount += 1
        acknowledgedBytes += bytes
        let newest = max(newestArrival ?? arrival, arrival)
        newestArrival = newest
        while acknowledgedCount > 1, Self.difference(newest, acknowledgedArrivals[acknowledgedOldest]) > Self.acknowledgedWindow {
            dropOldestAcknowledged()
        }
    }

    private mutating func dropOldestAcknowledged() {
        acknowledgedBytes -= Int(acknowledgedSizes[acknowledgedOldest])
        acknowledgedOldest = (acknowledgedOldest + 1) % Self.acknowledgedCapacity
        acknowledgedCount -= 1
    }

    /// The bytes of all but the oldest packet in the window over the span from the oldest
    /// arrival to the newest (n packets span n - 1 intervals). Kept until a new span is long
    /// enough.
    private mutating func measureAcknowledged() {
        guard acknowledgedCount >= 2, let newest = newestArrival else { return }
        let span = Self.difference(newest, acknowledgedArrivals[acknowledgedOldest])
        guard span >= Self.acknowledgedMinimumSpan else { return }
        let bits = Double(acknowledgedBytes - Int(acknowledgedSizes[acknowledgedOldest])) * 8
        acknowledgedBitsPerSecond = Int(min(bits * 1e6 / Double(span), Double(Self.ceiling)))
    }

    /// What the newest queued packets say (`queuedDelay`): the bottleneck's rate; a queue still
    /// forming (the newest packet was queued, but too few are, over too short a span); or
    /// nothing (no queue, or one that does not hold the link's rate back).
    enum QueuedThroughput: Equatable {
        case rate(Double)
        case forming
        case none
    }

    /// What arrives now, bits/s: the acknowledged rate, or the bottleneck's when lower.
    private var throughput: Double? {
        guard let acknowledged = acknowledgedBitsPerSecond.map(Double.init) else { return nil }
        if case .rate(let rate) = queuedThroughput() { return min(acknowledged, rate) }
        return acknowledged
    }

    /// The rate at which the newest queued packets left the bottleneck, counted as
    /// `measureAcknowledged` counts, if there are enough of them (`queuedMinimumPackets`,
    /// `queuedMinimumSpan`) and they arrived slower than they were sent (`queuedSaturation`):
    /// without a standing queue, the acknowledged rate is the better measure. One-way delays
    /// are on two clocks, so only their differences within the window mean anything. Walks the
    /// window (at most `acknowledgedCapacity` slots), only on overuse.
    func queuedThroughput() -> QueuedThroughput {
        guard acknowledgedCount > 0 else { return .none }
        func slot(_ index: Int) -> Int { (acknowledgedOldest + index) % Self.acknowledgedCapacity }
        var leastDelay = Int64.max
        for index in 0..<acknowledgedCount {
            leastDelay = min(leastDelay, Self.difference(acknowledgedArrivals[slot(index)], acknowledgedSends[slot(index)]))
        }
        var count = 0
        var bytes = 0
        var firstArrival = Int64.max, lastArrival = Int64.min, firstArrivalBytes = 0
        var firstSend = Int64.max, lastSend = Int64.min, lastSendBytes = 0
        var index = acknowledgedCount - 1
        while index >= 0 {
            let at = slot(index)
            let arrival = acknowledgedArrivals[at], send = acknowledgedSends[at], size = Int(acknowledgedSizes[at])
            guard Self.difference(Self.difference(arrival, send), leastDelay) >= Self.queuedDelay else { break }
            count += 1
            bytes += size
            if arrival < firstArrival { (firstArrival, firstArrivalBytes) = (arrival, size) }
            lastArrival = max(lastArrival, arrival)
            firstSend = min(firstSend, send)
            if send >= lastSend { (lastSend, lastSendBytes) = (send, size) }
            index -= 1
        }
        guard count > 0 else { return .none }
        let arrivalSpan = Self.difference(lastArrival, firstArrival)
        guard count >= Self.queuedMinimumPackets, arrivalSpan >= Self.queuedMinimumSpan else { return .forming }
        let sendSpan = Self.difference(lastSend, firstSend)
        guard sendSpan > 0 else { return .none }
        let received = Double(bytes - firstArrivalBytes) * 8e6 / Double(arrivalSpan)
        let sent = Double(bytes - lastSendBytes) * 8e6 / Double(sendSpan)
        guard received < Self.queuedSaturation * sent else { return .none }
        return .rate(min(received, Double(Self.ceiling)))
    }

    // MARK: - Loss-based control (section 6)

    private mutating func updateLossRatio(lost: Int, total: Int) {
        guard total > 0 else { return }
        let fraction = Double(lost) / Double(total)
        let weight = Double(total) / Double(total + Self.lossSmoothingPackets)
        lossRatio = min(max(lossRatio + weight * (fraction - lossRatio), 0), 1)
    }

    private mutating func controlLossBased(now: Int64) {
        let seconds = Self.increaseSeconds(since: lastLossUpdate, now: now)
        lastLossUpdate = now
        if lossRatio > Self.lossDecreaseThreshold {
            if Self.hasElapsed(Self.lossDecreaseInterval, since: lastLossDecrease, now: now) {
                lossBased = max(Double(minimumBitsPerSecond), lossBased * (1 - 0.5 * lossRatio))
                lastLossDecrease = now
                lastDecrease = now
            }
        } else if lossRatio < Self.lossIncreaseThreshold {
            lossBased += Self.multiplicativeIncrease(lossBased, seconds: seconds)
        }
        lossBased = min(lossBased, delayBased)
    }

    // MARK: - Probes

    private func probeSlot(_ cluster: Int) -> Int? {
        for index in 0..<Self.probeSlots where probes[index].active && probes[index].cluster == cluster { return index }
        return nil
    }

    private mutating func expireProbes(now: Int64) {
        for index in 0..<Self.probeSlots where probes[index].active {
            let age = Self.difference(now, probes[index].lastSeen)
            if age > Self.probeStaleAfter || age < -Self.probeStaleAfter { probes[index].active = false }
        }
    }

    private mutating func accumulateProbe(_ cluster: Int, send: Int64, arrival: Int64, bytes: Int, now: Int64) {
        if let index = probeSlot(cluster) {
            probes[index].lastSeen = now
            probes[index].received &+= 1
            probes[index].bytes &+= bytes
            if send < probes[index].firstSend { probes[index].firstSend = send }
            if send >= probes[index].lastSend {
                probes[index].lastSend = send
                probes[index].lastSendBytes = bytes
            }
            if arrival < probes[index].firstArrival {
                probes[index].firstArrival = arrival
                probes[index].firstArrivalBytes = bytes
            }
            if arrival > probes[index].lastArrival { probes[index].lastArrival = arrival }
            return
        }
        // A free slot, or the one seen least recently.
        var chosen = 0
        for index in 0..<Self.probeSlots {
            if !probes[index].active {
                chosen = index
                break
            }
            if Self.difference(probes[index].lastSeen, probes[chosen].lastSeen) < 0 { chosen = index }
        }
        probes[chosen] = ProbeAccumulator(
            cluster: cluster, active: true, lastSeen: now, received: 1, bytes: bytes,
            firstSend: send, lastSend: send, lastSendBytes: bytes,
            firstArrival: arrival, lastArrival: arrival, firstArrivalBytes: bytes)
    }

    private static func measure(_ probe: ProbeAccumulator) -> Int? {
        let sendSpan = difference(probe.lastSend, probe.firstSend)
        let arrivalSpan = difference(probe.lastArrival, probe.firstArrival)
        let enough = probe.received >= probeMinimumPackets || (probe.received >= probeFewPackets && sendSpan >= probeFewPacketsSpan)
        guard enough, sendSpan >= probeMinimumSpan, sendSpan <= probeMaximumSpan,
              arrivalSpan >= probeMinimumSpan, arrivalSpan <= probeMaximumSpan else { return nil }
        let sendRate = Double(probe.bytes &- probe.lastSendBytes) * 8e6 / Double(sendSpan)
        let receiveRate = Double(probe.bytes &- probe.firstArrivalBytes) * 8e6 / Double(arrivalSpan)
        guard sendRate > 0, receiveRate > 0, receiveRate <= probeMaximumRatio * sendRate else { return nil }
        let rate = receiveRate < probeSaturation * sendRate ? probeSaturatedShare * receiveRate : min(sendRate, receiveRate)
        return Int(min(rate, Double(ceiling)))
    }
}
