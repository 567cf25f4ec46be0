import Testing
@testable import RTP

@Suite struct GoodbyeTests {
    @Test func withReason() throws {
        let bytes = hex("82CB 0004 11111111 22222222 05 627965210A 0000")
        try withBytes(bytes) { buffer in
            let bye = try Goodbye(parsing: buffer)
            #expect(bye.sourceCount == 2)
            #expect(bye.source(at: 1) == 0x2222_2222)
            #expect(string(bye.reason) == "bye!\n")
        }
        let out = try written { out throws(RTPWriteError) in
            try Goodbye.write(sources: [0x1111_1111, 0x2222_2222] as [UInt32], reason: "bye!\n".utf8, into: out)
        }
        #expect(out == bytes)
    }

    @Test func malformed() {
        #expect(parseError(hex("83CB 0002 11111111 22222222")) { try Goodbye(parsing: $0) } == .countMismatch(declared: 3, available: 2))
        #expect(parseError(hex("81CB 0002 11111111 09 616263")) { try Goodbye(parsing: $0) } == .truncated(needed: 18, have: 12))
    }
}
