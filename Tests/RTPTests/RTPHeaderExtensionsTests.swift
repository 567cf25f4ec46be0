import Testing
@testable import RTP

@Suite struct RTPHeaderExtensionsTests {
    func elements(_ bytes: [UInt8]) throws -> [(UInt8, [UInt8])] {
        try withBytes(bytes) { buffer in
            try RTPPacket(buffer).headerExtensions.map { $0.map { ($0.id, Array($0.value)) } } ?? []
        }
    }

    @Test func oneBytePaddingBytesAreSkipped() throws {
        // RFC 8285 4.2: zero bytes between elements are padding.
        let found = try elements(hex("90 60 0001 00000000 00000000 BEDE 0002 00 00 10AA 00 21BBCC 00"))
        #expect(found.map(\.0) == [1, 2])
        #expect(found.map(\.1) == [[0xAA], [0xBB, 0xCC]])
    }

    @Test func oneByteIDFifteenStopsParsing() throws {
        // RFC 8285 4.2: ID 15 ends processing; what follows (here garbage) is ignored.
        let found = try elements(hex("90 60 0001 00000000 00000000 BEDE 0002 10AA F3 FF FFFF FFFF"))
        #expect(found.map(\.0) == [1])
    }

    @Test func twoByteElementsIncludingEmptyOnes() throws {
        // RFC 8285 4.3: profile 0x100X; id 1 empty; padding; id 200 with 3 bytes; id 5 with 16 bytes.
        var bytes = hex("90 60 0001 00000000 00000000 1000 0007 0100 00 C8 03 AABBCC 05 10")
        bytes += [UInt8](repeating: 7, count: 16) + [0, 0, 0]
        let found = try elements(bytes)
        #expect(found.map(\.0) == [1, 200, 5])
        #expect(found.map(\.1) == [[], [0xAA, 0xBB, 0xCC], [UInt8](repeating: 7, count: 16)])
    }

    @Test func wellKnownValues() throws {
        withBytes([0x12, 0x34, 0x56]) { value in
            #expect(TransportSequenceNumberExtension.read(value) == 0x1234)
            #expect(AbsoluteSendTimeExtension.read(value) == 0x12_3456)
        }
        #expect(TransportSequenceNumberExtension.read(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
        // abs-send-time: 6.18 fixed point; 1.5 s = 0x060000.
        #expect(AbsoluteSendTimeExtension.value(from: NTPTime(seconds: 1, fraction: 0x8000_0000)) == 0x06_0000)
        #expect(AbsoluteSendTimeExtension.value(from: NTPTime(seconds: 65, fraction: 0)) == 0x04_0000)  // wraps at 64 s
        #expect(AbsoluteSendTimeExtension.microseconds(0x06_0000) == 1_500_000)
        #expect(AudioLevelExtension.byte(voiceActivity: true, level: 30) == 0x9E)
        withBytes([0x9E]) { value in
            #expect(AudioLevelExtension.read(value)?.voiceActivity == true)
            #expect(AudioLevelExtension.read(value)?.level == 30)
        }
        var storage: [UInt8] = [0, 0, 0]
        storage.withUnsafeMutableBytes { value in
            #expect(AbsoluteSendTimeExtension.write(0xABCDEF, into: value))
            #expect(TransportSequenceNumberExtension.write(0x0102, into: UnsafeMutableRawBufferPointer(rebasing: value[0..<2])))
            #expect(!TransportSequenceNumberExtension.write(1, into: UnsafeMutableRawBufferPointer(rebasing: value[0..<1])))
        }
        #expect(storage == [0x01, 0x02, 0xEF])
    }

    @Test func uris() {
        #expect(RTPHeaderExtensionURI.transportWideSequenceNumber == "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")
        #expect(RTPHeaderExtensionURI.absoluteSendTime == "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")
        #expect(RTPHeaderExtensionURI.mid == "urn:ietf:params:rtp-hdrext:sdes:mid")
        #expect(RTPHeaderExtensionURI.videoOrientation == "urn:3gpp:video-orientation")
    }
}
