/// How much of the recent past an audio track was sound, from the levels its publisher stamps on
/// each packet (RFC 6464's client-to-mixer audio level: 0 to 127, in -dBov, 127 is silence), as
/// plain values. The SFU never decodes audio to find who speaks: the browser's encoder measured it.
///
/// Each interval counts the packets louder than `soundLevel`; their share of the interval becomes
/// the interval's activity, smoothed into `score` (an exponential moving average) so that the
/// pauses between words do not make a speaker flicker. The share is of at least one packet per
/// 20 ms (Opus's usual frame): a publisher that stops sending (Opus DTX in silence, a muted
/// microphone, a lost link) is silent, not loud on its last two packets.
struct SpeechActivity {
    /// The loudest level that is not yet sound: louder than -40 dBov. Speech into a headset or a
    /// laptop microphone sits around -20 to -35 dBov; room noise and fans at -50 to -70.
    static let defaultSoundLevel: UInt8 = 40
    /// Opus's usual packet duration (RFC 7587 4.2: 20 ms unless ptime says otherwise).
    static let packetMilliseconds = 20

    let soundLevel: UInt8
    private var packets = 0
    private var loudPackets = 0
    /// Smoothed share of the time that was sound, 0 to 1.
    private(set) var score = 0.0

    init(soundLevel: UInt8 = Self.defaultSoundLevel) {
        self.soundLevel = min(soundLevel, 127)
    }

    /// One packet's RFC 6464 byte (the V flag in the top bit is ignored: not every sender runs a
    /// voice-activity detector, and the level alone decides).
    mutating func record(levelByte: UInt8) {
        packets &+= 1
        if levelByte & 0x7f <= soundLevel { loudPackets &+= 1 }
    }

    /// Ends an interval of `milliseconds`: folds its share of sound into `score` with weight
    /// `smoothing` (0 to 1) and starts the next.
    @discardableResult
    mutating func endInterval(milliseconds: Int, smoothing: Double) -> Double {
        let expected = max(1, milliseconds / Self.packetMilliseconds)
        let counted = max(packets, expected)
        let share = Double(min(max(loudPackets, 0), counted)) / Double(counted)
        let weight = min(max(smoothing, 0), 1)
        score += (share - score) * weight
        packets = 0
        loudPackets = 0
        return score
    }

    /// Forgets the past (a track muted by its publisher stops counting at once).
    mutating func reset() {
        packets = 0
        loudPackets = 0
        score = 0
    }
}
