import Testing
@testable import RTP

@Suite struct RTCPCompoundTests {
    func types(_ bytes: [UInt8]) throws -> [UInt8] {
        try withBytes(bytes) { try RTCPCompound($0).map(\.packetType.rawValue) }
    }

    @Test func walksPackets() throws {
        // RR without reports, PLI, then a padded BYE (padding allowed on the last packet only).
        let bytes = hex("80C9 0001 11111111   81CE 0002 11111111 22222222   A1CB 0002 22222222 00000004")
        #expect(try types(bytes) == [201, 206, 203])
        try withBytes(bytes) { buffer in
            let last = Array(try RTCPCompound(buffer)).last!
            #expect(last.paddingLength == 4)
            #expect(last.body.count == 4)
            #expect(last.count == 1)
            #expect(last.lengthField == 2)
        }
    }

    @Test func zeroLengthPacketsTerminate() throws {
        // Infinite-loop bait: a length field of 0 still means a 4-byte packet.
        let bytes = [UInt8]((0..<1000).flatMap { _ in [0x80, 0xC9, 0x00, 0x00] as [UInt8] })
        #expect(try types(bytes).count == 1000)
        #expect(parseError(hex("80C9 0000")) { try ReceiverReport(parsing: $0) } == .truncated(needed: 8, have: 4))
    }

    @Test func malformedCompounds() {
        #expect(parseError([]) { try RTCPCompound($0) } == .truncated(needed: 4, have: 0))
        #expect(parseError(hex("80C9 00")) { try RTCPCompound($0) } == .truncated(needed: 4, have: 3))
        #expect(parseError(hex("40C9 0001 11111111")) { try RTCPCompound($0) } == .unsupportedVersion(1))
        // Length says 3 words + header, 8 bytes present.
        #expect(parseError(hex("80C9 0003 11111111")) { try RTCPCompound($0) } == .lengthMismatch(declared: 16, have: 8))
        // Trailing bytes that are not a whole packet.
        #expect(parseError(hex("80C9 0001 11111111 80")) { try RTCPCompound($0) } == .truncated(needed: 4, have: 1))
        // Padding on a packet that is not the last.
        #expect(parseError(hex("A0C9 0001 00000004  80C9 0001 11111111")) { try RTCPCompound($0) } == .paddingBeforeLastPacket(offset: 0))
        // Padding count larger than the body, and zero.
        #expect(parseError(hex("A0C9 0001 11111109")) { try RTCPCompound($0) } == .invalidPadding(paddingLength: 9, available: 4))
        #expect(parseError(hex("A0C9 0001 11111100")) { try RTCPCompound($0) } == .invalidPadding(paddingLength: 0, available: 4))
    }
}

@Suite struct RTCPCompoundWriterTests {
    @Test func writesAndParsesACompound() throws {
        let bytes = try written { out throws(RTPWriteError) in
            var compound = RTCPCompoundWriter(into: out)
            compound.advance(by: try ReceiverReport.write(ssrc: 7, reports: [ReceptionReport(ssrc: 9, fractionLost: 3)], into: compound.remaining))
            compound.advance(by: try SourceDescription.write(ssrc: 7, cname: "peer".utf8, into: compound.remaining))
            compound.advance(by: try ReceiverEstimatedMaxBitrate.write(senderSSRC: 7, bitrate: 1_000_000, ssrcs: [9] as [UInt32], into: compound.remaining))
            return compound.count
        }
        try withBytes(bytes) { buffer in
            let packets = Array(try RTCPCompound(buffer))
            #expect(packets.map(\.packetType) == [.receiverReport, .sourceDescription, .payloadFeedback])
            #expect(try ReceiverReport(packets[0]).reports[0].fractionLost == 3)
            #expect(string(Array(try SourceDescription(packets[1]))[0].cname) == "peer")
            #expect(try ReceiverEstimatedMaxBitrate(packets[2]).bitrate == 1_000_000)
        }
        #expect(writeError(capacity: 40) { out throws(RTPWriteError) in
            var compound = RTCPCompoundWriter(into: out)
            compound.advance(by: try ReceiverReport.write(ssrc: 7, reports: [ReceptionReport(ssrc: 9)], into: compound.remaining))
            compound.advance(by: try PictureLossIndication.write(senderSSRC: 7, mediaSSRC: 9, into: compound.remaining))
            return compound.count
        } == .bufferTooSmall(needed: 12, have: 8))
    }
}
