import Testing
@testable import RTP

@Suite struct GenericNACKTests {
    @Test func iteratesPIDAndBLP() throws {
        // PID 100, BLP 0b1000_0000_0000_0101: 100, 101, 103, 116. PID 65535, BLP bit 0: 65535, 0.
        let bytes = hex("81CD 0004 11111111 22222222 0064 8005 FFFF 0001")
        try withBytes(bytes) { buffer in
            let nack = try GenericNACK(parsing: buffer)
            #expect(nack.senderSSRC == 0x1111_1111)
            #expect(nack.mediaSSRC == 0x2222_2222)
            #expect(nack.entryCount == 2)
            #expect(nack.entry(at: 0) == (100, 0x8005))
            #expect(nack.makeLostSequenceNumberArray() == [100, 101, 103, 116, 65535, 0])
        }
    }

    @Test func writerPacksAcrossWrap() throws {
        let lost: [UInt16] = [65534, 65535, 0, 5, 5, 14, 30, 31]
        let out = try written { out throws(RTPWriteError) in try GenericNACK.write(senderSSRC: 1, mediaSSRC: 2, lost: lost, into: out) }
        // 65534 + {1, 2, 7, 16}; 30 + {1}.
        #expect(out == hex("81CD 0004 00000001 00000002 FFFE 8043 001E 0001"))
        let parsed = try withBytes(out) { try GenericNACK(parsing: $0).makeLostSequenceNumberArray() }
        #expect(parsed == [65534, 65535, 0, 5, 14, 30, 31])
        let none = try written { out throws(RTPWriteError) in try GenericNACK.write(senderSSRC: 1, mediaSSRC: 2, lost: [], into: out) }
        #expect(none.count == 12)
    }

    @Test func wrongFormat() {
        #expect(parseError(hex("8FCD 0002 11111111 22222222")) { try GenericNACK(parsing: $0) } == .unexpectedFormat(expected: 1, found: 15))
        #expect(parseError(hex("81CD 0001 11111111")) { try GenericNACK(parsing: $0) } == .truncated(needed: 12, have: 8))
    }
}
