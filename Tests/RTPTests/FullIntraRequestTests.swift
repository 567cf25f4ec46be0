import Testing
@testable import RTP

@Suite struct FullIntraRequestTests {
    @Test func handCheckedAndRoundTrip() throws {
        let bytes = hex("84CE 0006 55667788 00000000 CAFEBABE 07000000 11223344 FF000000")
        let entries = [FullIntraRequestEntry(ssrc: 0xCAFE_BABE, sequenceNumber: 7), FullIntraRequestEntry(ssrc: 0x1122_3344, sequenceNumber: 255)]
        try withBytes(bytes) { buffer in
            let fir = try FullIntraRequest(parsing: buffer)
            #expect(fir.senderSSRC == 0x5566_7788)
            #expect(Array(fir) == entries)
        }
        #expect(try written { out throws(RTPWriteError) in try FullIntraRequest.write(senderSSRC: 0x5566_7788, entries: entries, into: out) } == bytes)
    }
}
