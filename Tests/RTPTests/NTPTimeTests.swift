import Testing
@testable import RTP

@Suite struct NTPTimeTests {
    @Test func conversions() {
        let epoch = NTPTime(unixMicroseconds: 0)
        #expect(epoch.seconds == 2_208_988_800)
        #expect(epoch.fraction == 0)
        let half = NTPTime(unixMicroseconds: 1_500_000)
        #expect(half.fraction == 0x8000_0000)
        #expect(half.unixMicroseconds == 1_500_000)
        #expect(NTPTime(secondsSince1900: 2.25).rawValue == 0x0000_0002_4000_0000)
        #expect(NTPTime(rawValue: 0x0000_0002_4000_0000).secondsSince1900 == 2.25)
        #expect(NTPTime(rawValue: 0xE8F1_2345_8000_0000).middle32 == 0x2345_8000)
        #expect(NTPTime.shortTime(seconds: 5.25) == 0x0005_4000)
    }

    @Test func outOfRangeInputsClampInsteadOfTrapping() {
        #expect(NTPTime(unixMicroseconds: -500_000).unixMicroseconds == -500_000)
        #expect(NTPTime(unixMicroseconds: .min).rawValue == 0)
        #expect(NTPTime(unixMicroseconds: .max).rawValue == .max)
        #expect(NTPTime(secondsSince1900: -1).rawValue == 0)
        #expect(NTPTime(secondsSince1900: .nan).rawValue == 0)
        #expect(NTPTime(secondsSince1900: 1e12).rawValue == .max)
        #expect(NTPTime.shortTime(seconds: -3) == 0)
        #expect(NTPTime.shortTime(seconds: .infinity) == 0)
        #expect(NTPTime.shortTime(seconds: 1e9) == .max)
    }

    @Test func roundTripTimeFromRFC3550Example() {
        // RFC 3550 section 6.4.1: A = 0xb710:8000, LSR = 0xb705:2000, DLSR = 0x0005:4000 -> 6.125 s.
        #expect(NTPTime.roundTripTime(arrival: 0xB710_8000, lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000) == 6.125)
        #expect(NTPTime.roundTripTime(arrival: 1, lastSenderReport: 0, delaySinceLastSenderReport: 0) == nil)
        #expect(NTPTime.roundTripTime(arrival: 0x10, lastSenderReport: 0x20, delaySinceLastSenderReport: 0) == 0)
    }
}

@Suite struct NTPTimeArithmeticTests {
    @Test func advancingByAnyDurationIsExactAndWraps() {
        let start = NTPTime(unixMicroseconds: 1_700_000_000_250_000)
        #expect(start.advanced(byMicroseconds: 500_000).unixMicroseconds == 1_700_000_000_750_000)
        #expect(start.advanced(byMicroseconds: -250_000).unixMicroseconds == 1_700_000_000_000_000)
        // Past 2^32 microseconds (71.6 minutes): the product elapsed * 2^32 passes UInt64 there.
        let later = start.advanced(byMicroseconds: 73 * 60_000_000 + 1)
        #expect(later.unixMicroseconds == 1_700_000_000_250_000 + 73 * 60_000_000)  // 1 us is below 2^-32 s rounding
        #expect(start.advanced(byMicroseconds: 30 * 86_400_000_000).seconds == start.seconds + 30 * 86_400)
        #expect(NTPTime(rawValue: .max).advanced(byMicroseconds: 1_000_000).seconds == 0)  // the era wraps
        _ = start.advanced(byMicroseconds: .max)
        _ = start.advanced(byMicroseconds: .min)
    }

    @Test func shortTimeOfMicrosecondsSaturates() {
        #expect(NTPTime.shortTime(microseconds: 5_250_000) == 0x0005_4000)
        #expect(NTPTime.shortTime(microseconds: -1) == 0)
        #expect(NTPTime.shortTime(microseconds: 65_535 * 1_000_000) == 0xFFFF_0000)
        #expect(NTPTime.shortTime(microseconds: 65_536 * 1_000_000) == .max)
        #expect(NTPTime.shortTime(microseconds: .max) == .max)
    }
}
