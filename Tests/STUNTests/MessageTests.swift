@testable import STUN
import Testing

@Suite struct MessageTypeTests {
    static let methods: [STUNMethod] = [.binding, .allocate, .refresh, .send, .data, .createPermission, .channelBind]
    static let classes: [STUNMessageClass] = [.request, .indication, .successResponse, .errorResponse]

    @Test(arguments: [
        (STUNMethod.binding, STUNMessageClass.request, UInt16(0x0001)),
        (.binding, .indication, 0x0011),
        (.binding, .successResponse, 0x0101),
        (.binding, .errorResponse, 0x0111),
        (.allocate, .request, 0x0003),
        (.allocate, .successResponse, 0x0103),
        (.allocate, .errorResponse, 0x0113),
        (.refresh, .request, 0x0004),
        (.refresh, .successResponse, 0x0104),
        (.refresh, .errorResponse, 0x0114),
        (.send, .indication, 0x0016),
        (.data, .indication, 0x0017),
        (.createPermission, .request, 0x0008),
        (.createPermission, .successResponse, 0x0108),
        (.createPermission, .errorResponse, 0x0118),
        (.channelBind, .request, 0x0009),
        (.channelBind, .successResponse, 0x0109),
        (.channelBind, .errorResponse, 0x0119),
        // RFC 8489 5: the highest method, all class bits
        (STUNMethod(rawValue: 0xFFF), .errorResponse, 0x3FFF),
        (STUNMethod(rawValue: 0xFFF), .request, 0x3EEF),
    ])
    func knownTypes(method: STUNMethod, messageClass: STUNMessageClass, raw: UInt16) {
        let type = STUNMessageType(method: method, messageClass: messageClass)
        #expect(type.rawValue == raw)
        #expect(STUNMessageType(rawValue: raw) == type)
    }

    @Test func everyMethodAndClassRoundTrips() throws {
        for method in Self.methods {
            for messageClass in Self.classes {
                let type = STUNMessageType(method: method, messageClass: messageClass)
                #expect(STUNMessageType(rawValue: type.rawValue) == type)
                // Encoded and decoded in a message too.
                let encoded = STUNMessage(type: type, transactionID: fixedTransactionID).encode()
                #expect(try STUNMessage.decode(encoded).message.type == type)
            }
        }
    }

    /// The interleaving is a bijection between (12-bit method, class) and the 14 low bits.
    @Test func allFourteenBitTypesRoundTrip() {
        for raw in UInt16(0)..<0x4000 {
            let type = STUNMessageType(rawValue: raw)
            if type.rawValue != raw {
                Issue.record("0x\(String(raw, radix: 16)) came back as 0x\(String(type.rawValue, radix: 16))")
                return
            }
        }
        for method in UInt16(0)..<0x1000 {
            for messageClass in Self.classes {
                let type = STUNMessageType(method: STUNMethod(rawValue: method), messageClass: messageClass)
                if type.rawValue & 0xC000 != 0 || STUNMessageType(rawValue: type.rawValue) != type {
                    Issue.record("method 0x\(String(method, radix: 16)) \(messageClass)")
                    return
                }
            }
        }
    }

    @Test func methodIsTwelveBits() {
        #expect(STUNMethod(rawValue: 0xF001) == .binding)
        #expect(STUNMessageType(rawValue: 0xC001) == STUNMessageType(rawValue: 0x0001))
    }

    @Test func descriptions() {
        #expect(STUNMethod.binding.description == "Binding")
        #expect(STUNMethod.createPermission.description == "CreatePermission")
        #expect(STUNMethod(rawValue: 0x0AB).description == "method 0xab")
        #expect(STUNMessageType(rawValue: 0x0113).description == "Allocate errorResponse")
        #expect(STUNAttributeType.xorMappedAddress.description == "0x0020")
        #expect(STUNAttributeType.fingerprint.description == "0x8028")
        #expect(STUNErrorCode.staleNonce.description == "438 Stale Nonce")
    }

    @Test func comprehensionRequired() {
        #expect(STUNAttributeType.username.isComprehensionRequired)
        #expect(STUNAttributeType.requestedTransport.isComprehensionRequired)
        #expect(STUNAttributeType(rawValue: 0x7FFF).isComprehensionRequired)
        #expect(!STUNAttributeType.software.isComprehensionRequired)
        #expect(!STUNAttributeType.fingerprint.isComprehensionRequired)
        #expect(!STUNAttributeType(rawValue: 0x8000).isComprehensionRequired)
    }

    @Test func transactionID() {
        let bytes = hex("b7e7a701 bc34d686 fa87dfae")
        let id = STUNTransactionID(bytes: bytes)!
        #expect(id.high == 0xB7E7_A701)
        #expect(id.low == 0xBC34_D686_FA87_DFAE)
        #expect(id.bytes == bytes)
        #expect(id.description == "b7e7a701bc34d686fa87dfae")
        #expect(STUNTransactionID(high: 0, low: 1).description == "000000000000000000000001")
        #expect(STUNTransactionID(bytes: bytes.dropLast()) == nil)
        #expect(STUNTransactionID(bytes: bytes + [0]) == nil)
        let ids = Set((0..<100).map { _ in STUNTransactionID.random() })
        #expect(ids.count == 100)
    }
}

@Suite struct RoundTripTests {
    static let key = STUNLongTermKey.derive(username: "alice", realm: "example.org", password: "secret")

    @Test(arguments: [STUNIntegrity.sha1(key: key), .sha256(key: key)])
    func encodeDecodeVerify(integrity: STUNIntegrity) throws {
        let message = allocateRequest()
        let encoded = message.encode(integrity: integrity, fingerprint: true)
        #expect(encoded.count % 4 == 0)
        #expect(STUNMessage.messageLength(header: encoded) == encoded.count)
        let received = try STUNMessage.decode(encoded)
        #expect(received.message.type == message.type)
        #expect(received.message.transactionID == message.transactionID)
        #expect(nonComputed(received.message.attributes) == message.attributes)
        #expect(received.fingerprintIsValid)
        #expect(received.integrityIsValid(key: Self.key))
        #expect(!received.integrityIsValid(key: Self.key.reversed()))
        #expect(!received.integrityIsValid(key: STUNLongTermKey.derive(username: "alice", realm: "example.org", password: "Secret")))
        if case .sha1 = integrity {
            #expect(received.hasMessageIntegrity && !received.hasMessageIntegritySHA256)
            #expect(received.message.value(of: .messageIntegrity)?.count == 20)
        } else {
            #expect(!received.hasMessageIntegrity && received.hasMessageIntegritySHA256)
            #expect(received.message.value(of: .messageIntegritySHA256)?.count == 32)
        }
        #expect(received.message.attributes.last?.type == .fingerprint)
    }

    @Test func withoutIntegrityOrFingerprint() throws {
        let message = allocateRequest()
        let received = try STUNMessage.decode(message.encode())
        #expect(received.message == message)
        #expect(!received.hasMessageIntegrity && !received.hasMessageIntegritySHA256 && !received.hasFingerprint)
        #expect(!received.integrityIsValid(key: Self.key))
        #expect(!received.fingerprintIsValid)
    }

    @Test func fingerprintOnly() throws {
        let received = try STUNMessage.decode(allocateRequest().encode(fingerprint: true))
        #expect(received.fingerprintIsValid)
        #expect(!received.integrityIsValid(key: Self.key))
    }

    @Test func emptyMessage() throws {
        let encoded = STUNMessage(.binding, .request, transactionID: fixedTransactionID).encode()
        #expect(encoded == hex("0001 0000 2112a442 b7e7a701 bc34d686 fa87dfae"))
        #expect(try STUNMessage.decode(encoded).message.attributes.isEmpty)
    }

    /// Values of every length 0-8 are padded with zeros and come back without the padding.
    @Test func paddingRoundTrips() throws {
        var message = STUNMessage(.binding, .indication, transactionID: fixedTransactionID)
        for length in 0...8 {
            message.append(STUNAttribute(type: STUNAttributeType(rawValue: 0x8100 + UInt16(length)), value: [UInt8](repeating: 0xAB, count: length)))
        }
        let encoded = message.encode()
        #expect(encoded.count == 20 + (0...8).reduce(0) { $0 + 4 + ($1 + 3) / 4 * 4 })
        #expect(try STUNMessage.decode(encoded).message == message)
        // Padding of any value is ignored (RFC 8489 14).
        let spaced = wire(attributes: [(0x8022, Array("abcde".utf8))], padding: 0x20)
        #expect(try STUNMessage.decode(spaced).message.attributes == [.text(.software, "abcde")])
    }

    /// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT given as attributes are
    /// recomputed, not written.
    @Test func computedAttributesAreNotCopied() throws {
        var message = allocateRequest()
        message.attributes.insert(STUNAttribute(type: .messageIntegrity, value: [UInt8](repeating: 1, count: 20)), at: 0)
        message.append(STUNAttribute(type: .fingerprint, value: [1, 2, 3, 4]))
        message.append(STUNAttribute(type: .messageIntegritySHA256, value: [UInt8](repeating: 2, count: 32)))
        #expect(message.encode() == allocateRequest().encode())
        #expect(message.encode(integrity: .sha1(key: Self.key), fingerprint: true)
            == allocateRequest().encode(integrity: .sha1(key: Self.key), fingerprint: true))
    }

    /// Flipping any bit of a protected message breaks its decoding, integrity or fingerprint.
    @Test(arguments: [STUNIntegrity.sha1(key: key), .sha256(key: key)])
    func tamperingIsDetected(integrity: STUNIntegrity) throws {
        let encoded = allocateRequest().encode(integrity: integrity, fingerprint: true)
        let fingerprintStart = encoded.count - 8
        var decoded = 0
        for index in encoded.indices {
            for bit in 0..<8 {
                var tampered = encoded
                tampered[index] ^= 1 << bit
                guard let received = try? STUNMessage.decode(tampered) else { continue }
                decoded += 1
                if index < fingerprintStart {
                    // Header, attributes and the MAC itself: covered by both.
                    #expect(!received.integrityIsValid(key: Self.key), "byte \(index) bit \(bit)")
                    #expect(!received.fingerprintIsValid, "byte \(index) bit \(bit)")
                } else {
                    // FINGERPRINT's own header or value: the MAC does not cover it.
                    #expect(!received.fingerprintIsValid, "byte \(index) bit \(bit)")
                    #expect(received.integrityIsValid(key: Self.key))
                }
            }
        }
        // Most flips (in values, the transaction ID, the type) still decode.
        #expect(decoded > encoded.count * 4)
    }

    /// RFC 8489 14.5: attributes after MESSAGE-INTEGRITY, but MESSAGE-INTEGRITY-SHA256 and
    /// FINGERPRINT, are ignored (and not covered by the integrity check).
    @Test func attributesAfterIntegrityAreIgnored() throws {
        let protected = allocateRequest().encode(integrity: .sha1(key: Self.key))
        var extended = appending(.software, Array("injected".utf8), to: protected)
        extended = appending(.lifetime, [0, 0, 0, 0], to: extended)
        extended = appending(.messageIntegrity, [UInt8](repeating: 0, count: 20), to: extended)
        extended = appendingFingerprint(to: extended)
        let received = try STUNMessage.decode(extended)
        #expect(received.message.attributes.map(\.type) == allocateRequest().attributes.map(\.type) + [.messageIntegrity, .fingerprint])
        #expect(received.message.attributes.first { $0.type == .software }?.text() == "swift-sfu test")
        #expect(received.message.attributes.first { $0.type == .lifetime }?.uint32 == 600)
        #expect(received.integrityIsValid(key: Self.key))
        #expect(received.fingerprintIsValid)
    }

    /// RFC 8489 14.6: MESSAGE-INTEGRITY-SHA256 may follow MESSAGE-INTEGRITY and is the one checked;
    /// after it only FINGERPRINT counts.
    @Test func integritySHA256AfterIntegrity() throws {
        let protected = allocateRequest().encode(integrity: .sha1(key: Self.key))
        var both = appendingIntegritySHA256(key: Self.key, to: protected)
        both = appending(.software, Array("ignored".utf8), to: both)
        both = appending(.messageIntegrity, [UInt8](repeating: 0, count: 20), to: both)
        let received = try STUNMessage.decode(appendingFingerprint(to: both))
        #expect(received.hasMessageIntegrity && received.hasMessageIntegritySHA256 && received.hasFingerprint)
        #expect(received.message.attributes.suffix(3).map(\.type) == [.messageIntegrity, .messageIntegritySHA256, .fingerprint])
        #expect(received.integrityIsValid(key: Self.key))
        #expect(received.fingerprintIsValid)

        // The SHA-256 MAC is the one that counts: a bad one fails even with a good SHA-1 MAC.
        let bad = appending(.messageIntegritySHA256, [UInt8](repeating: 0, count: 32), to: protected)
        #expect(try !STUNMessage.decode(bad).integrityIsValid(key: Self.key))
    }

    /// RFC 8489 14.6: MESSAGE-INTEGRITY-SHA256 may be truncated to 16, 20, 24 or 28 bytes.
    @Test(arguments: [16, 20, 24, 28, 32])
    func truncatedIntegritySHA256(size: Int) throws {
        let message = appendingIntegritySHA256(key: Self.key, size: size, to: allocateRequest().encode())
        let received = try STUNMessage.decode(message)
        #expect(received.message.value(of: .messageIntegritySHA256)?.count == size)
        #expect(received.integrityIsValid(key: Self.key))
        #expect(!received.integrityIsValid(key: rfc5769Key))
    }

    @Test func attributeAfterFingerprintIsAnError() {
        let fingerprinted = allocateRequest().encode(integrity: .sha1(key: Self.key), fingerprint: true)
        #expect(decodeError(appending(.software, Array("late".utf8), to: fingerprinted)) == .attributeAfterFingerprint)
        #expect(decodeError(appending(.fingerprint, [0, 0, 0, 0], to: fingerprinted)) == .attributeAfterFingerprint)
        #expect(decodeError(appending(STUNAttributeType(rawValue: 0x0000), [], to: fingerprinted)) == .attributeAfterFingerprint)
        #expect(decodeError(appendingFingerprint(to: Fixtures.request)) == .attributeAfterFingerprint)
    }

    @Test func repeatedAttributesKeepOrderAndFirstWins() throws {
        let message = STUNMessage(.createPermission, .request, transactionID: fixedTransactionID, attributes: [
            .lifetime(1), .text(.software, "a"), .lifetime(2),
        ])
        let received = try STUNMessage.decode(message.encode()).message
        #expect(received.attributes.count == 3)
        #expect(received.value(of: .lifetime) == [0, 0, 0, 1])
        #expect(received.contains(.software))
        #expect(!received.contains(.username))
        #expect(received.value(of: .username) == nil)
    }

    @Test func framingHelpers() {
        let encoded = allocateRequest().encode(fingerprint: true)
        #expect(STUNMessage.looksLikeSTUN(encoded))
        #expect(STUNMessage.looksLikeSTUN(encoded[0..<20]))
        #expect(!STUNMessage.looksLikeSTUN(encoded.prefix(19)))
        var rtp = encoded
        rtp[0] = 0x80
        #expect(!STUNMessage.looksLikeSTUN(rtp))
        var noCookie = encoded
        noCookie[7] ^= 1
        #expect(!STUNMessage.looksLikeSTUN(noCookie))
        #expect(STUNMessage.messageLength(header: encoded.prefix(4)) == encoded.count)
        #expect(STUNMessage.messageLength(header: [0x00, 0x01, 0xFF, 0xFC]) == 20 + 0xFFFC)
        #expect(STUNMessage.messageLength(header: [0x00, 0x01, 0x00]) == nil)
        #expect(STUNMessage.messageLength(header: [0x40, 0x01, 0x00, 0x00]) == nil)
    }

    @Test func cryptoPrimitives() {
        // CRC-32 check value; RFC 2202 / RFC 4231 test case 2.
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        let data = Array("what do ya want for nothing?".utf8)
        #expect(hexString(STUNKeyedHash.hmacSHA1(key: Array("Jefe".utf8), message: data)) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        #expect(hexString(STUNKeyedHash.hmacSHA256(key: Array("Jefe".utf8), message: data))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(hexString(STUNLongTermKey.derive(username: "user", realm: "realm", password: "pass")) == "8493fbc53ba582fb4c044c456bdc40eb")
        #expect(STUNLongTermKey.shortTerm(password: "pässword") == Array("pässword".utf8))
        #expect(STUNPasswordAlgorithm.allCases.map(\.rawValue) == [1, 2])
    }
}
