import Testing
@testable import RTP

@Suite struct RTPRewriteTests {
    @Test func rewritesHeaderFieldsInPlace() throws {
        var bytes = try Fixtures.bytes("aiortc/rtp-opus-0.bin")
        let payloadBefore = try withBytes(bytes) { Array(try RTPPacket($0).payload) }
        try bytes.withUnsafeMutableBytes { buffer in
            let rewriter = try RTPRewriter(buffer)
            rewriter.setSSRC(0x0102_0304)
            rewriter.setPayloadType(0xFF)  // only 7 bits are kept
            rewriter.setSequenceNumber(7)
            rewriter.setTimestamp(0xFFFF_FFFF)
            rewriter.setMarker(false)
            #expect(try rewriter.rewriteExtensionID(from: 3, to: 9))
            #expect(try !rewriter.rewriteExtensionID(from: 13, to: 9))
            #expect(TransportSequenceNumberExtension.write(4242, into: rewriter.extensionValue(id: 9)!))
            #expect(rewriter.removeExtension(id: 1))
            #expect(!rewriter.removeExtension(id: 1))
        }
        try withBytes(bytes) { buffer in
            let packet = try RTPPacket(buffer)
            #expect(packet.headerFields == RTPHeaderFields(payloadType: 0x7F, marker: false, sequenceNumber: 7, timestamp: 0xFFFF_FFFF, ssrc: 0x0102_0304))
            #expect(packet.headerExtension(id: 3) == nil)
            #expect(packet.headerExtension(id: 1) == nil)
            #expect(TransportSequenceNumberExtension.read(packet.headerExtension(id: 9)!) == 4242)
            #expect(string(packet.headerExtension(id: 4)) == "0")
            #expect(Array(packet.payload) == payloadBefore)
        }
    }

    @Test func extensionIDMustFitTheForm() throws {
        var bytes = try Fixtures.bytes("aiortc/rtp-opus-0.bin")
        try bytes.withUnsafeMutableBytes { buffer in
            let rewriter = try RTPRewriter(buffer)
            #expect(throws: RTPWriteError.extensionIDOutOfRange(15)) { try rewriter.rewriteExtensionID(from: 3, to: 15) }
            rewriter.setMarker(true)
            #expect(rewriter.packet.marker)
        }
    }

    @Test func rejectsMalformedBuffers() {
        var bytes = hex("80 60 00")
        bytes.withUnsafeMutableBytes { buffer in
            _ = #expect(throws: RTPParseError.truncated(needed: 12, have: 3)) { try RTPRewriter(buffer) }
        }
    }
}
