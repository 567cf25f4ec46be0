/// What was sent to one subscriber under each transport-wide sequence number: the send time,
/// the size, and the probe cluster it belonged to. The subscriber's transport-wide feedback
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1) names packets only by that
/// number and their arrival time; matched with this record, each becomes a `PacketResult` for
/// the bandwidth estimator.
///
/// The numbers are the SFU's own, one sequence per subscriber transport (section 2: "transport-
/// wide", across all its streams), written into every packet sent to it. The last `capacity`
/// sends are kept in rings allocated once; older ones are forgotten (feedback comes every 50 to
/// 100 ms, a few hundred packets at most).
struct TransportWideSendHistory {
    static let capacity = 4096
    private static let mask = capacity - 1

    private var sendTimes: [Int64]
    private var sizes: [Int32]
    /// -1: not a probe.
    private var clusters: [Int32]
    /// The next number to stamp.
    private(set) var nextSequence: UInt16
    /// Sends recorded so far (for `capacity` checks before the ring is full).
    private(set) var recorded = 0

    init(firstSequence: UInt16 = UInt16.random(in: 0...UInt16.max)) {
        sendTimes = [Int64](repeating: 0, count: Self.capacity)
        sizes = [Int32](repeating: 0, count: Self.capacity)
        clusters = [Int32](repeating: -1, count: Self.capacity)
        nextSequence = firstSequence
    }

    /// Takes the next transport-wide number for a packet of `bytes` sent at `now`.
    @inline(__always)
    mutating func record(bytes: Int, now: Int64, probeCluster: Int? = nil) -> UInt16 {
        let sequence = nextSequence
        let slot = Int(sequence) & Self.mask
        sendTimes[slot] = now
        sizes[slot] = Int32(clamping: bytes)
        clusters[slot] = probeCluster.map { Int32(truncatingIfNeeded: $0) } ?? -1
        nextSequence &+= 1
        recorded &+= 1
        return sequence
    }

    /// What was sent under `sequence`, if it is one of the last `capacity` numbers given out.
    /// A number ahead of what was sent, or too old, is nil: a subscriber's feedback cannot make
    /// us believe in a packet we did not send.
    func lookup(_ sequence: UInt16) -> (sendMicroseconds: Int64, bytes: Int, probeCluster: Int?)? {
        let age = Int(nextSequence &- sequence)  // 1 for the last one sent
        guard age >= 1, age <= min(Self.capacity, recorded) else { return nil }
        let slot = Int(sequence) & Self.mask
        let cluster = clusters[slot]
        return (sendTimes[slot], Int(sizes[slot]), cluster >= 0 ? Int(cluster) : nil)
    }
}
