/// What one subscriber may be resent in answer to its NACKs (RFC 4585 6.2.1 leaves the policy
/// to the sender): a NACK is a few bytes, a retransmission up to an MTU, so without a limit one
/// subscriber's NACKs (a hostile client, or a broken one asking for thousands of packets a
/// second) would turn the SFU into an amplifier aimed at its own downlink and worker.
///
/// Two rules, as plain values:
/// - a token bucket of bytes, refilled at `bytesPerSecond` up to `burstBytes`: a resend goes
///   out while the bucket is not empty, and its size is then taken out (the bucket may go into
///   debt by one packet);
/// - one packet is not resent again within `minimumInterval` (about the round trip): a
///   subscriber that repeats a NACK before the first answer could have reached it gets nothing
///   new. The last `recentCapacity` resends are remembered, in a ring allocated once.
struct RetransmissionBudget {
    enum Decision: Equatable {
        case send
        /// Resent less than `minimumInterval` ago.
        case tooSoon
        /// The bucket is empty.
        case overBudget
    }

    static let recentCapacity = 128
    /// The floor of the rate: a subscriber whose bitrate is not known yet, or low, may still
    /// have a burst of losses repaired (512 kbit/s).
    static let minimumBytesPerSecond: Int64 = 64_000
    /// Resends may use up to this share of what the subscriber is sent.
    static let shareOfBitrate = 0.5
    /// And up to this share of its estimated bandwidth, when known, but never less than
    /// `minimumBytesPerSecondEstimated` (32 kbit/s).
    static let shareOfEstimate = 0.25
    static let minimumBytesPerSecondEstimated: Int64 = 4_000
    /// The bucket holds this much of a second's rate.
    static let burstMicroseconds: Int64 = 250_000

    private(set) var bytesPerSecond: Int64 = Self.minimumBytesPerSecond
    private(set) var burstBytes: Int64 = Self.minimumBytesPerSecond * Self.burstMicroseconds / 1_000_000
    /// Microseconds.
    var minimumInterval: Int64 = 20_000
    /// The bucket, in millionths of a byte: refills of a few microseconds add up exactly.
    private var tokens: Int64
    private var lastRefill: Int64?
    private var recentSSRC: [UInt32]
    private var recentSequence: [UInt16]
    private var recentTime: [Int64]
    private var recentNext = 0
    private(set) var sent = 0
    private(set) var refusedTooSoon = 0
    private(set) var refusedOverBudget = 0

    init() {
        tokens = burstBytes * 1_000_000
        recentSSRC = [UInt32](repeating: 0, count: Self.recentCapacity)
        recentSequence = [UInt16](repeating: 0, count: Self.recentCapacity)
        recentTime = [Int64](repeating: .min, count: Self.recentCapacity)
    }

    /// The rate follows what the subscriber is sent (`bitsPerSecond`, measured once a second),
    /// and once its bandwidth is estimated, stays within `shareOfEstimate` of that: on a link
    /// that is already full, resends at the floor rate would only add to the loss that caused
    /// the NACKs (a 300 kbit/s subscriber's NACKs for a layer it could not take kept its link
    /// saturated for as long as they came).
    mutating func follow(bitsPerSecond: Int, estimateBitsPerSecond: Int? = nil) {
        // At most 1 Gbit/s counted: the bucket's arithmetic stays far from overflow.
        let share = Int64(Double(min(max(0, bitsPerSecond), 1_000_000_000)) / 8 * Self.shareOfBitrate)
        bytesPerSecond = max(Self.minimumBytesPerSecond, share)
        if let estimate = estimateBitsPerSecond {
            let cap = Int64(Double(min(max(0, estimate), 1_000_000_000)) / 8 * Self.shareOfEstimate)
            bytesPerSecond = min(bytesPerSecond, max(Self.minimumBytesPerSecondEstimated, cap))
        }
        burstBytes = max(1500, bytesPerSecond * Self.burstMicroseconds / 1_000_000)
        tokens = min(tokens, burstBytes * 1_000_000)
    }

    /// The round trip from the subscriber's receiver reports: a resend is not repeated sooner.
    mutating func follow(roundTripSeconds: Double) {
        let microseconds = (roundTripSeconds * 1_000_000).rounded()
        // Clamped: a report's round trip is whatever the peer makes it.
        minimumInterval = microseconds.isFinite ? Int64(min(250_000, max(20_000, microseconds))) : 20_000
    }

    /// May packet `sequence` of stream `ssrc` be resent at `now` (microseconds, monotonic)?
    mutating func decide(ssrc: UInt32, sequence: UInt16, now: Int64) -> Decision {
        refill(now: now)
        for index in 0..<Self.recentCapacity where recentSSRC[index] == ssrc && recentSequence[index] == sequence {
            if recentTime[index] != .min, now &- recentTime[index] < minimumInterval {
                refusedTooSoon += 1
                return .tooSoon
            }
        }
        guard tokens > 0 else {
            refusedOverBudget += 1
            return .overBudget
        }
        return .send
    }

    /// A resend of `bytes` went out.
    mutating func spent(ssrc: UInt32, sequence: UInt16, bytes: Int, now: Int64) {
        tokens -= Int64(bytes) * 1_000_000
        recentSSRC[recentNext] = ssrc
        recentSequence[recentNext] = sequence
        recentTime[recentNext] = now
        recentNext = (recentNext + 1) % Self.recentCapacity
        sent += 1
    }

    private mutating func refill(now: Int64) {
        guard let last = lastRefill else {
            lastRefill = now
            return
        }
        // At most 10 s counted: the product stays far from overflow whatever the gap.
        let elapsed = min(10_000_000, max(0, now &- last))
        tokens = min(burstBytes * 1_000_000, tokens + bytesPerSecond * elapsed)
        lastRefill = now
    }
}
