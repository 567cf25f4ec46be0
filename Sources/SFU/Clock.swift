import Foundation
import RTP
import Transport

/// Time on the packet path without allocation: monotonic microseconds for intervals and
/// jitter, and wall-clock NTP time for sender reports (RFC 3550 6.4.1).
enum MediaClock {
    @inline(__always)
    static func monotonicMicroseconds() -> Int64 {
        MediaWorker.monotonicNanoseconds() / 1000
    }

    static func ntpNow() -> NTPTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return NTPTime(unixMicroseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }
}

/// Random identifiers for participants, tracks and resume tokens (not secrets of the media path;
/// resume tokens use the system generator, which is cryptographically secure on Linux).
enum Identifier {
    private static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")

    static func make(prefix: String, length: Int = 12) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
