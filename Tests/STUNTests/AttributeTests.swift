@testable import STUN
import TestSupport
import Testing

@Suite struct AttributeTests {
    // MARK: Addresses

    @Test func xorAddressesRoundTrip() {
        var rng = SplitMix64(seed: 0x57A1_0001)
        for _ in 0..<500 {
            let id = STUNTransactionID(high: UInt32(truncatingIfNeeded: rng.next()), low: rng.next())
            let port = UInt16(truncatingIfNeeded: rng.next())
            for ip in [IPAddress.v4(UInt32(truncatingIfNeeded: rng.next())), .v6(rng.next(), rng.next())] {
                let address = STUNTransportAddress(ip: ip, port: port)
                for type in [STUNAttributeType.xorMappedAddress, .xorPeerAddress, .xorRelayedAddress] {
                    let attribute = STUNAttribute.xorAddress(type, address, transactionID: id)
                    #expect(attribute.type == type)
                    #expect(attribute.value.count == (ip.family == .ipv4 ? 8 : 20))
                    #expect(attribute.value[1] == ip.family.rawValue)
                    #expect(attribute.xorAddress(transactionID: id) == address)
                }
                let plain = STUNAttribute.plainAddress(.mappedAddress, address)
                #expect(plain.plainAddress() == address)
                #expect(plain.value.suffix(ip.bytes.count) == ArraySlice(ip.bytes))
            }
        }
    }

    @Test func xorAddressKnownBytes() {
        // RFC 5769 2.2: 192.0.2.1:32853 XOR 0x2112A442.
        let address = STUNTransportAddress(ip: IPAddress("192.0.2.1")!, port: 32853)
        #expect(STUNAttribute.xorAddress(.xorMappedAddress, address, transactionID: fixedTransactionID).value == hex("0001 a147 e112a643"))
        // The IPv6 key continues with the transaction ID: a different ID gives different bytes.
        let v6 = STUNTransportAddress(ip: IPAddress("2001:db8:1234:5678:11:2233:4455:6677")!, port: 32853)
        let attribute = STUNAttribute.xorAddress(.xorMappedAddress, v6, transactionID: fixedTransactionID)
        #expect(attribute.value == hex("0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9"))
        #expect(attribute.xorAddress(transactionID: STUNTransactionID(high: 0, low: 0)) != v6)
        #expect(STUNAttribute.plainAddress(.alternateServer, address).value == hex("0001 8055 c0000201"))
    }

    @Test func malformedAddresses() {
        let id = fixedTransactionID
        let bad: [[UInt8]] = [
            [], [0, 1, 0], [0, 1, 0, 80], hex("0001 0050 c00002"), hex("0001 0050 c0000201 00"),
            hex("0003 0050 c0000201"), hex("0000 0050 c0000201"), hex("0002 0050 c0000201"),
            hex("0001 0050 20010db8000000000000000000000001"), hex("0002 0050 20010db80000000000000000000001"),
        ]
        for value in bad {
            let attribute = STUNAttribute(type: .xorMappedAddress, value: value)
            #expect(attribute.plainAddress() == nil, "\(value)")
            #expect(attribute.xorAddress(transactionID: id) == nil, "\(value)")
        }
        // The first byte is reserved and not checked.
        #expect(STUNAttribute(type: .mappedAddress, value: hex("ff01 0050 c0000201")).plainAddress()?.description == "192.0.2.1:80")
    }

    @Test func transportAddressDescription() {
        #expect(STUNTransportAddress(ip: IPAddress("10.0.0.1")!, port: 3478).description == "10.0.0.1:3478")
        #expect(STUNTransportAddress(ip: IPAddress("::1")!, port: 0).description == "[::1]:0")
    }

    // MARK: Errors

    @Test(arguments: [
        (STUNErrorCode.staleNonce, "00000426" + "5374616c65204e6f6e6365"),
        (STUNErrorCode.unknownAttribute, "00000414" + "556e6b6e6f776e20417474726962757465"),
        (STUNErrorCode.tryAlternate, "00000300" + "54727920416c7465726e617465"),
        (STUNErrorCode(code: 699, reason: ""), "00000663"),
    ])
    func errorCodeBytes(error: STUNErrorCode, expected: String) {
        let attribute = STUNAttribute.errorCode(error)
        #expect(attribute.type == .errorCode)
        #expect(attribute.value == hex(expected))
        #expect(attribute.errorCode == error)
    }

    @Test func allErrorCodesRoundTrip() throws {
        let all: [STUNErrorCode] = [
            .tryAlternate, .badRequest, .unauthenticated, .unknownAttribute, .staleNonce, .serverError, .forbidden,
            .allocationMismatch, .addressFamilyNotSupported, .wrongCredentials, .unsupportedTransportProtocol,
            .peerAddressFamilyMismatch, .allocationQuotaReached, .insufficientCapacity,
        ]
        for error in all {
            let message = STUNMessage(.allocate, .errorResponse, transactionID: fixedTransactionID, attributes: [.errorCode(error)])
            let decoded = try STUNMessage.decode(message.encode(fingerprint: true)).message
            #expect(decoded.attributes[0].errorCode == error)
        }
        #expect(Set(all.map(\.code)).count == all.count)
    }

    @Test func malformedErrorCodes() {
        for value in [hex(""), hex("000004"), hex("00000264"), hex("00000700"), hex("00000200"), hex("00000064"), hex("00000000")] {
            #expect(STUNAttribute(type: .errorCode, value: value).errorCode == nil, "\(value)")
        }
        // The 21 reserved bits are ignored; a bad UTF-8 reason is repaired, not refused.
        #expect(STUNAttribute(type: .errorCode, value: hex("fffffc26")).errorCode?.code == 438)
        #expect(STUNAttribute(type: .errorCode, value: hex("00000426 ff")).errorCode == STUNErrorCode(code: 438, reason: "\u{FFFD}"))
    }

    @Test func longReasonIsCut() {
        let attribute = STUNAttribute.errorCode(STUNErrorCode(code: 400, reason: String(repeating: "x", count: 1000)))
        #expect(attribute.value.count == 4 + 763)
    }

    @Test func addressErrorCode() {
        let attribute = STUNAttribute.addressErrorCode(.ipv6, .addressFamilyNotSupported)
        #expect(attribute.type == .addressErrorCode)
        #expect(attribute.value.prefix(4) == [0x02, 0, 4, 40])
        #expect(attribute.errorCode == .addressFamilyNotSupported)
    }

    @Test func unknownAttributes() {
        let types: [STUNAttributeType] = [.evenPort, STUNAttributeType(rawValue: 0x0031), .dontFragment]
        let attribute = STUNAttribute.unknownAttributes(types)
        #expect(attribute.type == .unknownAttributes)
        #expect(attribute.value == hex("0018 0031 001a"))
        #expect(attribute.unknownAttributes == types)
        #expect(STUNAttribute.unknownAttributes([]).unknownAttributes == [])
        #expect(STUNAttribute(type: .unknownAttributes, value: [0, 0x18, 0]).unknownAttributes == nil)
    }

    // MARK: Numbers

    @Test func lifetime() {
        let attribute = STUNAttribute.lifetime(600)
        #expect(attribute.type == .lifetime)
        #expect(attribute.value == [0, 0, 0x02, 0x58])
        #expect(attribute.uint32 == 600)
        #expect(STUNAttribute.lifetime(.max).uint32 == .max)
        #expect(STUNAttribute(type: .lifetime, value: [0, 2, 0x58]).uint32 == nil)
        #expect(STUNAttribute(type: .lifetime, value: [0, 0, 0, 2, 0x58]).uint32 == nil)
        #expect(STUNAttribute.uint32(.priority, 0x6E00_01FF).value == hex("6e0001ff"))
    }

    @Test func channelNumber() {
        let attribute = STUNAttribute.channelNumber(0x4000)
        #expect(attribute.type == .channelNumber)
        #expect(attribute.value == [0x40, 0, 0, 0])
        #expect(attribute.channelNumber == 0x4000)
        #expect(STUNAttribute.channelNumber(0x4FFF).channelNumber == 0x4FFF)
        #expect(STUNAttribute(type: .channelNumber, value: [0x40, 0x01]).channelNumber == nil)
        // RFFU bytes are ignored.
        #expect(STUNAttribute(type: .channelNumber, value: [0x40, 0x01, 0xFF, 0xFF]).channelNumber == 0x4001)
    }

    @Test func requestedTransport() {
        let attribute = STUNAttribute.requestedTransport(17)
        #expect(attribute.type == .requestedTransport)
        #expect(attribute.value == [17, 0, 0, 0])
        #expect(attribute.requestedTransport == 17)
        #expect(STUNAttribute.requestedTransport(6).requestedTransport == 6)
        #expect(STUNAttribute(type: .requestedTransport, value: [17]).requestedTransport == nil)
    }

    @Test func addressFamilies() {
        #expect(STUNAttribute.addressFamily(.requestedAddressFamily, .ipv4).value == [1, 0, 0, 0])
        #expect(STUNAttribute.addressFamily(.additionalAddressFamily, .ipv6).value == [2, 0, 0, 0])
        #expect(STUNAttribute.addressFamily(.requestedAddressFamily, .ipv6).addressFamily == .some(.some(.ipv6)))
        #expect(STUNAttribute(type: .requestedAddressFamily, value: [3, 0, 0, 0]).addressFamily == .some(nil))
        #expect(STUNAttribute(type: .requestedAddressFamily, value: [1, 0]).addressFamily == nil)
    }

    @Test func evenPort() {
        #expect(STUNAttribute(type: .evenPort, value: [0x80]).evenPortReserve == true)
        #expect(STUNAttribute(type: .evenPort, value: [0x7F]).evenPortReserve == false)
        #expect(STUNAttribute(type: .evenPort, value: []).evenPortReserve == nil)
        #expect(STUNAttribute(type: .evenPort, value: [0x80, 0, 0, 0]).evenPortReserve == nil)
    }

    // MARK: Password algorithms

    @Test func passwordAlgorithms() {
        let list = STUNAttribute.passwordAlgorithms([.md5, .sha256])
        #expect(list.type == .passwordAlgorithms)
        #expect(list.value == hex("0001 0000 0002 0000"))
        #expect(list.passwordAlgorithmList?.map(\.0) == [1, 2])
        #expect(list.passwordAlgorithmList?.allSatisfy(\.1.isEmpty) == true)
        #expect(list.passwordAlgorithmCode == nil)
        #expect(STUNAttribute.passwordAlgorithms([]).passwordAlgorithmList?.isEmpty == true)

        let single = STUNAttribute.passwordAlgorithm(.sha256)
        #expect(single.type == .passwordAlgorithm)
        #expect(single.value == hex("0002 0000"))
        #expect(single.passwordAlgorithmCode == 2)

        // Parameters are padded to 4 bytes.
        let withParameters = STUNAttribute(type: .passwordAlgorithms, value: hex("0003 0003 aabbcc00 0001 0000"))
        #expect(withParameters.passwordAlgorithmList?.map(\.0) == [3, 1])
        #expect(withParameters.passwordAlgorithmList?.first?.1 == [0xAA, 0xBB, 0xCC])
        for value in [hex("0001"), hex("0001 00"), hex("0001 0004 aabbcc"), hex("0001 0003 aabbcc"), hex("0001 0000 0002")] {
            #expect(STUNAttribute(type: .passwordAlgorithms, value: value).passwordAlgorithmList == nil, "\(value)")
            #expect(STUNAttribute(type: .passwordAlgorithm, value: value).passwordAlgorithmCode == nil, "\(value)")
        }
    }

    // MARK: Text

    @Test func text() {
        let username = STUNAttribute.text(.username, "マトリックス")
        #expect(username.type == .username)
        #expect(username.value.count == 18)
        #expect(username.text() == "マトリックス")
        #expect(STUNAttribute.text(.realm, "").text() == "")
    }

    @Test func textOverTheLimitIsNil() {
        #expect(STUNAttribute.text(.nonce, String(repeating: "n", count: 763)).text()?.utf8.count == 763)
        #expect(STUNAttribute.text(.nonce, String(repeating: "n", count: 764)).text() == nil)
        // USERNAME is less than 513 bytes (RFC 8489 14.3).
        #expect(STUNAttribute.text(.username, String(repeating: "u", count: 512)).text(maximumBytes: 512) != nil)
        #expect(STUNAttribute.text(.username, String(repeating: "u", count: 513)).text(maximumBytes: 512) == nil)
        // The limit is in bytes: 255 three-byte characters are 765 bytes.
        #expect(STUNAttribute.text(.realm, String(repeating: "ト", count: 254)).text() != nil)
        #expect(STUNAttribute.text(.realm, String(repeating: "ト", count: 255)).text() == nil)
    }

    @Test(arguments: [
        [0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0x61, 0x62, 0xE3, 0x83], [0x80], [0x61, 0xFE, 0x62],
    ] as [[UInt8]])
    func invalidUTF8IsNil(value: [UInt8]) {
        #expect(STUNAttribute(type: .software, value: value).text() == nil)
    }

    @Test func nulIsValidText() {
        #expect(STUNAttribute(type: .software, value: [0x61, 0x00, 0x62]).text() == "a\u{0}b")
    }
}

@Suite struct ChannelDataTests {
    @Test func firstByte() {
        for byte in UInt8.min...UInt8.max {
            #expect(ChannelData.isChannelData(firstByte: byte) == (64...127).contains(byte))
        }
    }

    @Test func header() {
        let (channel, length) = ChannelData.header(0x40, 0x01, 0x05, 0xDC)
        #expect(channel == 0x4001)
        #expect(length == 1500)
        #expect(ChannelData.header(0x4F, 0xFF, 0xFF, 0xFF) == (0x4FFF, 65535))
    }

    @Test func streamLengthPadsToFour() {
        #expect([0, 1, 2, 3, 4, 5, 1500, 65535].map(ChannelData.streamLength(dataLength:)) == [4, 8, 8, 8, 8, 12, 1504, 65540])
    }

    @Test func validNumbers() {
        // RFC 8656 12's 0x4000-0x4FFF, widened to RFC 5766 11's 0x4000-0x7FFF for older clients.
        #expect(ChannelData.validNumbers.contains(0x4000))
        #expect(ChannelData.validNumbers.contains(0x4FFF))
        #expect(ChannelData.validNumbers.contains(0x7FFF))
        #expect(!ChannelData.validNumbers.contains(0x3FFF))
        #expect(!ChannelData.validNumbers.contains(0x8000))
    }
}
