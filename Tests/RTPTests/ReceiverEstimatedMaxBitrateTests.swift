import Testing
@testable import RTP

@Suite struct ReceiverEstimatedMaxBitrateTests {
    @Test func handCheckedAndRoundTrip() throws {
        // 2 500 000 bit/s = 156 250 * 2^4: exp 4, mantissa 0x2625A -> 0x12625A.
        let bytes = hex("8FCE 0006 55667788 00000000 52454D42 02 12625A CAFEBABE 11223344")
        try withBytes(bytes) { buffer in
            let remb = try ReceiverEstimatedMaxBitrate(parsing: buffer)
            #expect(remb.senderSSRC == 0x5566_7788)
            #expect(remb.bitrate == 2_500_000)
            #expect(remb.ssrcCount == 2)
            #expect(remb.ssrc(at: 1) == 0x1122_3344)
        }
        let out = try written { out throws(RTPWriteError) in
            try ReceiverEstimatedMaxBitrate.write(senderSSRC: 0x5566_7788, bitrate: 2_500_000, ssrcs: [0xCAFE_BABE, 0x1122_3344] as [UInt32], into: out)
        }
        #expect(out == bytes)
    }

    @Test func bitratesRoundDownToEighteenBitMantissa() throws {
        for bitrate: UInt64 in [0, 1, 0x3_FFFF, 0x4_0000, 0x4_0001, 123_456_789, 1 << 40, UInt64.max] {
            let out = try written { out throws(RTPWriteError) in
                try ReceiverEstimatedMaxBitrate.write(senderSSRC: 1, bitrate: bitrate, ssrcs: [] as [UInt32], into: out)
            }
            let parsed = try withBytes(out) { try ReceiverEstimatedMaxBitrate(parsing: $0).bitrate }
            #expect(parsed <= bitrate)
            #expect(bitrate - parsed < max(1, bitrate >> 17))
        }
    }

    @Test func malformed() {
        #expect(parseError(hex("8FCE 0004 55667788 00000000 41424344 00000000")) { try ReceiverEstimatedMaxBitrate(parsing: $0) } == .missingREMBIdentifier)
        #expect(parseError(hex("8FCE 0004 55667788 00000000 52454D42 03 12625A")) { try ReceiverEstimatedMaxBitrate(parsing: $0) }
            == .countMismatch(declared: 3, available: 0))
    }
}
