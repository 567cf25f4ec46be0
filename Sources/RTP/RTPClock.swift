/// Durations in RTP timestamp units (RFC 3550 5.1: the media clock's ticks, modulo 2^32).
public enum RTPClock {
    /// `microseconds` in ticks of a `clockRate` Hz media clock, modulo 2^32 as RTP timestamps
    /// wrap. Exact for any duration (a wrapped product keeps its low 32 bits) and never traps:
    /// a naive `microseconds * clockRate` overflows Int64 after about 3.2 years at 90 kHz.
    public static func ticks(microseconds: Int64, clockRate: UInt32) -> UInt32 {
        let (seconds, micros) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let rate = Int64(clockRate)
        // |micros * rate| < 10^6 * 2^32: far inside Int64.
        return UInt32(truncatingIfNeeded: seconds &* rate &+ micros * rate / 1_000_000)
    }
}
