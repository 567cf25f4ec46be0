import Testing
@testable import Transport

@Suite struct SRTPSessionTests {
    static func rtpPacket(sequence: UInt16, ssrc: UInt32 = 0x1234_5678, payload: Int = 160) -> [UInt8] {
        var packet: [UInt8] = [0x80, 111, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0x03, 0xC0,
                               UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)]
        packet += (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        return packet
    }

    static func pair(_ profile: SRTPProfile) throws -> (sender: SRTPSession, receiver: SRTPSession) {
        let keyAndSalt = (0..<(profile.keyLength + profile.saltLength)).map { UInt8($0 * 3 + 1) }
        return (try SRTPSession(profile: profile, keyAndSalt: keyAndSalt, direction: .outbound),
                try SRTPSession(profile: profile, keyAndSalt: keyAndSalt, direction: .inbound))
    }

    @Test(arguments: SRTPProfile.allCases)
    func protectThenUnprotectRestoresThePacket(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        for sequence in UInt16(1)...UInt16(50) {
            let plain = Self.rtpPacket(sequence: sequence)
            var buffer = [UInt8](repeating: 0, count: 1500)
            buffer.replaceSubrange(0..<plain.count, with: plain)
            let protectedLength = try buffer.withUnsafeMutableBytes { try sender.protectRTP($0, length: plain.count) }
            #expect(protectedLength == plain.count + profile.rtpOverhead)
            #expect(Array(buffer[12..<plain.count]) != Array(plain[12...]), "payload is encrypted")
            let length = try buffer.withUnsafeMutableBytes { try receiver.unprotectRTP($0, length: protectedLength) }
            #expect(Array(buffer.prefix(length)) == plain)
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func tamperedReplayedAndTruncatedPacketsAreRejected(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        let plain = Self.rtpPacket(sequence: 9)
        var buffer = [UInt8](repeating: 0, count: 1500)
        buffer.replaceSubrange(0..<plain.count, with: plain)
        let length = try buffer.withUnsafeMutableBytes { try sender.protectRTP($0, length: plain.count) }
        let wire = Array(buffer.prefix(length))

        var tampered = wire
        tampered[40] ^= 0x20
        #expect(throws: SRTPError.self) { try tampered.withUnsafeMutableBytes { try receiver.unprotectRTP($0, length: length) } }

        var good = wire
        _ = try good.withUnsafeMutableBytes { try receiver.unprotectRTP($0, length: length) }
        var replay = wire
        #expect(throws: SRTPError.self) { try replay.withUnsafeMutableBytes { try receiver.unprotectRTP($0, length: length) } }

        for cut in [0, 5, 11, 12, 20, length - 1] {
            var truncated = Array(wire.prefix(cut))
            truncated += [UInt8](repeating: 0, count: 4)
            #expect(throws: SRTPError.self) { try truncated.withUnsafeMutableBytes { try receiver.unprotectRTP($0, length: cut) } }
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtcpRoundTrips(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        // A receiver report with no blocks (RFC 3550 6.4.2).
        let rr: [UInt8] = [0x80, 201, 0, 1, 0xDE, 0xAD, 0xBE, 0xEF]
        var buffer = [UInt8](repeating: 0, count: 200)
        buffer.replaceSubrange(0..<rr.count, with: rr)
        let length = try buffer.withUnsafeMutableBytes { try sender.protectRTCP($0, length: rr.count) }
        #expect(length > rr.count + 4, "SRTCP index and tag appended (RFC 3711 3.4)")
        let plainLength = try buffer.withUnsafeMutableBytes { try receiver.unprotectRTCP($0, length: length) }
        #expect(Array(buffer.prefix(plainLength)) == rr)
    }

    @Test func wrongKeyLengthIsATypedError() {
        #expect(throws: SRTPError.wrongKeyLength(expected: 28, got: 3)) {
            try SRTPSession(profile: .aeadAES128GCM, keyAndSalt: [1, 2, 3], direction: .inbound)
        }
    }

    @Test func retransmissionOfTheSameSequenceIsAllowedOutbound() throws {
        let (sender, _) = try Self.pair(.aesCM128HMACSHA1_80)
        for _ in 0..<2 {
            let plain = Self.rtpPacket(sequence: 77)
            var buffer = [UInt8](repeating: 0, count: 1500)
            buffer.replaceSubrange(0..<plain.count, with: plain)
            _ = try buffer.withUnsafeMutableBytes { try sender.protectRTP($0, length: plain.count) }
        }
    }

    @Test func profileListParsing() throws {
        #expect(try SRTPProfile.parseList("AES_CM_128_HMAC_SHA1_80, aead_aes_128_gcm") == [.aesCM128HMACSHA1_80, .aeadAES128GCM])
        #expect(throws: TransportConfigurationError.unknownSRTPProfile("NULL")) { try SRTPProfile.parseList("NULL") }
        #expect(throws: TransportConfigurationError.emptySRTPProfileList) { try SRTPProfile.parseList(" , ") }
    }
}
