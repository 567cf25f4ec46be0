import Testing
@testable import RTP

@Suite struct RTXTests {
    @Test func wrapDropsPaddingAndPrependsOSN() throws {
        // Original: seq 0x0102, PT 96, one extension, payload AA BB, 2 bytes padding.
        let original = hex("B0 E0 0102 00000010 11111111 BEDE 0001 10 07 0000 AABB 0002")
        let rtx = try withBytes(original) { buffer in
            let packet = try RTPPacket(buffer)
            return try written { out throws(RTPWriteError) in
                try RTX.wrap(packet, rtxSSRC: 0x2222_2222, rtxPayloadType: 97, rtxSequenceNumber: 9, into: out)
            }
        }
        #expect(rtx == hex("90 E1 0009 00000010 22222222 BEDE 0001 10 07 0000 0102 AABB"))
        let back = try withBytes(rtx) { buffer in
            let packet = try RTPPacket(buffer)
            #expect(try RTX.originalSequenceNumber(of: packet) == 0x0102)
            #expect(try RTX.originalPayloadRange(of: packet) == 22..<24)
            return try written { out throws(RTPWriteError) in
                try RTX.unwrap(packet, originalSSRC: 0x1111_1111, originalPayloadType: 96, into: out)
            }
        }
        #expect(back == hex("90 E0 0102 00000010 11111111 BEDE 0001 10 07 0000 AABB"))
    }

    @Test func shortRTXPayloadIsAnError() throws {
        try withBytes(hex("80 61 0001 00000000 00000000 01")) { buffer in
            let packet = try RTPPacket(buffer)
            #expect(throws: RTPParseError.truncated(needed: 14, have: 13)) { try RTX.originalSequenceNumber(of: packet) }
            #expect(throws: RTPWriteError.valueOutOfRange(1)) {
                try written { out throws(RTPWriteError) in try RTX.unwrap(packet, originalSSRC: 1, originalPayloadType: 96, into: out) }
            }
        }
    }

    /// In place, as the receiving path does it: RTX with its own padding, back to the original.
    @Test func unwrapInPlaceMovesThePayloadAndDropsTheRTXPadding() throws {
        var bytes = hex("B0 E1 0009 00000010 22222222 BEDE 0001 10 07 0000 0102 AABB 0002")
        let length = try bytes.withUnsafeMutableBytes { buffer in
            let packet = try RTPPacket(UnsafeRawBufferPointer(buffer))
            return try RTX.unwrapInPlace(packet, in: buffer, originalSSRC: 0x1111_1111, originalPayloadType: 96)
        }
        #expect(Array(bytes[0..<length]) == hex("90 E0 0102 00000010 11111111 BEDE 0001 10 07 0000 AABB"))
        var short = hex("80 61 0001 00000000 00000000 01")
        _ = short.withUnsafeMutableBytes { buffer in
            #expect(throws: RTPParseError.truncated(needed: 14, have: 13)) {
                try RTX.unwrapInPlace(try RTPPacket(UnsafeRawBufferPointer(buffer)), in: buffer, originalSSRC: 1, originalPayloadType: 96)
            }
        }
    }
}
