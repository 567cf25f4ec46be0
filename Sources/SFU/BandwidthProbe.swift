/// The pacing of bandwidth probes towards one subscriber, as a plain value. A probe cluster is
/// a short train of packets sent at a chosen rate above the estimate; the subscriber's
/// transport-wide feedback on them says at what rate they arrived (the estimator's
/// `probeClusterComplete`). This is how capacity is found upwards: the delay-based estimate
/// cannot rise much above what is actually sent (libwebrtc probes the same way, with padding or
/// resent packets, at twice the estimate and at what the senders want).
///
/// One cluster at a time, `interval` apart, twice as long after each probe that found nothing
/// (up to `maximumInterval`): a subscriber held back by its link is not probed every two
/// seconds. A cluster lasts `duration` and has at least `minimumPackets`, so that its send and
/// arrival spans measure a rate rather than one packet's timing: 100 ms, longer than the few
/// kilobytes a shaper lets through at line rate, which a shorter train would mistake for
/// capacity. At most `maximumPackets`, so that a probe stays a few tens of kilobytes.
struct BandwidthProbe {
    /// Microseconds.
    static let duration: Int64 = 100_000
    static let minimumPackets = 5
    static let maximumPackets = 60
    /// Probes resend from the stream's last packets (the cache holds more; recent ones are
    /// the likeliest still there).
    static let recentPackets = 16
    /// Between the starts of two probes, microseconds: after a probe that found room, and at most
    /// after probes that did not.
    static let interval: Int64 = 2_000_000
    static let maximumInterval: Int64 = 5_000_000
    /// Rates are clamped to this (bits per second), so that pacing arithmetic cannot overflow.
    static let maximumRate = 10_000_000_000
    /// A cluster whose last packet was not reported by then is given up.
    static let timeout: Int64 = 1_000_000

    /// The current (or last) cluster's id; ids start at 1.
    private(set) var cluster = 0
    /// The m-line (forwarder) the cluster resends from; nil when no cluster is out.
    private(set) var mid: String?
    private var rate = 0
    private var start: Int64 = 0
    private var lastStart: Int64 = .min / 2
    /// The wait before the next probe.
    private(set) var spacing = Self.interval
    /// Packets sent in the cluster, and attempts that found nothing to resend.
    private(set) var packets = 0
    private var skipped = 0
    private var bytes = 0
    private var sending = false
    /// The transport-wide number of the cluster's last packet, once it is complete.
    private var lastSequence: UInt16?

    /// True if a cluster may start now (none out, the last `interval` ago). A cluster whose
    /// feedback never came is abandoned here.
    mutating func mayStart(now: Int64) -> Bool {
        if mid != nil, now &- start > Self.timeout {
            abandon()
            outcome(foundRoom: false)
        }
        return mid == nil && now &- lastStart >= spacing
    }

    /// What the last cluster measured: more room than the estimate (probe again soon), or not
    /// (wait twice as long, up to `maximumInterval`).
    mutating func outcome(foundRoom: Bool) {
        spacing = foundRoom ? Self.interval : min(spacing * 2, Self.maximumInterval)
    }

    mutating func start(rate: Int, now: Int64, mid: String) {
        cluster &+= 1
        self.rate = min(max(1, rate), Self.maximumRate)
        self.mid = mid
        start = now
        lastStart = now
        packets = 0
        skipped = 0
        bytes = 0
        sending = true
        lastSequence = nil
    }

    /// Whether the next packet is due: the bytes sent so far are within what the rate allows
    /// by now (so the first goes at once), and the cluster is not over.
    func due(now: Int64) -> Bool {
        guard sending, packets + skipped < Self.maximumPackets else { return false }
        if packets >= Self.minimumPackets, now &- start >= Self.duration { return false }
        let elapsed = max(0, min(now &- start, 10_000_000))
        return Int64(bytes) * 8 * 1_000_000 <= Int64(rate) * elapsed
    }

    mutating func sent(bytes: Int, lastSequence: UInt16) {
        packets += 1
        self.bytes = min(self.bytes + max(0, bytes), 1 << 36)
        self.lastSequence = lastSequence
    }

    /// An attempt found nothing to send.
    mutating func skip() { skipped += 1 }

    /// True (and the cluster stops sending) once it has lasted `duration` with enough packets,
    /// or reached the packet limit.
    mutating func isComplete(now: Int64) -> Bool {
        guard sending else { return true }
        if packets + skipped >= Self.maximumPackets || (packets >= Self.minimumPackets && now &- start >= Self.duration) {
            sending = false
            if packets == 0 { abandon() }
        }
        return !sending
    }

    /// Whether `sequence` is the completed cluster's last packet (its feedback closes it).
    func isLast(_ sequence: UInt16) -> Bool {
        !sending && mid != nil && lastSequence == sequence
    }

    /// Closes the cluster reported on; its id for the estimator.
    mutating func finish() -> Int? {
        guard mid != nil, !sending else { return nil }
        mid = nil
        return cluster
    }

    mutating func abandon() {
        mid = nil
        sending = false
        lastSequence = nil
    }
}
