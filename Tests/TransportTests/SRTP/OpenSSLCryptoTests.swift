import COpenSSL
import Testing
@testable import Transport

/// libsrtp2 on the OpenSSL cipher and auth types of Sources/CSRTPCrypto (registered by
/// `SRTPLibrary`): the same bytes as the stock library, the RFC 3711 key derivation, and the
/// rejections (tamper, replay) SRTP relies on.
@Suite struct OpenSSLCryptoTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8 = switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: preconditionFailure("not hex")
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }

    static func vectors(_ profile: SRTPProfile) -> StockSRTPVectors.Profile {
        switch profile {
        case .aesCM128HMACSHA1_80: StockSRTPVectors.aesCM128HMACSHA1_80
        case .aeadAES128GCM: StockSRTPVectors.aeadAES128GCM
        }
    }

    enum Kind { case rtp, rtcp }

    /// Runs one in-place operation on a copy of `packet` in a buffer with trailer room.
    static func run(_ packet: [UInt8], _ body: (UnsafeMutableRawBufferPointer, Int) throws -> Int) throws -> [UInt8] {
        var buffer = packet + [UInt8](repeating: 0, count: SRTPSession.maximumTrailer)
        let length = try buffer.withUnsafeMutableBytes { try body($0, packet.count) }
        return Array(buffer.prefix(length))
    }

    static func protect(_ session: SRTPSession, _ kind: Kind, _ packet: [UInt8]) throws -> [UInt8] {
        try run(packet) { b, n in kind == .rtp ? try session.protectRTP(b, length: n) : try session.protectRTCP(b, length: n) }
    }

    static func unprotect(_ session: SRTPSession, _ kind: Kind, _ packet: [UInt8]) throws -> [UInt8] {
        try run(packet) { b, n in kind == .rtp ? try session.unprotectRTP(b, length: n) : try session.unprotectRTCP(b, length: n) }
    }

    // MARK: - Registration

    @Test func theKernelUsesTheOpenSSLTypes() throws {
        try SRTPLibrary.ensureInitialized()
        #expect(SRTPLibrary.usesOpenSSLCrypto)
    }

    // MARK: - Byte for byte what the stock libsrtp2 produced (StockSRTPVectors.swift)

    @Test(arguments: SRTPProfile.allCases)
    func protectsExactlyAsTheStockLibraryDid(profile: SRTPProfile) throws {
        let stock = Self.vectors(profile)
        let sender = try SRTPSession(profile: profile, keyAndSalt: Self.bytes(stock.keyAndSalt), direction: .outbound)
        for (i, vector) in stock.rtp.enumerated() {
            let out = try Self.protect(sender, .rtp, Self.bytes(vector.plain))
            #expect(out == Self.bytes(vector.protected), "RTP packet \(i)")
        }
        for (i, vector) in stock.rtcp.enumerated() {
            let out = try Self.protect(sender, .rtcp, Self.bytes(vector.plain))
            #expect(out == Self.bytes(vector.protected), "RTCP packet \(i)")
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func unprotectsWhatTheStockLibraryProtected(profile: SRTPProfile) throws {
        let stock = Self.vectors(profile)
        let receiver = try SRTPSession(profile: profile, keyAndSalt: Self.bytes(stock.keyAndSalt), direction: .inbound)
        var seen = Set<[UInt8]>() // sequence number and SSRC
        for (i, vector) in stock.rtp.enumerated() {
            let plain = Self.bytes(vector.plain)
            if seen.insert(Array(plain[2..<4] + plain[8..<12])).inserted {
                #expect(try Self.unprotect(receiver, .rtp, Self.bytes(vector.protected)) == plain, "RTP packet \(i)")
            } else {
                // The sender may repeat a sequence number (allow_repeat_tx); the receiver refuses it.
                #expect(throws: SRTPError.unprotectFailed(status: 9)) { try Self.unprotect(receiver, .rtp, Self.bytes(vector.protected)) }
            }
        }
        for (i, vector) in stock.rtcp.enumerated() {
            #expect(try Self.unprotect(receiver, .rtcp, Self.bytes(vector.protected)) == Self.bytes(vector.plain), "RTCP packet \(i)")
        }
    }

    // MARK: - RFC 3711 key derivation (B.3) and the transforms, computed here from the RFCs

    /// RFC 3711 B.3: master key and salt, and the session keys they derive (key derivation rate 0).
    static let rfc3711MasterKey = bytes("E1F97A0D3E018BE0D64FA32C06DE4139")
    static let rfc3711MasterSalt = bytes("0EC675AD498AFEEBB6960B3AABE6")
    static let rfc3711CipherKey = bytes("C61E7A93744F39EE10734AFE3FF7A087")
    static let rfc3711CipherSalt = bytes("30CBBC08863D8C85D49DB34A9AE1")
    static let rfc3711AuthKey = bytes("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")

    static func evp(_ cipher: OpaquePointer?, key: [UInt8], iv: [UInt8], aad: [UInt8] = [], _ data: [UInt8], tag: Bool = false) -> [UInt8] {
        let ctx = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: data.count + 16)
        var n: Int32 = 0
        precondition(EVP_EncryptInit_ex2(ctx, cipher, key, iv, nil) == 1)
        if !aad.isEmpty { precondition(EVP_EncryptUpdate(ctx, nil, &n, aad, Int32(aad.count)) == 1) }
        if !data.isEmpty { precondition(EVP_EncryptUpdate(ctx, &out, &n, data, Int32(data.count)) == 1) }
        var total = Int(n)
        out.withUnsafeMutableBufferPointer { p in
            precondition(EVP_EncryptFinal_ex(ctx, p.baseAddress! + total, &n) == 1)
        }
        total += Int(n)
        if tag {
            out.withUnsafeMutableBufferPointer { p in
                precondition(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, p.baseAddress! + total) == 1)
            }
            total += 16
        }
        return Array(out.prefix(total))
    }

    static func hmacSHA1(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        precondition(HMAC(EVP_sha1(), key, Int32(key.count), data, data.count, &out, &length) != nil)
        return out
    }

    /// The AES-CM PRF of RFC 3711 4.3.1 and 4.3.3 with key derivation rate 0:
    /// AES-CTR(master key, IV = (master salt XOR label << 48) * 2^16) over zeros. A 96-bit master
    /// salt (AEAD, RFC 7714 11) is right-padded with zeros to 112 bits, as libsrtp2 does.
    static func derive(masterKey: [UInt8], masterSalt: [UInt8], label: UInt8, length: Int) -> [UInt8] {
        var iv = masterSalt + [UInt8](repeating: 0, count: 16 - masterSalt.count)
        iv[7] ^= label
        return evp(EVP_aes_128_ctr(), key: masterKey, iv: iv, [UInt8](repeating: 0, count: length))
    }

    static func header(sequence: UInt16, ssrc: UInt32, timestamp: UInt32 = 0x1234_5678) -> [UInt8] {
        [0x80, 0x60, UInt8(sequence >> 8), UInt8(sequence & 0xFF),
         UInt8(timestamp >> 24), UInt8((timestamp >> 16) & 0xFF), UInt8((timestamp >> 8) & 0xFF), UInt8(timestamp & 0xFF),
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)]
    }

    @Test func theKeyDerivationHereReproducesRFC3711B3() {
        #expect(Self.derive(masterKey: Self.rfc3711MasterKey, masterSalt: Self.rfc3711MasterSalt, label: 0, length: 16) == Self.rfc3711CipherKey)
        #expect(Self.derive(masterKey: Self.rfc3711MasterKey, masterSalt: Self.rfc3711MasterSalt, label: 2, length: 14) == Self.rfc3711CipherSalt)
        #expect(Self.derive(masterKey: Self.rfc3711MasterKey, masterSalt: Self.rfc3711MasterSalt, label: 1, length: 20) == Self.rfc3711AuthKey)
    }

    /// AES_CM_128_HMAC_SHA1_80 with the RFC 3711 B.3 master key: SRTPSession's packets equal
    /// RFC 3711 3.1, 4.1.1 and 4.2 applied by hand to the B.3 session keys, across the 16-bit
    /// sequence wrap (ROC 0 then 1).
    @Test func aesCMPacketsFollowRFC3711WithTheB3Keys() throws {
        let session = try SRTPSession(profile: .aesCM128HMACSHA1_80, keyAndSalt: Self.rfc3711MasterKey + Self.rfc3711MasterSalt, direction: .outbound)
        let ssrc: UInt32 = 0xCAFE_BABE
        for (i, sequence) in [UInt16(65530), 65535, 0, 1, 7].enumerated() {
            let roc: UInt32 = sequence >= 65530 ? 0 : 1
            let header = Self.header(sequence: sequence, ssrc: ssrc)
            let payload = (0..<(40 + 97 * i)).map { UInt8(truncatingIfNeeded: $0 &* 5 &+ i) }
            // IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = 2^16 * ROC + SEQ.
            var iv = Self.rfc3711CipherSalt + [0, 0]
            for b in 0..<4 { iv[4 + b] ^= UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * b)) }
            let index = UInt64(roc) << 16 | UInt64(sequence)
            for b in 0..<6 { iv[8 + b] ^= UInt8(truncatingIfNeeded: index >> (40 - 8 * b)) }
            let encrypted = header + Self.evp(EVP_aes_128_ctr(), key: Self.rfc3711CipherKey, iv: iv, payload)
            let rocBytes: [UInt8] = [UInt8(roc >> 24), UInt8((roc >> 16) & 0xFF), UInt8((roc >> 8) & 0xFF), UInt8(roc & 0xFF)]
            let tag = Self.hmacSHA1(key: Self.rfc3711AuthKey, encrypted + rocBytes).prefix(10)
            let out = try Self.protect(session, .rtp, header + payload)
            #expect(out == encrypted + tag, "sequence \(sequence)")
        }
    }

    /// AEAD_AES_128_GCM with the RFC 3711 B.3 master key (its salt cut to 96 bits): SRTPSession's
    /// packets equal RFC 7714 8.1 (IV), 8.2 (AAD = header) and 9.1 applied by hand to the session
    /// keys derived as RFC 7714 11 specifies.
    @Test func aeadPacketsFollowRFC7714() throws {
        let masterSalt = Array(Self.rfc3711MasterSalt.prefix(12))
        let key = Self.derive(masterKey: Self.rfc3711MasterKey, masterSalt: masterSalt, label: 0, length: 16)
        let salt = Self.derive(masterKey: Self.rfc3711MasterKey, masterSalt: masterSalt, label: 2, length: 12)
        let session = try SRTPSession(profile: .aeadAES128GCM, keyAndSalt: Self.rfc3711MasterKey + masterSalt, direction: .outbound)
        let ssrc: UInt32 = 0x0123_4567
        for (i, sequence) in [UInt16(65534), 65535, 0, 1, 300].enumerated() {
            let roc: UInt32 = sequence >= 65534 ? 0 : 1
            let header = Self.header(sequence: sequence, ssrc: ssrc, timestamp: 0xDECA_FBAD)
            let payload = (0..<(1 + 211 * i)).map { UInt8(truncatingIfNeeded: $0 &* 3 &+ 0x41) }
            // IV = (00 00 || SSRC || ROC || SEQ) XOR salt
            var iv: [UInt8] = [0, 0] + header[8..<12] + [UInt8(roc >> 24), UInt8((roc >> 16) & 0xFF), UInt8((roc >> 8) & 0xFF), UInt8(roc & 0xFF)] + header[2..<4]
            for b in 0..<12 { iv[b] ^= salt[b] }
            let expected = header + Self.evp(EVP_aes_128_gcm(), key: key, iv: iv, aad: header, payload, tag: true)
            let out = try Self.protect(session, .rtp, header + payload)
            #expect(out == expected, "sequence \(sequence)")
        }
    }

    // MARK: - Round trips and rejections

    static func keyAndSalt(_ profile: SRTPProfile, seed: UInt8) -> [UInt8] {
        (0..<(profile.keyLength + profile.saltLength)).map { UInt8(truncatingIfNeeded: Int($0) * 29 + Int(seed)) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func roundTripsEverySizeAcrossTheWrap(profile: SRTPProfile) throws {
        let key = Self.keyAndSalt(profile, seed: 9)
        let sender = try SRTPSession(profile: profile, keyAndSalt: key, direction: .outbound)
        let receiver = try SRTPSession(profile: profile, keyAndSalt: key, direction: .inbound)
        var sequence: UInt16 = 65000
        for size in stride(from: 0, through: 1400, by: 7) {
            let plain = Self.header(sequence: sequence, ssrc: 0xA1B2_C3D4) + (0..<size).map { UInt8(truncatingIfNeeded: $0 ^ size) }
            let protected = try Self.protect(sender, .rtp, plain)
            #expect(protected.count == plain.count + profile.rtpOverhead)
            #expect(try Self.unprotect(receiver, .rtp, protected) == plain)
            sequence &+= 5
        }
        for words in [1, 6, 12, 60] {
            let plain: [UInt8] = [0x80, 201, 0, UInt8(words), 0xA1, 0xB2, 0xC3, 0xD4] + (0..<(4 * words - 4)).map { UInt8(truncatingIfNeeded: $0 * 17) }
            let protected = try Self.protect(sender, .rtcp, plain)
            #expect(try Self.unprotect(receiver, .rtcp, protected) == plain)
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func rejectsTamperingAnywhere(profile: SRTPProfile) throws {
        let key = Self.keyAndSalt(profile, seed: 77)
        let sender = try SRTPSession(profile: profile, keyAndSalt: key, direction: .outbound)
        let plain = Self.header(sequence: 4242, ssrc: 0x0BAD_CAFE) + (0..<200).map { UInt8(truncatingIfNeeded: $0) }
        let protected = try Self.protect(sender, .rtp, plain)
        // A byte of the header, of the payload and of the tag: each fails authentication (status 7).
        for position in [1, 5, 12, 100, protected.count - 1] {
            let receiver = try SRTPSession(profile: profile, keyAndSalt: key, direction: .inbound)
            var tampered = protected
            tampered[position] ^= 0x01
            #expect(throws: SRTPError.unprotectFailed(status: 7), "byte \(position)") { try Self.unprotect(receiver, .rtp, tampered) }
            // The intact packet still goes through afterwards: a forgery does not advance the replay window.
            #expect(try Self.unprotect(receiver, .rtp, protected) == plain)
        }
        // The wrong key fails the same way.
        let stranger = try SRTPSession(profile: profile, keyAndSalt: Self.keyAndSalt(profile, seed: 78), direction: .inbound)
        #expect(throws: SRTPError.unprotectFailed(status: 7)) { try Self.unprotect(stranger, .rtp, protected) }

        let report: [UInt8] = [0x80, 200, 0, 6, 0x0B, 0xAD, 0xCA, 0xFE] + [UInt8](repeating: 0x5A, count: 20)
        var srtcp = try Self.protect(sender, .rtcp, report)
        srtcp[10] ^= 0x80
        let receiver = try SRTPSession(profile: profile, keyAndSalt: key, direction: .inbound)
        #expect(throws: SRTPError.unprotectFailed(status: 7)) { try Self.unprotect(receiver, .rtcp, srtcp) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func rejectsReplays(profile: SRTPProfile) throws {
        let key = Self.keyAndSalt(profile, seed: 3)
        let sender = try SRTPSession(profile: profile, keyAndSalt: key, direction: .outbound)
        let receiver = try SRTPSession(profile: profile, keyAndSalt: key, direction: .inbound)
        var sent: [[UInt8]] = []
        for sequence in UInt16(10)...UInt16(20) {
            sent.append(try Self.protect(sender, .rtp, Self.header(sequence: sequence, ssrc: 99) + [1, 2, 3, 4]))
        }
        for packet in sent { _ = try Self.unprotect(receiver, .rtp, packet) }
        for packet in sent {
            #expect(throws: SRTPError.unprotectFailed(status: 9)) { try Self.unprotect(receiver, .rtp, packet) }
        }
        // srtp_err_status_replay_fail (9) for a repeat, srtp_err_status_replay_old (10) far behind
        // the window (4096).
        let old = try SRTPSession(profile: profile, keyAndSalt: key, direction: .outbound)
        let ancient = try Self.protect(old, .rtp, Self.header(sequence: 1, ssrc: 555) + [9])
        let recent = try Self.protect(old, .rtp, Self.header(sequence: 6000, ssrc: 555) + [9])
        _ = try Self.unprotect(receiver, .rtp, recent)
        #expect(throws: SRTPError.unprotectFailed(status: 10)) { try Self.unprotect(receiver, .rtp, ancient) }

        let report: [UInt8] = [0x80, 201, 0, 1, 0, 0, 0, 99]
        let srtcp = try Self.protect(sender, .rtcp, report)
        _ = try Self.unprotect(receiver, .rtcp, srtcp)
        #expect(throws: SRTPError.unprotectFailed(status: 9)) { try Self.unprotect(receiver, .rtcp, srtcp) }
    }
}
