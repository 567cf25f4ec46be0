@testable import STUN
import Testing

/// The sample messages of RFC 5769 (fixtures typed from the RFC, see Fixtures/*.hex).
@Suite struct RFC5769Tests {
    /// Type, offset and value length of each attribute on the wire, padding included in the walk.
    static func layout(_ bytes: [UInt8]) -> [(type: UInt16, offset: Int, length: Int)] {
        var out: [(UInt16, Int, Int)] = []
        var offset = STUNMessage.headerLength
        while offset + 4 <= bytes.count {
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            out.append((UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]), offset, length))
            offset += 4 + (length + 3) & ~3
        }
        return out
    }

    /// Re-encodes a decoded vector with the same key and FINGERPRINT. RFC 5769 pads some
    /// attributes with 0x20 where we write 0x00 (RFC 8489 14: padding is any value and ignored),
    /// and MESSAGE-INTEGRITY and FINGERPRINT cover that padding, so the bytes may differ there
    /// and in those two values only; the re-encoded message must decode to the same attributes.
    static func checkReencoding(_ vector: [UInt8], key: [UInt8], fingerprint: Bool) throws {
        let received = try STUNMessage.decode(vector)
        let reencoded = received.message.encode(integrity: .sha1(key: key), fingerprint: fingerprint)
        #expect(reencoded.count == vector.count)
        guard reencoded.count == vector.count else { return }

        var mayDiffer = Set<Int>()
        var spacePadding = Set<Int>()
        for attribute in layout(vector) {
            let valueEnd = attribute.offset + 4 + attribute.length
            for index in valueEnd..<(attribute.offset + 4 + (attribute.length + 3) & ~3) {
                mayDiffer.insert(index)
                if vector[index] == 0x20 { spacePadding.insert(index) }
            }
            if attribute.type == STUNAttributeType.messageIntegrity.rawValue || attribute.type == STUNAttributeType.fingerprint.rawValue {
                mayDiffer.formUnion((attribute.offset + 4)..<valueEnd)
            }
        }
        for index in vector.indices where vector[index] != reencoded[index] {
            #expect(mayDiffer.contains(index), "byte \(index): vector \(vector[index]), re-encoded \(reencoded[index])")
        }
        for index in spacePadding { #expect(reencoded[index] == 0) }
        if spacePadding.isEmpty { #expect(reencoded == vector) }

        let again = try STUNMessage.decode(reencoded)
        #expect(again.message.type == received.message.type)
        #expect(again.message.transactionID == received.message.transactionID)
        #expect(again.message.attributes.map(\.type) == received.message.attributes.map(\.type))
        #expect(nonComputed(again.message.attributes) == nonComputed(received.message.attributes))
        #expect(again.integrityIsValid(key: key))
        #expect(again.fingerprintIsValid == fingerprint)
    }

    @Test func sampleRequest() throws {
        let received = try STUNMessage.decode(Fixtures.request)
        let message = received.message
        #expect(message.type.rawValue == 0x0001)
        #expect(message.method == .binding)
        #expect(message.messageClass == .request)
        #expect(message.transactionID.description == "b7e7a701bc34d686fa87dfae")
        #expect(message.attributes.map(\.type) == [.software, .priority, .iceControlled, .username, .messageIntegrity, .fingerprint])
        #expect(message.attributes.first { $0.type == .software }?.text() == "STUN test client")
        #expect(message.attributes.first { $0.type == .username }?.text(maximumBytes: 512) == "evtj:h6vY")
        #expect(message.attributes.first { $0.type == .priority }?.uint32 == 0x6E00_01FF)
        #expect(message.value(of: .iceControlled) == [0x93, 0x2F, 0xF9, 0xB1, 0x51, 0x26, 0x3B, 0x36])
        #expect(received.hasMessageIntegrity)
        #expect(!received.hasMessageIntegritySHA256)
        #expect(received.hasFingerprint)
        #expect(received.fingerprintIsValid)
        #expect(received.integrityIsValid(key: rfc5769Key))
        #expect(!received.integrityIsValid(key: Array("VOkJxbRl1RmTxUk/WvJxBT".utf8)))
        #expect(!received.integrityIsValid(key: []))
        #expect(received.bytes == Fixtures.request)
    }

    @Test func sampleRequestReencodes() throws {
        // USERNAME "evtj:h6vY" is padded with three spaces in the RFC.
        try Self.checkReencoding(Fixtures.request, key: rfc5769Key, fingerprint: true)
    }

    @Test func sampleIPv4Response() throws {
        let received = try STUNMessage.decode(Fixtures.ipv4Response)
        let message = received.message
        #expect(message.type.rawValue == 0x0101)
        #expect(message.type == STUNMessageType(method: .binding, messageClass: .successResponse))
        #expect(message.attributes.map(\.type) == [.software, .xorMappedAddress, .messageIntegrity, .fingerprint])
        #expect(message.attributes[0].text() == "test vector")
        let mapped = message.attributes[1].xorAddress(transactionID: message.transactionID)
        #expect(mapped == STUNTransportAddress(ip: .v4(0xC000_0201), port: 32853))
        #expect(mapped?.description == "192.0.2.1:32853")
        // Encoding the same address gives the vector's value.
        #expect(STUNAttribute.xorAddress(.xorMappedAddress, mapped!, transactionID: message.transactionID) == message.attributes[1])
        #expect(received.fingerprintIsValid)
        #expect(received.integrityIsValid(key: rfc5769Key))
        #expect(!received.integrityIsValid(key: rfc5769LongTermKey))
    }

    @Test func sampleIPv4ResponseReencodes() throws {
        // SOFTWARE "test vector" is padded with one space in the RFC.
        try Self.checkReencoding(Fixtures.ipv4Response, key: rfc5769Key, fingerprint: true)
    }

    @Test func sampleIPv6Response() throws {
        let received = try STUNMessage.decode(Fixtures.ipv6Response)
        let message = received.message
        #expect(message.type.rawValue == 0x0101)
        #expect(message.attributes.map(\.type) == [.software, .xorMappedAddress, .messageIntegrity, .fingerprint])
        #expect(message.attributes[0].text() == "test vector")
        let mapped = message.attributes[1].xorAddress(transactionID: message.transactionID)
        #expect(mapped == STUNTransportAddress(ip: IPAddress("2001:db8:1234:5678:11:2233:4455:6677")!, port: 32853))
        #expect(mapped?.description == "[2001:db8:1234:5678:11:2233:4455:6677]:32853")
        #expect(mapped?.ip.bytes == hex("20010db8 12345678 00112233 44556677"))
        #expect(STUNAttribute.xorAddress(.xorMappedAddress, mapped!, transactionID: message.transactionID) == message.attributes[1])
        #expect(received.fingerprintIsValid)
        #expect(received.integrityIsValid(key: rfc5769Key))
        #expect(!received.integrityIsValid(key: Array(rfc5769Key.dropLast())))
    }

    @Test func sampleIPv6ResponseReencodes() throws {
        try Self.checkReencoding(Fixtures.ipv6Response, key: rfc5769Key, fingerprint: true)
    }

    @Test func longTermKeyIsMD5OfUsernameRealmPassword() {
        #expect(hexString(rfc5769LongTermKey) == "e8ca7ad59d5eb0518e312911d2dab2a9")
        #expect(hexString(STUNLongTermKey.derive(username: "マトリックス", realm: "example.org", password: "TheMatrIX", algorithm: .sha256))
            == "dd295a613b9058c3c23d6dc7165bda072304d989c9d0af3a8c7e184b4f9bb4a1")
    }

    @Test func sampleRequestWithLongTermAuthentication() throws {
        let received = try STUNMessage.decode(Fixtures.longTermRequest)
        let message = received.message
        #expect(message.type.rawValue == 0x0001)
        #expect(message.transactionID.description == "78ad3433c6ad72c029da412e")
        #expect(message.attributes.map(\.type) == [.username, .nonce, .realm, .messageIntegrity])
        #expect(message.attributes[0].text(maximumBytes: 512) == "マトリックス")
        #expect(message.attributes[0].value == Array("\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}".utf8))
        #expect(message.attributes[1].text() == "f//499k954d6OL34oL9FSTvy64sA")
        #expect(message.attributes[2].text() == "example.org")
        #expect(!received.hasFingerprint)
        #expect(!received.fingerprintIsValid)
        #expect(received.integrityIsValid(key: rfc5769LongTermKey))
        // RFC 5769 errata: the key uses the password after SASLprep ("TheMatrIX"), not the text
        // the RFC printed (with a soft hyphen, U+00AA and U+2168).
        #expect(!received.integrityIsValid(key: STUNLongTermKey.derive(username: "マトリックス", realm: "example.org",
                                                                          password: "The\u{00AD}M\u{00AA}tr\u{2168}")))
        #expect(!received.integrityIsValid(key: rfc5769Key))
    }

    @Test func sampleRequestWithLongTermAuthenticationReencodesExactly() throws {
        // All padding here is zero and there is no FINGERPRINT: byte for byte.
        let received = try STUNMessage.decode(Fixtures.longTermRequest)
        #expect(received.message.encode(integrity: .sha1(key: rfc5769LongTermKey)) == Fixtures.longTermRequest)
        try Self.checkReencoding(Fixtures.longTermRequest, key: rfc5769LongTermKey, fingerprint: false)
    }

    /// The same request built from scratch, not from the decoded vector.
    @Test func longTermRequestBuiltFromScratch() {
        let message = STUNMessage(.binding, .request,
                                  transactionID: STUNTransactionID(bytes: hex("78ad3433 c6ad72c0 29da412e"))!,
                                  attributes: [.text(.username, "マトリックス"), .text(.nonce, "f//499k954d6OL34oL9FSTvy64sA"),
                                               .text(.realm, "example.org")])
        #expect(message.encode(integrity: .sha1(key: rfc5769LongTermKey)) == Fixtures.longTermRequest)
    }

    @Test(arguments: 0..<4)
    func vectorsLookLikeSTUN(index: Int) {
        let vector = Fixtures.all[index]
        #expect(STUNMessage.looksLikeSTUN(vector))
        #expect(STUNMessage.messageLength(header: vector) == vector.count)
        #expect(STUNMessage.messageLength(header: vector.prefix(4)) == vector.count)
    }
}
