import Testing
@testable import RTP

@Suite struct PictureLossIndicationTests {
    @Test func handCheckedAndRoundTrip() throws {
        let bytes = hex("81CE 0002 55667788 CAFEBABE")
        try withBytes(bytes) { buffer in
            let pli = try PictureLossIndication(parsing: buffer)
            #expect(pli.senderSSRC == 0x5566_7788)
            #expect(pli.mediaSSRC == 0xCAFE_BABE)
        }
        #expect(try written { out throws(RTPWriteError) in try PictureLossIndication.write(senderSSRC: 0x5566_7788, mediaSSRC: 0xCAFE_BABE, into: out) } == bytes)
        #expect(parseError(hex("81CD 0002 55667788 CAFEBABE")) { try PictureLossIndication(parsing: $0) } == .unexpectedPacketType(expected: 206, found: 205))
        #expect(writeError(capacity: 11) { out throws(RTPWriteError) in try PictureLossIndication.write(senderSSRC: 1, mediaSSRC: 2, into: out) }
            == .bufferTooSmall(needed: 12, have: 11))
    }
}
