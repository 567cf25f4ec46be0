import Testing
@testable import RTP

@Suite struct PacketDemultiplexerTests {
    func kind(_ bytes: [UInt8]) -> PacketDemultiplexer.Kind { withBytes(bytes) { PacketDemultiplexer.classify($0) } }

    @Test func rfc7983FirstByteRanges() {
        #expect(kind([]) == .unknown)
        #expect(kind([0, 1]) == .stun)
        #expect(kind([3]) == .stun)
        #expect(kind([4]) == .unknown)
        #expect(kind([15]) == .unknown)
        #expect(kind([16]) == .zrtp)
        #expect(kind([19]) == .zrtp)
        #expect(kind([20]) == .dtls)
        #expect(kind([22, 0xFE, 0xFD]) == .dtls)
        #expect(kind([63]) == .dtls)
        #expect(kind([64]) == .turnChannel)
        #expect(kind([79]) == .turnChannel)
        #expect(kind([80]) == .unknown)
        #expect(kind([127]) == .unknown)
        #expect(kind([128]) == .unknown)  // no second byte to tell RTP from RTCP
        #expect(kind([128, 0]) == .rtp)
        #expect(kind([191, 96]) == .rtp)
        #expect(kind([192, 0]) == .unknown)
        #expect(kind([255, 0]) == .unknown)
    }

    @Test func rfc5761PayloadTypeSplit() {
        // RTCP packet types 192...223 show as PT 64...95 with or without the marker bit.
        #expect(kind([0x80, 63]) == .rtp)
        #expect(kind([0x80, 64]) == .rtcp)
        #expect(kind([0x80, 200]) == .rtcp)  // SR
        #expect(kind([0x81, 205]) == .rtcp)  // transport feedback
        #expect(kind([0x80, 95]) == .rtcp)
        #expect(kind([0x80, 96]) == .rtp)
        #expect(kind([0x80, 0x80 | 111]) == .rtp)
        #expect(kind([0x80, 0x80 | 72]) == .rtcp)
    }
}
