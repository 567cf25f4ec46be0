/// A 64-bit NTP timestamp (RFC 5905 section 6; RFC 3550 section 4): seconds since
/// 1900-01-01 in the high 32 bits, the binary fraction of a second in the low 32.
public struct NTPTime: Sendable, Hashable, Comparable, RawRepresentable {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Seconds between the NTP epoch (1900) and the Unix epoch (1970): 70 years with 17 leap days.
    public static let unixEpochOffset: UInt64 = 2_208_988_800

    public init(seconds: UInt32, fraction: UInt32) {
        rawValue = UInt64(seconds) << 32 | UInt64(fraction)
    }

    /// From seconds since 1900 (fractions rounded down to 2^-32 s). Values outside the NTP
    /// era 0 (1900-2036) are clamped to it; NaN gives 0.
    public init(secondsSince1900 seconds: Double) {
        guard seconds.isFinite, seconds > 0 else { rawValue = 0; return }
        guard seconds < 4_294_967_296 else { rawValue = .max; return }
        let whole = seconds.rounded(.down)
        let fraction = ((seconds - whole) * 4_294_967_296).rounded(.down)
        rawValue = UInt64(whole) << 32 | UInt64(min(fraction, 4_294_967_295))
    }

    /// From microseconds since the Unix epoch, clamped to NTP era 0 (1900-2036).
    public init(unixMicroseconds: Int64) {
        var seconds = unixMicroseconds / 1_000_000
        var micros = unixMicroseconds % 1_000_000
        if micros < 0 {
            seconds -= 1
            micros += 1_000_000
        }
        let ntpSeconds = seconds + Int64(Self.unixEpochOffset)
        guard ntpSeconds >= 0 else { rawValue = 0; return }
        guard ntpSeconds <= Int64(UInt32.max) else { rawValue = .max; return }
        rawValue = UInt64(ntpSeconds) << 32 | ((UInt64(micros) << 32) / 1_000_000)
    }

    public var seconds: UInt32 { UInt32(rawValue >> 32) }
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    public var secondsSince1900: Double { Double(seconds) + Double(fraction) / 4_294_967_296 }

    public var unixMicroseconds: Int64 {
        let seconds = Int64(self.seconds) - Int64(Self.unixEpochOffset)
        return seconds * 1_000_000 + Int64((UInt64(fraction) * 1_000_000) >> 32)
    }

    /// This time plus `microseconds` (negative moves it back). NTP time wraps at the end of an
    /// era (RFC 5905 6), so the sum wraps too: never traps, however long a call lasts.
    public func advanced(byMicroseconds microseconds: Int64) -> NTPTime {
        let (seconds, micros) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        // A remainder in (-1 s, 1 s) scaled to 2^-32 s: at most 2^52 in magnitude.
        let fraction = (micros << 32) / 1_000_000
        let delta = UInt64(bitPattern: seconds << 32) &+ UInt64(bitPattern: fraction)
        return NTPTime(rawValue: rawValue &+ delta)
    }

    /// A duration as a DLSR value (1/65536 s, RFC 3550 6.4.1), 0 for a negative one, saturated
    /// at the field's 18 hours.
    public static func shortTime(microseconds: Int64) -> UInt32 {
        guard microseconds > 0 else { return 0 }
        let (seconds, micros) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        guard seconds < 1 << 16 else { return .max }
        return UInt32(seconds << 16 | (micros << 16) / 1_000_000)
    }

    /// The middle 32 bits (16.16 fixed point seconds): the "LSR" a receiver echoes in its
    /// reception reports (RFC 3550 section 6.4.1).
    public var middle32: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 16) }

    public static func < (lhs: NTPTime, rhs: NTPTime) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A DLSR value (delay since last SR, in 1/65536 s units, RFC 3550 section 6.4.1).
    public static func shortTime(seconds: Double) -> UInt32 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return UInt32(min(seconds * 65536, 4_294_967_295).rounded(.down))
    }

    /// Round-trip time in seconds from a reception report (RFC 3550 section 6.4.1, figure 2):
    /// arrival A (middle 32 bits of the receiver's NTP clock) - LSR - DLSR, in modular
    /// 16.16 arithmetic. Nil when LSR is 0 (no SR received yet).
    public static func roundTripTime(arrival: UInt32, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32) -> Double? {
        guard lastSenderReport != 0 else { return nil }
        let rtt = arrival &- lastSenderReport &- delaySinceLastSenderReport
        guard rtt < 0x8000_0000 else { return 0 }  // clock skew made it negative
        return Double(rtt) / 65536
    }
}
