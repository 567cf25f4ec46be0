/// Spreads video frames over time the way a browser's sender does, instead of putting a whole
/// frame on the wire at once.
///
/// libwebrtc's pacer sends at a pacing rate of 2.5 times the target bitrate, released in ticks of
/// a few milliseconds (its interval budget): a delta frame leaves over some milliseconds and a
/// keyframe over tens of them, queued frames behind it. What an SFU sees from a real publisher is
/// that paced stream, so that is what the load tool sends by default; `bytesPerTick` 0 turns
/// pacing off (every frame at once, the worst case for an SFU's queueing).
///
/// Pure bookkeeping, no clock: the owner calls `release` every `tickMilliseconds` and sends what it
/// hands out.
struct VideoPacer {
    static let tickMilliseconds = 5

    /// One packet to send now.
    struct Packet: Equatable {
        var payloadBytes: Int
        var timestamp: UInt32
        var frameNumber: UInt32
        /// The frame's first packet (the VP8 S bit).
        var isFirst: Bool
        /// The frame's last packet (the RTP marker bit).
        var isLast: Bool
    }

    private struct Frame {
        var remainingBytes: Int
        var timestamp: UInt32
        var frameNumber: UInt32
        var started: Bool
    }

    /// Payload bytes released per tick; 0: no pacing.
    let bytesPerTick: Int
    let maximumPayload: Int
    let minimumPayload: Int
    private var frames: [Frame] = []
    private var budget = 0

    /// Pacing at `factor` times `bitsPerSecond` (0: none), frames cut into payloads of
    /// `minimumPayload` to `maximumPayload` bytes.
    init(bitsPerSecond: Int, factor: Double, maximumPayload: Int, minimumPayload: Int) {
        let perTick = Double(bitsPerSecond) / 8 * factor * Double(Self.tickMilliseconds) / 1000
        bytesPerTick = factor > 0 ? max(1, Int(perTick.rounded(.up))) : 0
        self.maximumPayload = maximumPayload
        self.minimumPayload = minimumPayload
        frames.reserveCapacity(16)
    }

    var isIdle: Bool { frames.isEmpty }
    var queuedFrames: Int { frames.count }

    /// Queues a frame of `bytes` payload bytes. Without pacing, all of it is released at once by
    /// the next `release` call.
    mutating func enqueue(bytes: Int, timestamp: UInt32, frameNumber: UInt32) {
        frames.append(Frame(remainingBytes: max(bytes, minimumPayload), timestamp: timestamp, frameNumber: frameNumber,
                            started: false))
    }

    /// Hands out the packets due now: everything queued without pacing, else up to one tick's
    /// budget (a packet that starts within the budget goes whole; the overdraft is paid next tick,
    /// so the average rate holds). `send` returns false to stop early (the transport closed).
    mutating func release(_ send: (Packet) -> Bool) {
        if bytesPerTick > 0 {
            // No credit builds up while idle: a frame after a pause is paced like any other.
            budget = frames.isEmpty ? 0 : min(budget + bytesPerTick, bytesPerTick)
        }
        while let frame = frames.first, bytesPerTick == 0 || budget > 0 {
            let chunk = max(minimumPayload, min(maximumPayload, frame.remainingBytes))
            let remaining = frame.remainingBytes - chunk
            let packet = Packet(payloadBytes: chunk, timestamp: frame.timestamp, frameNumber: frame.frameNumber,
                                isFirst: !frame.started, isLast: remaining <= 0)
            if remaining <= 0 {
                frames.removeFirst()
            } else {
                frames[0].remainingBytes = remaining
                frames[0].started = true
            }
            budget -= chunk
            guard send(packet) else { return }
        }
    }
}
