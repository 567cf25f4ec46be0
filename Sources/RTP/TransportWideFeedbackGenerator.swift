/// The receiving side of transport-wide congestion control
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01): records when each transport-wide
/// sequence number arrived on one connection and turns the records into feedback messages
/// (`TransportWideFeedback`), which the sender's congestion controller (libwebrtc's GoogCC)
/// needs to raise its bitrate. A sender that gets none stays at its start rate.
///
/// Records live in a ring of `capacity` slots indexed by the extended sequence number, allocated
/// once: recording and writing allocate nothing. A feedback message covers the sequence numbers
/// from the first one not yet reported up to the highest received; packets in between that have
/// not arrived are reported lost. A packet that arrives after its sequence number was reported
/// (reordering) moves the window back so it is reported again as received, as libwebrtc's own
/// receiver does; the sender keeps the later report.
public struct TransportWideFeedbackGenerator: Sendable {
    /// Slots in the ring: sequence numbers further behind the highest one are forgotten.
    public static let capacity = 1 << 12
    private static let mask = Int64(capacity - 1)
    private static let missing = Int64.min

    private var arrivals: [Int64]
    private var started = false
    /// Highest extended sequence number received.
    private var highest: Int64 = 0
    /// First extended sequence number the next feedback message reports.
    private var windowStart: Int64 = 0
    /// Counts feedback messages, so the sender can tell one was lost (section 3.1).
    public private(set) var feedbackPacketCount: UInt8 = 0
    /// Packets recorded, and packets ignored as duplicates or too old to report.
    public private(set) var packetsRecorded = 0
    public private(set) var packetsIgnored = 0

    public init() {
        arrivals = [Int64](repeating: Self.missing, count: Self.capacity)
    }

    /// True if there are records not yet reported.
    public var hasPendingFeedback: Bool { started && windowStart <= highest }

    /// Records the arrival of transport-wide sequence number `sequence`, in microseconds on any
    /// monotonic clock (the feedback carries differences and a reference time taken from it).
    public mutating func record(sequence: UInt16, arrivalMicroseconds: Int64) {
        guard started else {
            started = true
            highest = Int64(sequence)
            windowStart = highest
            arrivals[Int(highest & Self.mask)] = arrivalMicroseconds
            packetsRecorded += 1
            return
        }
        // Unwrap against the highest so far: the nearest extended value (RFC 3550 A.1's idea).
        let extended = highest + Int64(Int16(bitPattern: sequence &- UInt16(truncatingIfNeeded: highest)))
        if extended > highest {
            let jump = extended - highest
            if jump >= Int64(Self.capacity) {
                // A jump beyond the ring (a sender restart, a long outage): start over there.
                for index in arrivals.indices { arrivals[index] = Self.missing }
                windowStart = extended
            } else {
                // Slots reused for the new numbers start out not received.
                var next = highest + 1
                while next < extended {
                    arrivals[Int(next & Self.mask)] = Self.missing
                    next += 1
                }
            }
            highest = extended
            arrivals[Int(extended & Self.mask)] = arrivalMicroseconds
            packetsRecorded += 1
            // Nothing reported for longer than the ring holds: only what it holds can be.
            windowStart = max(windowStart, highest - Int64(Self.capacity) + 1)
            return
        }
        guard extended > highest - Int64(Self.capacity), arrivals[Int(extended & Self.mask)] == Self.missing else {
            packetsIgnored += 1
            return
        }
        arrivals[Int(extended & Self.mask)] = arrivalMicroseconds
        packetsRecorded += 1
        if extended < windowStart { windowStart = extended }
    }

    /// Writes one feedback message for the pending records, at most `maximumStatuses` of them,
    /// into `buffer`, and returns its length; 0 when nothing is pending. Call again while
    /// `hasPendingFeedback` to report the rest. Two arrivals more than 8 s apart (beyond a
    /// delta's range) end a message early; the next one starts at the later packet.
    public mutating func writeFeedback(senderSSRC: UInt32, mediaSSRC: UInt32, maximumStatuses: Int = 512,
                                       into buffer: UnsafeMutableRawBufferPointer) throws(RTPWriteError) -> Int {
        guard hasPendingFeedback else { return 0 }
        var end = min(highest, windowStart + Int64(max(1, maximumStatuses)) - 1)
        var length = 0
        while true {
            do {
                length = try TransportWideFeedback.write(
                    senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, feedbackPacketCount: feedbackPacketCount,
                    observations: Window(arrivals: arrivals, start: windowStart, end: end), into: buffer)
                break
            } catch .deltaOutOfRange(let sequence) {
                let at = windowStart + Int64(sequence &- UInt16(truncatingIfNeeded: windowStart))
                guard at > windowStart, at <= end else { throw .deltaOutOfRange(sequenceNumber: sequence) }
                end = at - 1
            }
        }
        feedbackPacketCount &+= 1
        windowStart = end + 1
        return length
    }

    /// The records from `start` through `end` as observations, read in place.
    struct Window: Collection {
        let arrivals: [Int64]
        let start: Int64
        let end: Int64

        var startIndex: Int64 { start }
        var endIndex: Int64 { end + 1 }
        func index(after i: Int64) -> Int64 { i + 1 }
        subscript(position: Int64) -> TransportWideObservation {
            let arrival = arrivals[Int(position & TransportWideFeedbackGenerator.mask)]
            return TransportWideObservation(sequenceNumber: UInt16(truncatingIfNeeded: position),
                                            arrivalTime: arrival == TransportWideFeedbackGenerator.missing ? nil : arrival)
        }
    }
}
