import RTP
@testable import SFU
import Testing

/// The forwarder's sender-report clock with plain values: the time since the publisher's last
/// sender report is whatever the call makes it (a camera off for an hour, a 24-hour session).
@Suite struct TrackForwarderSenderReportTests {
    static let report = (ntp: NTPTime(unixMicroseconds: 1_765_000_000_000_000), rtpTimestamp: UInt32(3_000_000_000),
                         arrivalMicroseconds: Int64(5_000_000))
    static let wallClock = NTPTime(unixMicroseconds: 1_765_000_123_000_000)

    static func times(after elapsed: Int64, clockRate: UInt32 = 90_000, offset: UInt32 = 1_000)
        -> (ntp: NTPTime, rtpTimestamp: UInt32) {
        TrackForwarder.senderReportTimes(now: report.arrivalMicroseconds + elapsed, lastSenderReport: report, clockRate: clockRate,
                                         timestampOffset: offset, lastTimestamp: 0, lastSentMicroseconds: 0,
                                         wallClock: { wallClock })
    }

    @Test func aReportOneSecondAfterThePublishersMapsBothClocksForward() {
        let times = Self.times(after: 1_000_000)
        #expect(times.ntp.unixMicroseconds == Self.report.ntp.unixMicroseconds + 1_000_000)
        #expect(times.rtpTimestamp == Self.report.rtpTimestamp &+ 90_000 &+ 1_000)
    }

    /// 2^32 microseconds (71.6 minutes) without a sender report from the publisher trapped the
    /// worker (elapsed * 2^32 overflowed UInt64), taking down every room of the process.
    @Test(arguments: [Int64(73 * 60_000_000), Int64(24 * 3_600_000_000), Int64(30 * 86_400_000_000), Int64.max / 2] as [Int64])
    func hoursWithoutAPublisherReportNeitherTrapNorDrift(elapsed: Int64) {
        let times = Self.times(after: elapsed)
        let seconds = elapsed / 1_000_000
        #expect(times.ntp.seconds == Self.report.ntp.seconds &+ UInt32(truncatingIfNeeded: seconds))
        #expect(times.rtpTimestamp == Self.report.rtpTimestamp &+ RTPClock.ticks(microseconds: elapsed, clockRate: 90_000) &+ 1_000)
        if elapsed == 73 * 60_000_000 {
            #expect(times.rtpTimestamp == Self.report.rtpTimestamp &+ UInt32((73 * 60 * 90_000) % (1 << 32)) &+ 1_000)
        }
    }

    @Test func withoutAPublisherReportTheWallClockAndTheLastForwardedTimestamp() {
        let now: Int64 = 40 * 86_400_000_000
        let times = TrackForwarder.senderReportTimes(now: now, lastSenderReport: nil, clockRate: 48_000, timestampOffset: 7,
                                                     lastTimestamp: 100, lastSentMicroseconds: now - 20_000,
                                                     wallClock: { Self.wallClock })
        #expect(times.ntp == Self.wallClock)
        #expect(times.rtpTimestamp == 100 + 960)
        // A clock that went backwards (or a packet stamped after the report) adds nothing.
        let backwards = TrackForwarder.senderReportTimes(now: 0, lastSenderReport: nil, clockRate: 48_000, timestampOffset: 7,
                                                         lastTimestamp: 100, lastSentMicroseconds: .max, wallClock: { Self.wallClock })
        #expect(backwards.rtpTimestamp == 100)
    }
}
