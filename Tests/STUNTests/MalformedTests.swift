@testable import STUN
import Testing

/// Each way a datagram can fail to be a STUN message gives its own STUNDecodeError (RFC 8489 6.3).
@Suite struct MalformedTests {
    @Test func truncatedHeader() {
        let header = wire()
        for count in 0..<STUNMessage.headerLength {
            #expect(decodeError(Array(header.prefix(count))) == .truncated(expected: 20, available: count))
        }
        #expect(decodeError(header) == nil)
    }

    @Test func badMagicCookie() {
        #expect(decodeError(wire(cookie: 0x2112_A443)) == .badMagicCookie(0x2112_A443))
        #expect(decodeError(wire(cookie: 0)) == .badMagicCookie(0))
        // An RFC 3489 message: the cookie's place holds the first transaction ID bytes.
        #expect(decodeError(wire(cookie: 0xDEAD_BEEF)) == .badMagicCookie(0xDEAD_BEEF))
    }

    @Test(arguments: [UInt16(0x4001), 0x8001, 0xC001, 0x4000, 0xFFFF])
    func topBitsSet(type: UInt16) {
        #expect(decodeError(wire(type: type)) == .notSTUN)
        // Checked before the cookie.
        #expect(decodeError(wire(type: type, cookie: 1)) == .notSTUN)
    }

    @Test(arguments: [1, 2, 3, 5, 6, 7, 0xFFFF])
    func lengthNotMultipleOfFour(length: Int) {
        let bytes = wire(length: length) + [UInt8](repeating: 0, count: length)
        #expect(decodeError(bytes) == .lengthNotMultipleOfFour(length))
    }

    @Test func lengthLargerThanDatagram() {
        let message = wire(attributes: [(0x8022, Array("abcd".utf8))])
        #expect(decodeError(wire(length: 4)) == .truncated(expected: 24, available: 20))
        #expect(decodeError(Array(message.dropLast(4))) == .truncated(expected: 28, available: 24))
        #expect(decodeError(Array(message.dropLast(1))) == .truncated(expected: 28, available: 27))
        #expect(decodeError(wire(length: 0xFFFC)) == .truncated(expected: 20 + 0xFFFC, available: 20))
    }

    @Test func lengthSmallerThanDatagram() {
        let message = wire(attributes: [(0x8022, Array("abcd".utf8))])
        #expect(decodeError(message + [0]) == .trailingBytes(1))
        #expect(decodeError(message + [0, 0, 0, 0]) == .trailingBytes(4))
        var shortened = message
        shortened[3] = 0
        #expect(decodeError(shortened) == .trailingBytes(8))
    }

    @Test func attributeRunningPastTheEnd() {
        // Value length 8 with 4 bytes present.
        #expect(decodeError(wire(length: 8) + hex("8022 0008 61626364")) == .truncatedAttribute(offset: 20))
        // Value length 5: its padding would run past the end.
        #expect(decodeError(wire(length: 8) + hex("8022 0005 61626364")) == .truncatedAttribute(offset: 20))
        // The second attribute overruns.
        #expect(decodeError(wire(length: 16) + hex("0019 0004 11000000") + hex("000d 0010 00000258")) == .truncatedAttribute(offset: 28))
        #expect(decodeError(wire(length: 4) + hex("0006 ffff")) == .truncatedAttribute(offset: 20))
    }

    @Test func tooManyAttributes() throws {
        let empty = (0x8000 as UInt16, [UInt8]())
        let limit = STUNMessage.maximumAttributeCount
        #expect(try STUNMessage.decode(wire(attributes: Array(repeating: empty, count: limit))).message.attributes.count == limit)
        #expect(decodeError(wire(attributes: Array(repeating: empty, count: limit + 1))) == .tooManyAttributes)
        #expect(decodeError(wire(attributes: Array(repeating: empty, count: 1000))) == .tooManyAttributes)
        // Counted after MESSAGE-INTEGRITY too, where the attributes are ignored.
        let integrity = (STUNAttributeType.messageIntegrity.rawValue, [UInt8](repeating: 0, count: 20))
        #expect(decodeError(wire(attributes: [integrity] + Array(repeating: empty, count: limit))) == .tooManyAttributes)
    }

    @Test(arguments: [0, 4, 16, 19, 21, 24, 32])
    func messageIntegrityWithBadLength(length: Int) {
        let bytes = wire(attributes: [(0x0008, [UInt8](repeating: 0, count: length))])
        #expect(decodeError(bytes) == .badAttributeLength(.messageIntegrity, length))
    }

    @Test(arguments: [0, 3, 5, 8, 20])
    func fingerprintWithBadLength(length: Int) {
        let bytes = wire(attributes: [(0x8028, [UInt8](repeating: 0, count: length))])
        #expect(decodeError(bytes) == .badAttributeLength(.fingerprint, length))
    }

    @Test(arguments: [0, 12, 15, 17, 18, 30, 36, 64])
    func messageIntegritySHA256WithBadLength(length: Int) {
        let bytes = wire(attributes: [(0x001C, [UInt8](repeating: 0, count: length))])
        #expect(decodeError(bytes) == .badAttributeLength(.messageIntegritySHA256, length))
    }

    @Test func validLengthsOfTheCheckedAttributes() {
        #expect(decodeError(wire(attributes: [(0x0008, [UInt8](repeating: 0, count: 20))])) == nil)
        #expect(decodeError(wire(attributes: [(0x8028, [0, 0, 0, 0])])) == nil)
        for length in [16, 20, 24, 28, 32] {
            #expect(decodeError(wire(attributes: [(0x001C, [UInt8](repeating: 0, count: length))])) == nil)
        }
        // A second MESSAGE-INTEGRITY is ignored, not checked.
        let integrity = (UInt16(0x0008), [UInt8](repeating: 0, count: 20))
        #expect(decodeError(wire(attributes: [integrity, (0x0008, [1])])) == nil)
    }

    @Test func errorDescriptions() {
        let errors: [STUNDecodeError] = [
            .truncated(expected: 20, available: 3), .notSTUN, .badMagicCookie(0x1234), .lengthNotMultipleOfFour(3),
            .trailingBytes(2), .truncatedAttribute(offset: 24), .tooManyAttributes,
            .badAttributeLength(.fingerprint, 8), .attributeAfterFingerprint,
        ]
        #expect(Set(errors.map(\.description)).count == errors.count)
        #expect(STUNDecodeError.badMagicCookie(0x1234).description == "bad magic cookie 0x1234")
        #expect(STUNDecodeError.badAttributeLength(.fingerprint, 8).description == "attribute 0x8028 has a bad length 8")
    }
}
