/// Typed values of the attributes STUN and TURN use, built into and read out of `STUNAttribute`.
/// Readers return nil for a malformed value; the server answers such a request with 400.
extension STUNAttribute {
    // MARK: Addresses (RFC 8489 14.1, 14.2)

    /// XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS: port XOR the cookie's top 16
    /// bits; IPv4 XOR the cookie, IPv6 XOR the cookie and transaction ID.
    public static func xorAddress(_ type: STUNAttributeType, _ address: STUNTransportAddress,
                                  transactionID: STUNTransactionID) -> STUNAttribute {
        let port = address.port ^ UInt16(STUNMessage.magicCookie >> 16)
        var value: [UInt8] = [0, address.ip.family.rawValue, UInt8(port >> 8), UInt8(port & 0xFF)]
        let key = xorKey(transactionID)
        value += zip(address.ip.bytes, key).map { $0 ^ $1 }
        return STUNAttribute(type: type, value: value)
    }

    /// MAPPED-ADDRESS and ALTERNATE-SERVER: the address in the clear.
    public static func plainAddress(_ type: STUNAttributeType, _ address: STUNTransportAddress) -> STUNAttribute {
        STUNAttribute(type: type, value: [0, address.ip.family.rawValue, UInt8(address.port >> 8), UInt8(address.port & 0xFF)] + address.ip.bytes)
    }

    public func xorAddress(transactionID: STUNTransactionID) -> STUNTransportAddress? {
        guard let plain = plainAddress() else { return nil }
        let key = Self.xorKey(transactionID)
        guard let ip = IPAddress(bytes: zip(plain.ip.bytes, key).map { $0 ^ $1 }) else { return nil }
        return STUNTransportAddress(ip: ip, port: plain.port ^ UInt16(STUNMessage.magicCookie >> 16))
    }

    public func plainAddress() -> STUNTransportAddress? {
        guard value.count >= 4, let family = STUNAddressFamily(rawValue: value[1]) else { return nil }
        let expected = family == .ipv4 ? 8 : 20
        guard value.count == expected, let ip = IPAddress(bytes: value[4...]) else { return nil }
        return STUNTransportAddress(ip: ip, port: UInt16(value[2]) << 8 | UInt16(value[3]))
    }

    private static func xorKey(_ transactionID: STUNTransactionID) -> [UInt8] {
        let c = STUNMessage.magicCookie
        return [UInt8(c >> 24), UInt8((c >> 16) & 0xFF), UInt8((c >> 8) & 0xFF), UInt8(c & 0xFF)] + transactionID.bytes
    }

    // MARK: Text (RFC 8489 14.3, 14.9, 14.10, 14.14)

    public static func text(_ type: STUNAttributeType, _ string: String) -> STUNAttribute {
        STUNAttribute(type: type, value: Array(string.utf8))
    }

    /// The value as UTF-8 text; nil when it is not valid UTF-8 or longer than `maximumBytes`
    /// (USERNAME < 513 bytes, REALM, NONCE and SOFTWARE < 763: RFC 8489 14.3, 14.9, 14.10, 14.14).
    public func text(maximumBytes: Int = 763) -> String? {
        guard value.count <= maximumBytes else { return nil }
        return String(validating: value, as: UTF8.self)
    }

    // MARK: Numbers

    public static func uint32(_ type: STUNAttributeType, _ number: UInt32) -> STUNAttribute {
        STUNAttribute(type: type, value: [UInt8(number >> 24), UInt8((number >> 16) & 0xFF), UInt8((number >> 8) & 0xFF), UInt8(number & 0xFF)])
    }

    public var uint32: UInt32? {
        guard value.count == 4 else { return nil }
        return value.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// LIFETIME (RFC 8656 18.4), seconds.
    public static func lifetime(_ seconds: UInt32) -> STUNAttribute { .uint32(.lifetime, seconds) }

    /// CHANNEL-NUMBER (RFC 8656 18.1): the number then 2 RFFU bytes.
    public static func channelNumber(_ number: UInt16) -> STUNAttribute {
        STUNAttribute(type: .channelNumber, value: [UInt8(number >> 8), UInt8(number & 0xFF), 0, 0])
    }

    public var channelNumber: UInt16? {
        guard value.count == 4 else { return nil }
        return UInt16(value[0]) << 8 | UInt16(value[1])
    }

    /// REQUESTED-TRANSPORT (RFC 8656 18.7): an IANA protocol number (17 = UDP) then 3 RFFU bytes.
    public static func requestedTransport(_ protocolNumber: UInt8) -> STUNAttribute {
        STUNAttribute(type: .requestedTransport, value: [protocolNumber, 0, 0, 0])
    }

    public var requestedTransport: UInt8? {
        guard value.count == 4 else { return nil }
        return value[0]
    }

    /// REQUESTED-ADDRESS-FAMILY and ADDITIONAL-ADDRESS-FAMILY (RFC 8656 18.8, 18.11).
    public static func addressFamily(_ type: STUNAttributeType, _ family: STUNAddressFamily) -> STUNAttribute {
        STUNAttribute(type: type, value: [family.rawValue, 0, 0, 0])
    }

    /// nil when malformed; `.some(nil)` for an unknown family code.
    public var addressFamily: STUNAddressFamily?? {
        guard value.count == 4 else { return nil }
        return .some(STUNAddressFamily(rawValue: value[0]))
    }

    /// EVEN-PORT (RFC 8656 18.6): one byte whose top bit is R (reserve the next port).
    public var evenPortReserve: Bool? {
        guard value.count == 1 else { return nil }
        return value[0] & 0x80 != 0
    }

    // MARK: Errors (RFC 8489 14.8, 14.13)

    public static func errorCode(_ error: STUNErrorCode) -> STUNAttribute {
        let reason = Array(error.reason.utf8.prefix(763))
        return STUNAttribute(type: .errorCode, value: [0, 0, UInt8(error.code / 100), UInt8(error.code % 100)] + reason)
    }

    public var errorCode: STUNErrorCode? {
        guard value.count >= 4, (3...6).contains(value[2] & 0x07), value[3] < 100 else { return nil }
        let reason = String(decoding: value[4...], as: UTF8.self)
        return STUNErrorCode(code: Int(value[2] & 0x07) * 100 + Int(value[3]), reason: reason)
    }

    /// ADDRESS-ERROR-CODE (RFC 8656 18.12): the family the error is about, then an ERROR-CODE body.
    public static func addressErrorCode(_ family: STUNAddressFamily, _ error: STUNErrorCode) -> STUNAttribute {
        let reason = Array(error.reason.utf8.prefix(763))
        return STUNAttribute(type: .addressErrorCode,
                             value: [family.rawValue, 0, UInt8(error.code / 100), UInt8(error.code % 100)] + reason)
    }

    public static func unknownAttributes(_ types: [STUNAttributeType]) -> STUNAttribute {
        STUNAttribute(type: .unknownAttributes, value: types.flatMap { [UInt8($0.rawValue >> 8), UInt8($0.rawValue & 0xFF)] })
    }

    public var unknownAttributes: [STUNAttributeType]? {
        guard value.count % 2 == 0 else { return nil }
        return stride(from: 0, to: value.count, by: 2).map { STUNAttributeType(rawValue: UInt16(value[$0]) << 8 | UInt16(value[$0 + 1])) }
    }

    // MARK: Password algorithms (RFC 8489 14.11, 14.12)

    public static func passwordAlgorithms(_ algorithms: [STUNPasswordAlgorithm]) -> STUNAttribute {
        STUNAttribute(type: .passwordAlgorithms, value: algorithms.flatMap { [UInt8($0.rawValue >> 8), UInt8($0.rawValue & 0xFF), 0, 0] })
    }

    public static func passwordAlgorithm(_ algorithm: STUNPasswordAlgorithm) -> STUNAttribute {
        STUNAttribute(type: .passwordAlgorithm, value: [UInt8(algorithm.rawValue >> 8), UInt8(algorithm.rawValue & 0xFF), 0, 0])
    }

    /// A PASSWORD-ALGORITHMS list as (algorithm code, parameters); nil when malformed.
    public var passwordAlgorithmList: [(UInt16, [UInt8])]? {
        var out: [(UInt16, [UInt8])] = []
        var offset = 0
        while offset < value.count {
            guard value.count - offset >= 4 else { return nil }
            let code = UInt16(value[offset]) << 8 | UInt16(value[offset + 1])
            let length = Int(UInt16(value[offset + 2]) << 8 | UInt16(value[offset + 3]))
            let padded = (length + 3) & ~3
            guard offset + 4 + padded <= value.count else { return nil }
            out.append((code, Array(value[(offset + 4)..<(offset + 4 + length)])))
            offset += 4 + padded
        }
        return out
    }

    /// A single PASSWORD-ALGORITHM: code and parameters; nil when malformed.
    public var passwordAlgorithmCode: UInt16? {
        guard let list = passwordAlgorithmList, list.count == 1 else { return nil }
        return list[0].0
    }
}
