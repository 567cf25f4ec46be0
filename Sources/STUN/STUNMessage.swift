/// A STUN message (RFC 8489 5): type, transaction ID and attributes in wire order.
///
/// Decoding keeps the bytes that arrived so MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
/// FINGERPRINT can be checked over exactly what was sent (`STUNReceivedMessage`); encoding adds
/// them last, in the order RFC 8489 14.5-14.7 requires.
public struct STUNMessage: Hashable, Sendable {
    /// 0x2112A442 (RFC 8489 5): tells STUN from other protocols on the same port, and is the XOR
    /// key of the address attributes.
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20
    /// More attributes than this in one message is an attack, not a client.
    public static let maximumAttributeCount = 64

    public var type: STUNMessageType
    public var transactionID: STUNTransactionID
    public var attributes: [STUNAttribute]

    public init(type: STUNMessageType, transactionID: STUNTransactionID, attributes: [STUNAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    public init(_ method: STUNMethod, _ messageClass: STUNMessageClass, transactionID: STUNTransactionID = .random(),
                attributes: [STUNAttribute] = []) {
        self.init(type: STUNMessageType(method: method, messageClass: messageClass), transactionID: transactionID,
                  attributes: attributes)
    }

    public var method: STUNMethod { type.method }
    public var messageClass: STUNMessageClass { type.messageClass }

    /// The first attribute of a type (RFC 8489 14: a receiver uses the first when one repeats).
    public func value(of attributeType: STUNAttributeType) -> [UInt8]? {
        attributes.first { $0.type == attributeType }?.value
    }

    public func contains(_ attributeType: STUNAttributeType) -> Bool {
        attributes.contains { $0.type == attributeType }
    }

    public mutating func append(_ attribute: STUNAttribute) {
        attributes.append(attribute)
    }

    // MARK: Framing

    /// True when `bytes` starts like a STUN message: top two bits zero and the magic cookie at
    /// offset 4 (RFC 8489 5; RFC 7983 demultiplexing by first byte 0-3).
    public static func looksLikeSTUN(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count >= headerLength else { return false }
        let header = Array(bytes.prefix(8))
        return header[0] & 0xC0 == 0 && header[4] == 0x21 && header[5] == 0x12 && header[6] == 0xA4 && header[7] == 0x42
    }

    /// The whole message's length from its first 4 bytes (header + attributes), for stream
    /// framing over TCP and TLS (RFC 8489 6.2.2).
    public static func messageLength(header: some Collection<UInt8>) -> Int? {
        guard header.count >= 4 else { return nil }
        let bytes = Array(header.prefix(4))
        guard bytes[0] & 0xC0 == 0 else { return nil }
        return headerLength + Int(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
    }

    // MARK: Decoding

    /// Decodes one message that fills `bytes` exactly.
    public static func decode(_ bytes: [UInt8]) throws(STUNDecodeError) -> STUNReceivedMessage {
        guard bytes.count >= headerLength else { throw .truncated(expected: headerLength, available: bytes.count) }
        guard bytes[0] & 0xC0 == 0 else { throw .notSTUN }
        let cookie = UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
        guard cookie == magicCookie else { throw .badMagicCookie(cookie) }
        let length = Int(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
        guard length % 4 == 0 else { throw .lengthNotMultipleOfFour(length) }
        guard headerLength + length == bytes.count else {
            if headerLength + length > bytes.count {
                throw .truncated(expected: headerLength + length, available: bytes.count)
            }
            throw .trailingBytes(bytes.count - headerLength - length)
        }
        let type = STUNMessageType(rawValue: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        let transactionID = STUNTransactionID(bytes: bytes[8..<20])!

        var attributes: [STUNAttribute] = []
        var integrityOffset: Int?
        var integritySHA256Offset: Int?
        var fingerprintOffset: Int?
        var offset = headerLength
        var count = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw .truncatedAttribute(offset: offset) }
            let attributeType = STUNAttributeType(rawValue: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]))
            let valueLength = Int(UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3]))
            let padded = (valueLength + 3) & ~3
            guard offset + 4 + padded <= bytes.count else { throw .truncatedAttribute(offset: offset) }
            count += 1
            guard count <= maximumAttributeCount else { throw .tooManyAttributes }
            let value = Array(bytes[(offset + 4)..<(offset + 4 + valueLength)])

            // RFC 8489 14.5-14.7: nothing but MESSAGE-INTEGRITY-SHA256 and FINGERPRINT counts after
            // MESSAGE-INTEGRITY, only FINGERPRINT after MESSAGE-INTEGRITY-SHA256, and FINGERPRINT is last.
            if fingerprintOffset != nil { throw .attributeAfterFingerprint }
            switch attributeType {
            case .messageIntegrity where integrityOffset == nil && integritySHA256Offset == nil:
                guard valueLength == 20 else { throw .badAttributeLength(attributeType, valueLength) }
                integrityOffset = offset
                attributes.append(STUNAttribute(type: attributeType, value: value))
            case .messageIntegritySHA256 where integritySHA256Offset == nil:
                guard valueLength >= 16, valueLength <= 32, valueLength % 4 == 0 else {
                    throw .badAttributeLength(attributeType, valueLength)
                }
                integritySHA256Offset = offset
                attributes.append(STUNAttribute(type: attributeType, value: value))
            case .fingerprint:
                guard valueLength == 4 else { throw .badAttributeLength(attributeType, valueLength) }
                fingerprintOffset = offset
                attributes.append(STUNAttribute(type: attributeType, value: value))
            default:
                if integrityOffset == nil && integritySHA256Offset == nil {
                    attributes.append(STUNAttribute(type: attributeType, value: value))
                }
            }
            offset += 4 + padded
        }
        return STUNReceivedMessage(
            message: STUNMessage(type: type, transactionID: transactionID, attributes: attributes),
            bytes: bytes, integrityOffset: integrityOffset, integritySHA256Offset: integritySHA256Offset,
            fingerprintOffset: fingerprintOffset)
    }

    // MARK: Encoding

    /// The message on the wire: attributes in order, then MESSAGE-INTEGRITY(-SHA256) when a key is
    /// given, then FINGERPRINT when asked (RFC 8489 14.5-14.7). Attributes named MESSAGE-INTEGRITY,
    /// MESSAGE-INTEGRITY-SHA256 or FINGERPRINT in `attributes` are not written: they are computed.
    public func encode(integrity: STUNIntegrity? = nil, fingerprint: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.headerLength + attributes.reduce(0) { $0 + 4 + ($1.value.count + 3) & ~3 } + 64)
        let raw = type.rawValue
        out += [UInt8(raw >> 8), UInt8(raw & 0xFF), 0, 0, 0x21, 0x12, 0xA4, 0x42]
        out += transactionID.bytes
        for attribute in attributes
        where attribute.type != .messageIntegrity && attribute.type != .messageIntegritySHA256 && attribute.type != .fingerprint {
            Self.appendAttribute(attribute.type, attribute.value, to: &out)
        }
        if let integrity {
            let (attributeType, size) = integrity.attribute
            Self.setLength(of: &out, to: out.count - Self.headerLength + 4 + size)
            let mac = integrity.authenticate(out)
            Self.appendAttribute(attributeType, mac, to: &out)
        }
        if fingerprint {
            Self.setLength(of: &out, to: out.count - Self.headerLength + 8)
            let crc = CRC32.checksum(out) ^ STUNReceivedMessage.fingerprintXOR
            Self.appendAttribute(.fingerprint, [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)], to: &out)
        }
        Self.setLength(of: &out, to: out.count - Self.headerLength)
        return out
    }

    static func appendAttribute(_ type: STUNAttributeType, _ value: [UInt8], to out: inout [UInt8]) {
        out += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), UInt8(value.count >> 8), UInt8(value.count & 0xFF)]
        out += value
        let padding = (4 - value.count % 4) % 4
        if padding > 0 { out += [UInt8](repeating: 0, count: padding) }
    }

    static func setLength(of out: inout [UInt8], to length: Int) {
        out[2] = UInt8(length >> 8)
        out[3] = UInt8(length & 0xFF)
    }
}

/// Why bytes are not a STUN message (RFC 8489 6.3: such a message is discarded, or answered 400
/// when it is a request whose header could be read).
public enum STUNDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated(expected: Int, available: Int)
    case notSTUN
    case badMagicCookie(UInt32)
    case lengthNotMultipleOfFour(Int)
    case trailingBytes(Int)
    case truncatedAttribute(offset: Int)
    case tooManyAttributes
    case badAttributeLength(STUNAttributeType, Int)
    case attributeAfterFingerprint

    public var description: String {
        switch self {
        case .truncated(let expected, let available): "truncated: \(available) of \(expected) bytes"
        case .notSTUN: "not STUN: the first two bits are not zero"
        case .badMagicCookie(let cookie): "bad magic cookie 0x\(String(cookie, radix: 16))"
        case .lengthNotMultipleOfFour(let length): "message length \(length) is not a multiple of 4"
        case .trailingBytes(let count): "\(count) bytes after the message"
        case .truncatedAttribute(let offset): "attribute at offset \(offset) runs past the end"
        case .tooManyAttributes: "more than \(STUNMessage.maximumAttributeCount) attributes"
        case .badAttributeLength(let type, let length): "attribute \(type) has a bad length \(length)"
        case .attributeAfterFingerprint: "an attribute follows FINGERPRINT"
        }
    }
}

/// A decoded message with the bytes it came in, for the checks that cover those bytes.
public struct STUNReceivedMessage: Sendable {
    /// RFC 8489 14.7: the CRC-32 is XOR'ed with 0x5354554e.
    static let fingerprintXOR: UInt32 = 0x5354_554E

    public let message: STUNMessage
    public let bytes: [UInt8]
    let integrityOffset: Int?
    let integritySHA256Offset: Int?
    let fingerprintOffset: Int?

    public var hasMessageIntegrity: Bool { integrityOffset != nil }
    public var hasMessageIntegritySHA256: Bool { integritySHA256Offset != nil }
    public var hasFingerprint: Bool { fingerprintOffset != nil }

    /// FINGERPRINT matches (RFC 8489 14.7). False when there is none.
    public var fingerprintIsValid: Bool {
        guard let offset = fingerprintOffset else { return false }
        var covered = Array(bytes[0..<offset])
        STUNMessage.setLength(of: &covered, to: offset - STUNMessage.headerLength + 8)
        let expected = CRC32.checksum(covered) ^ Self.fingerprintXOR
        let value = bytes[(offset + 4)..<(offset + 8)]
        let received = value.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return expected == received
    }

    /// MESSAGE-INTEGRITY-SHA256 if present (RFC 8489 14.6, preferred), else MESSAGE-INTEGRITY
    /// (14.5), checked with `key` in constant time. False when neither is present.
    public func integrityIsValid(key: [UInt8]) -> Bool {
        if let offset = integritySHA256Offset {
            let length = Int(UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3]))
            var covered = Array(bytes[0..<offset])
            STUNMessage.setLength(of: &covered, to: offset - STUNMessage.headerLength + 4 + length)
            let mac = STUNIntegrity.sha256(key: key).authenticate(covered)
            return constantTimeEqual(Array(mac.prefix(length)), Array(bytes[(offset + 4)..<(offset + 4 + length)]))
        }
        if let offset = integrityOffset {
            var covered = Array(bytes[0..<offset])
            STUNMessage.setLength(of: &covered, to: offset - STUNMessage.headerLength + 24)
            let mac = STUNIntegrity.sha1(key: key).authenticate(covered)
            return constantTimeEqual(mac, Array(bytes[(offset + 4)..<(offset + 24)]))
        }
        return false
    }

    private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
