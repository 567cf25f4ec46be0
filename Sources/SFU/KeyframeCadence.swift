/// The keyframe rhythm of one published stream (ingest health): the intervals between the
/// keyframes the publisher sent on its own, and how many of them broke the rhythm. An encoder
/// with a fixed keyframe interval (OBS, a hardware encoder, a WHIP ingest) that starts to send
/// them late or in bursts is a sign of a struggling publisher, before viewers see it.
///
/// Keyframes that follow a keyframe request within `requestWindow` answer the request: they say
/// nothing of the encoder's own rhythm, are counted apart, and the interval after them is not
/// measured. An interval is irregular when it is
/// under half or over one and a half times the mean of the previous ones (exponentially
/// weighted), once `warmUp` intervals are known. Plain value; times in microseconds.
struct KeyframeCadence: Equatable {
    static let requestWindow: Int64 = 1_000_000
    static let warmUp = 3
    /// The weight of a new interval in the mean.
    static let weight = 0.25

    private(set) var keyframes = 0
    private(set) var requestedKeyframes = 0
    private(set) var irregularIntervals = 0
    /// The last unrequested interval, and the weighted mean of them (seconds).
    private(set) var lastIntervalSeconds: Double?
    private(set) var meanIntervalSeconds: Double?
    private var intervals = 0
    private var lastKeyframe: Int64?
    private var lastRequest: Int64?

    mutating func requested(at now: Int64) { lastRequest = now }

    mutating func keyframe(at now: Int64) {
        keyframes += 1
        if let request = lastRequest, now &- request >= 0, now &- request < Self.requestWindow {
            // Some encoders restart their keyframe timer here, some do not: the interval to the
            // next keyframe says nothing either way, so the rhythm is taken up from that one.
            requestedKeyframes += 1
            lastRequest = nil
            lastKeyframe = nil
            return
        }
        defer { lastKeyframe = now }
        guard let last = lastKeyframe else { return }
        let seconds = Double(max(0, now &- last)) / 1e6
        lastIntervalSeconds = seconds
        intervals += 1
        if let mean = meanIntervalSeconds, intervals > Self.warmUp, seconds < mean * 0.5 || seconds > mean * 1.5 {
            irregularIntervals += 1
        }
        meanIntervalSeconds = meanIntervalSeconds.map { $0 + Self.weight * (seconds - $0) } ?? seconds
    }
}
