import Testing
@testable import RTP

@Suite struct SenderReportTests {
    // RFC 3550 6.4.1 layout, one report block with cumulative lost -2 (0xFFFFFE).
    let bytes = hex("""
        81C8 000C 11223344
        E8F12345 80000000 000003E8 00000064 00003E80
        CAFEBABE 19 FFFFFE 00017531 000004D2 12345678 00010000
        """)

    @Test func handCheckedFields() throws {
        try withBytes(bytes) { buffer in
            let sr = try SenderReport(parsing: buffer)
            #expect(sr.ssrc == 0x1122_3344)
            #expect(sr.ntpTime == NTPTime(seconds: 0xE8F1_2345, fraction: 0x8000_0000))
            #expect(sr.rtpTimestamp == 1000)
            #expect(sr.packetCount == 100)
            #expect(sr.octetCount == 16000)
            #expect(sr.reports.count == 1)
            #expect(sr.reports[0] == ReceptionReport(
                ssrc: 0xCAFE_BABE, fractionLost: 25, cumulativeLost: -2, extendedHighestSequenceNumber: 0x1_7531,
                jitter: 1234, lastSenderReport: 0x1234_5678, delaySinceLastSenderReport: 0x1_0000))
        }
    }

    @Test func writerRoundTrip() throws {
        let report = ReceptionReport(ssrc: 0xCAFE_BABE, fractionLost: 25, cumulativeLost: -2, extendedHighestSequenceNumber: 0x1_7531,
                                     jitter: 1234, lastSenderReport: 0x1234_5678, delaySinceLastSenderReport: 0x1_0000)
        let out = try written { out throws(RTPWriteError) in
            try SenderReport.write(ssrc: 0x1122_3344, ntpTime: NTPTime(rawValue: 0xE8F1_2345_8000_0000), rtpTimestamp: 1000,
                                   packetCount: 100, octetCount: 16000, reports: [report], into: out)
        }
        #expect(out == bytes)
        #expect(SenderReport.length(reportCount: 1) == bytes.count)
        #expect(writeError(capacity: 51) { out throws(RTPWriteError) in
            try SenderReport.write(ssrc: 1, ntpTime: NTPTime(rawValue: 0), rtpTimestamp: 0, packetCount: 0, octetCount: 0, reports: [report], into: out)
        } == .bufferTooSmall(needed: 52, have: 51))
    }

    @Test func lossIsClampedTo24Bits() throws {
        let huge = ReceptionReport(ssrc: 1, cumulativeLost: 10_000_000)
        let out = try written { out throws(RTPWriteError) in try ReceiverReport.write(ssrc: 2, reports: [huge], into: out) }
        let lost = try withBytes(out) { try ReceiverReport(parsing: $0).reports[0].cumulativeLost }
        #expect(lost == 0x7F_FFFF)
    }

    @Test func malformed() {
        // RC = 2, one block present.
        var twoClaimed = bytes
        twoClaimed[0] = 0x82
        #expect(parseError(twoClaimed) { try SenderReport(parsing: $0) } == .countMismatch(declared: 2, available: 1))
        #expect(parseError(hex("80C8 0001 11223344")) { try SenderReport(parsing: $0) } == .truncated(needed: 28, have: 8))
        #expect(parseError(hex("80C9 0001 11223344")) { try SenderReport(parsing: $0) } == .unexpectedPacketType(expected: 200, found: 201))
    }
}
