/// The receiver's side of RTP loss repair (RFC 4585 6.2.1 generic NACK, RFC 4588 RTX) for one
/// incoming stream: notices the sequence numbers that did not arrive, asks the sender for them
/// again at intervals, and gives up on a packet after a bounded number of tries or time, when
/// only a new keyframe helps (what libwebrtc's NackRequester does for a browser's receiver).
///
/// Plain value; the missing numbers live in fixed arrays allocated once, so noticing, asking
/// and giving up allocate nothing.
public struct NACKRequester: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Numbers missing at once at most; a larger gap is not repaired packet by packet.
        public var capacity: Int
        /// Requests per missing packet before it is given up.
        public var maximumRequests: Int
        /// Microseconds between two requests for one packet until a round trip is known: about a
        /// round trip, after which an answer should have come.
        public var retryInterval: Int64
        /// The bounds of the interval once retransmissions have measured the round trip.
        public var minimumRetryInterval: Int64 = 20_000
        /// Microseconds after which a missing packet is given up however often it was asked
        /// for: a video receiver has stopped waiting for it by then.
        public var maximumAge: Int64

        public init(capacity: Int = 256, maximumRequests: Int = 10, retryInterval: Int64 = 100_000, maximumAge: Int64 = 1_000_000) {
            self.capacity = max(1, capacity)
            self.maximumRequests = max(1, maximumRequests)
            self.retryInterval = max(1, retryInterval)
            self.maximumAge = max(1, maximumAge)
        }
    }

    /// What one arriving sequence number was.
    public enum Arrival: Sendable, Equatable {
        /// The highest so far (the numbers it skipped are now missing).
        case next
        /// A missing one: a retransmission, or a packet that came late.
        case recovered
        /// Neither: a duplicate, or older than anything still missing.
        case old
    }

    public let settings: Settings
    private var started = false
    private var highest: Int64 = 0
    // The missing numbers in increasing order, `count` of them from `first` in a ring.
    private var sequences: [Int64]
    private var missingSince: [Int64]
    private var lastRequest: [Int64]
    private var requests: [Int]
    private var first = 0
    private var count = 0
    /// Set when a packet was given up or a gap was too large to repair: the stream cannot be
    /// decoded past it until a keyframe.
    public private(set) var keyframeNeeded = false
    public private(set) var packetsRequested = 0
    public private(set) var packetsRecovered = 0
    public private(set) var packetsGivenUp = 0
    /// The shortest time from a request to the retransmission it brought, smoothed: the round
    /// trip to the sender plus its reaction (microseconds); nil until one came.
    public private(set) var roundTrip: Int64?

    /// Between two requests for one packet: 1.5 round trips (an answer later than that is
    /// taken as lost) within the settings' bounds; the settings' interval before any is known.
    public var currentRetryInterval: Int64 {
        guard let roundTrip else { return settings.retryInterval }
        return min(settings.retryInterval, max(settings.minimumRetryInterval, roundTrip + roundTrip / 2))
    }

    public init(settings: Settings = Settings()) {
        self.settings = settings
        sequences = [Int64](repeating: 0, count: settings.capacity)
        missingSince = [Int64](repeating: 0, count: settings.capacity)
        lastRequest = [Int64](repeating: 0, count: settings.capacity)
        requests = [Int](repeating: 0, count: settings.capacity)
    }

    public var missingCount: Int { count }

    /// True if `sequence` is missing now.
    public func isMissing(_ sequence: UInt16) -> Bool {
        guard started else { return false }
        return index(of: unwrap(sequence)) != nil
    }

    /// Records an arriving sequence number, at `now` microseconds on any monotonic clock;
    /// `retransmission`: it came as RTX, in answer to a request (its delay measures the round trip).
    public mutating func received(_ sequence: UInt16, now: Int64, retransmission: Bool = false) -> Arrival {
        guard started else {
            started = true
            highest = Int64(sequence)
            return .next
        }
        let extended = unwrap(sequence)
        if extended > highest {
            let gap = extended - highest - 1
            if gap > Int64(settings.capacity) {
                // More lost at once than is worth asking for (an outage, a sender restart):
                // forget what is missing and wait for a keyframe.
                packetsGivenUp += count
                count = 0
                keyframeNeeded = true
            } else if gap > 0 {
                // Room for the new gap: the oldest missing numbers go first.
                let overflow = count + Int(gap) - settings.capacity
                if overflow > 0 { dropOldest(overflow) }
                var next = highest + 1
                while next < extended {
                    append(next, now: now)
                    next += 1
                }
            }
            highest = extended
            return .next
        }
        guard let at = index(of: extended) else { return .old }
        let slot = (first + at) % settings.capacity
        if retransmission, requests[slot] > 0 {
            // The newest request's answer: a sample of the round trip (an answer to an earlier
            // request only makes it look shorter; the smoothing and floor bound that).
            let sample = max(0, now &- lastRequest[slot])
            if sample < 2_000_000 { roundTrip = roundTrip.map { $0 + (sample - $0) / 4 } ?? sample }
        }
        remove(at: at)
        packetsRecovered += 1
        return .recovered
    }

    /// Writes a generic NACK for every missing number due a request at `now` (never asked, or
    /// last asked `retryInterval` ago) into `buffer` and returns its length, 0 if none is due.
    /// First drops what has been asked for `maximumRequests` times or is older than `maximumAge`.
    public mutating func writeNACK(senderSSRC: UInt32, mediaSSRC: UInt32, now: Int64,
                                   into buffer: UnsafeMutableRawBufferPointer) throws(RTPWriteError) -> Int {
        expire(now: now)
        var due = 0
        for offset in 0..<count {
            let slot = (first + offset) % settings.capacity
            if requests[slot] == 0 || now - lastRequest[slot] >= currentRetryInterval { due += 1 }
        }
        guard due > 0 else { return 0 }
        let length = try GenericNACK.write(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC,
                                           lost: DueNumbers(requester: self, now: now), into: buffer)
        for offset in 0..<count {
            let slot = (first + offset) % settings.capacity
            guard requests[slot] == 0 || now - lastRequest[slot] >= currentRetryInterval else { continue }
            requests[slot] += 1
            lastRequest[slot] = now
            packetsRequested += 1
        }
        return length
    }

    /// Reads and clears `keyframeNeeded`.
    public mutating func takeKeyframeNeeded() -> Bool {
        defer { keyframeNeeded = false }
        return keyframeNeeded
    }

    // MARK: - The ring

    /// The nearest extended number to `sequence` around the highest (RFC 3550 A.1's idea).
    private func unwrap(_ sequence: UInt16) -> Int64 {
        highest + Int64(Int16(bitPattern: sequence &- UInt16(truncatingIfNeeded: highest)))
    }

    private func index(of extended: Int64) -> Int? {
        for offset in 0..<count {
            let slot = (first + offset) % settings.capacity
            if sequences[slot] == extended { return offset }
            if sequences[slot] > extended { return nil }
        }
        return nil
    }

    private mutating func append(_ extended: Int64, now: Int64) {
        let slot = (first + count) % settings.capacity
        sequences[slot] = extended
        missingSince[slot] = now
        lastRequest[slot] = now
        requests[slot] = 0
        count += 1
    }

    private mutating func dropOldest(_ n: Int) {
        let n = min(n, count)
        packetsGivenUp += n
        if n > 0 { keyframeNeeded = true }
        first = (first + n) % settings.capacity
        count -= n
    }

    /// Removes the entry `offset` places from the first, keeping the order.
    private mutating func remove(at offset: Int) {
        var at = offset
        while at + 1 < count {
            let to = (first + at) % settings.capacity
            let from = (first + at + 1) % settings.capacity
            sequences[to] = sequences[from]
            missingSince[to] = missingSince[from]
            lastRequest[to] = lastRequest[from]
            requests[to] = requests[from]
            at += 1
        }
        count -= 1
    }

    private mutating func expire(now: Int64) {
        var offset = 0
        while offset < count {
            let slot = (first + offset) % settings.capacity
            if requests[slot] >= settings.maximumRequests || now - missingSince[slot] >= settings.maximumAge {
                remove(at: offset)
                packetsGivenUp += 1
                keyframeNeeded = true
            } else {
                offset += 1
            }
        }
    }

    /// The numbers due a request, in increasing order, read in place (an index is an offset
    /// from the first missing number).
    struct DueNumbers: Collection {
        let requester: NACKRequester
        let now: Int64

        private func isDue(_ offset: Int) -> Bool {
            let slot = (requester.first + offset) % requester.settings.capacity
            return requester.requests[slot] == 0 || now - requester.lastRequest[slot] >= requester.currentRetryInterval
        }

        private func due(from offset: Int) -> Int {
            var offset = offset
            while offset < requester.count, !isDue(offset) { offset += 1 }
            return offset
        }

        var startIndex: Int { due(from: 0) }
        var endIndex: Int { requester.count }
        func index(after i: Int) -> Int { due(from: i + 1) }
        subscript(offset: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: requester.sequences[(requester.first + offset) % requester.settings.capacity])
        }
    }
}
