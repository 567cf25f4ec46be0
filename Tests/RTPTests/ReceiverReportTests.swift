import Testing
@testable import RTP

@Suite struct ReceiverReportTests {
    @Test func handCheckedAndRoundTrip() throws {
        let bytes = hex("""
            82C9 000D 55667788
            00000001 00 000000 0000000A 00000000 00000000 00000000
            00000002 FF 800000 FFFFFFFF 00000001 00000002 00000003
            """)
        let reports = try withBytes(bytes) { buffer in
            let rr = try ReceiverReport(parsing: buffer)
            #expect(rr.ssrc == 0x5566_7788)
            return Array(rr.reports)
        }
        #expect(reports == [
            ReceptionReport(ssrc: 1, extendedHighestSequenceNumber: 10),
            ReceptionReport(ssrc: 2, fractionLost: 255, cumulativeLost: -0x80_0000, extendedHighestSequenceNumber: .max,
                            jitter: 1, lastSenderReport: 2, delaySinceLastSenderReport: 3),
        ])
        let out = try written { out throws(RTPWriteError) in try ReceiverReport.write(ssrc: 0x5566_7788, reports: reports, into: out) }
        #expect(out == bytes)
        let empty = try written { out throws(RTPWriteError) in try ReceiverReport.write(ssrc: 9, reports: [], into: out) }
        #expect(empty == hex("80C9 0001 00000009"))
    }

    @Test func limits() {
        let many = [ReceptionReport](repeating: ReceptionReport(ssrc: 1), count: 32)
        #expect(writeError(capacity: 2000) { out throws(RTPWriteError) in try ReceiverReport.write(ssrc: 1, reports: many, into: out) }
            == .tooManyItems(count: 32, limit: 31))
        #expect(parseError(hex("81C9 0001 11223344")) { try ReceiverReport(parsing: $0) } == .countMismatch(declared: 1, available: 0))
    }
}
