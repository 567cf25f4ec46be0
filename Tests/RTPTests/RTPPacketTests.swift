import Testing
@testable import RTP

@Suite struct RTPPacketTests {
    // V=2, PT 96, marker, seq 0x1234, ts 0xDEADBEEF, SSRC 0x11223344, 2 CSRCs, payload 01 02 03.
    let withCSRCs = hex("82 E0 1234 DEADBEEF 11223344 0A0B0C0D 01020304 010203")

    @Test func readsFixedHeaderAndCSRCs() throws {
        try withBytes(withCSRCs) { buffer in
            let packet = try RTPPacket(buffer)
            #expect(packet.version == 2)
            #expect(!packet.hasPadding)
            #expect(!packet.hasExtension)
            #expect(packet.marker)
            #expect(packet.payloadType == 96)
            #expect(packet.sequenceNumber == 0x1234)
            #expect(packet.timestamp == 0xDEAD_BEEF)
            #expect(packet.ssrc == 0x1122_3344)
            #expect(packet.csrcCount == 2)
            #expect(packet.csrc(at: 0) == 0x0A0B_0C0D)
            #expect(packet.csrc(at: 1) == 0x0102_0304)
            #expect(packet.headerLength == 20)
            #expect(packet.payloadRange == 20..<23)
            #expect(Array(packet.payload) == [1, 2, 3])
            #expect(packet.headerExtensions == nil)
            #expect(packet.headerFields == RTPHeaderFields(payloadType: 96, marker: true, sequenceNumber: 0x1234, timestamp: 0xDEAD_BEEF, ssrc: 0x1122_3344))
        }
    }

    @Test func readsOneByteExtensionsAndPadding() throws {
        // X and P set; extension: id 1 (1 byte AA), id 2 (2 bytes BBCC), padding; payload 9 9; padding 3.
        let bytes = hex("B0 6F 0001 00000064 11223344 BEDE 0002 10AA 21BBCC 000000 0909 000003")
        try withBytes(bytes) { buffer in
            let packet = try RTPPacket(buffer)
            #expect(packet.hasPadding && packet.hasExtension)
            #expect(packet.paddingLength == 3)
            #expect(packet.headerLength == 24)
            #expect(Array(packet.payload) == [9, 9])
            let extensions = try #require(packet.headerExtensions)
            #expect(extensions.form == .oneByte)
            #expect(extensions.profile == 0xBEDE)
            let elements = Array(extensions)
            #expect(elements.map(\.id) == [1, 2])
            #expect(elements.map(\.range) == [17..<18, 19..<21])
            #expect(packet.headerExtension(id: 1).map(Array.init) == [0xAA])
            #expect(packet.headerExtension(id: 2).map(Array.init) == [0xBB, 0xCC])
            #expect(packet.headerExtension(id: 3) == nil)
        }
    }

    @Test func malformedHeadersAreTypedErrors() {
        #expect(parseError(hex("80 60 00")) { try RTPPacket($0) } == .truncated(needed: 12, have: 3))
        #expect(parseError(hex("40 60 0001 00000000 00000000")) { try RTPPacket($0) } == .unsupportedVersion(1))
        #expect(parseError(hex("C0 60 0001 00000000 00000000")) { try RTPPacket($0) } == .unsupportedVersion(3))
        // CC = 3 but one CSRC present.
        #expect(parseError(hex("83 60 0001 00000000 00000000 01020304")) { try RTPPacket($0) } == .csrcOverrun(csrcCount: 3, have: 16))
        // X set, no room for the extension word.
        #expect(parseError(hex("90 60 0001 00000000 00000000 BEDE")) { try RTPPacket($0) } == .extensionOverrun(needed: 16, have: 14))
        // Extension length 5 words, 4 bytes present.
        #expect(parseError(hex("90 60 0001 00000000 00000000 BEDE 0005 10AA0000")) { try RTPPacket($0) } == .extensionOverrun(needed: 36, have: 20))
        // One-byte element claims 3 bytes, 2 remain in the block.
        #expect(parseError(hex("90 60 0001 00000000 00000000 BEDE 0001 00 22 AABB")) { try RTPPacket($0) } == .malformedExtensionElement(offset: 17))
        // Two-byte element header cut off at the end of the block.
        #expect(parseError(hex("90 60 0001 00000000 00000000 1000 0001 0000 01 01 AA 05")) { try RTPPacket($0) } != nil)
        // Padding count 0, and padding longer than what follows the header.
        #expect(parseError(hex("A0 60 0001 00000000 00000000 AABB 00")) { try RTPPacket($0) } == .invalidPadding(paddingLength: 0, available: 3))
        #expect(parseError(hex("A0 60 0001 00000000 00000000 AABB 04")) { try RTPPacket($0) } == .invalidPadding(paddingLength: 4, available: 3))
        #expect(parseError(hex("A0 60 0001 00000000 00000000")) { try RTPPacket($0) } == .invalidPadding(paddingLength: 0, available: 0))
        // Padding exactly as long as the payload area: legal, empty payload.
        #expect(parseError(hex("A0 60 0001 00000000 00000000 000003")) { try RTPPacket($0) } == nil)
    }

    @Test func opaqueExtensionProfileHasNoElements() throws {
        try withBytes(hex("90 60 0001 00000000 00000000 ABCD 0001 FFFFFFFF 99")) { buffer in
            let packet = try RTPPacket(buffer)
            let extensions = try #require(packet.headerExtensions)
            #expect(extensions.form == nil)
            #expect(Array(extensions).isEmpty)
            #expect(Array(packet.payload) == [0x99])
        }
    }
}
