/// Reception statistics of one incoming RTP stream, as RFC 3550 A.1 and A.8 define them:
/// extended highest sequence number, expected and lost packets, and interarrival jitter.
/// Updated per packet with integer arithmetic only.
public struct ReceiveStatistics: Sendable {
    public let clockRate: UInt32
    public private(set) var packetsReceived: Int = 0
    public private(set) var bytesReceived: Int = 0
    private var baseSequence: UInt32 = 0
    private var maxSequence: UInt16 = 0
    private var cycles: UInt32 = 0
    private var started = false
    /// Jitter in timestamp units, scaled by 16 (RFC 3550 A.8's integer form).
    private var jitterScaled: UInt32 = 0
    private var lastTransit: UInt32 = 0
    // Previous report's figures, for the fraction lost of the next one (RFC 3550 A.3).
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: Int = 0

    public init(clockRate: UInt32) { self.clockRate = clockRate }

    /// `arrivalMicroseconds` is any monotonic clock in microseconds.
    public mutating func update(sequence: UInt16, timestamp: UInt32, payloadBytes: Int, arrivalMicroseconds: Int64) {
        packetsReceived += 1
        bytesReceived += payloadBytes
        if !started {
            started = true
            baseSequence = UInt32(sequence)
            maxSequence = sequence
        } else {
            let delta = sequence &- maxSequence
            if delta < 0x8000 {
                if sequence < maxSequence { cycles &+= 0x10000 }  // wrapped
                maxSequence = sequence
            }
        }
        // Jitter (RFC 3550 6.4.1, A.8): arrival in RTP units minus the RTP timestamp. Both wrap
        // modulo 2^32, so the transit time does too, and only the difference of two transits
        // matters: taken as a signed 32-bit difference, it is right across every wrap and
        // cannot trap however long the host has been up.
        let transit = RTPClock.ticks(microseconds: arrivalMicroseconds, clockRate: clockRate) &- timestamp
        if packetsReceived > 1 {
            let d = Int64(Int32(bitPattern: transit &- lastTransit).magnitude)
            let j = Int64(jitterScaled)
            jitterScaled = UInt32(clamping: j + d - ((j + 8) >> 4))
        }
        lastTransit = transit
    }

    public var extendedHighestSequence: UInt32 { cycles &+ UInt32(maxSequence) }
    public var jitter: UInt32 { jitterScaled >> 4 }
    /// `jitter` in seconds (timestamp units over the clock rate).
    public var jitterSeconds: Double { Double(jitter) / Double(max(1, clockRate)) }
    public var expected: UInt32 { started ? extendedHighestSequence &- baseSequence &+ 1 : 0 }
    public var cumulativeLost: Int32 { Int32(clamping: Int64(expected) - Int64(packetsReceived)) }

    /// The fraction lost since the previous call, in 1/256 (RFC 3550 A.3), and rolls the interval.
    public mutating func takeFractionLost() -> UInt8 {
        let expectedInterval = expected &- expectedPrior
        let receivedInterval = packetsReceived - receivedPrior
        expectedPrior = expected
        receivedPrior = packetsReceived
        let lostInterval = Int64(expectedInterval) - Int64(receivedInterval)
        guard expectedInterval > 0, lostInterval > 0 else { return 0 }
        return UInt8(clamping: (lostInterval << 8) / Int64(expectedInterval))
    }
}
