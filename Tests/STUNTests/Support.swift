import Foundation
@testable import STUN
import Testing

/// The RFC 5769 vectors in Fixtures/*.hex: hex bytes, whitespace ignored, "#" to end of line a comment.
enum Fixtures {
    static let request = bytes("rfc5769-request.hex")
    static let ipv4Response = bytes("rfc5769-ipv4-response.hex")
    static let ipv6Response = bytes("rfc5769-ipv6-response.hex")
    static let longTermRequest = bytes("rfc5769-long-term-request.hex")
    static let all = [request, ipv4Response, ipv6Response, longTermRequest]

    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    static func bytes(_ name: String) -> [UInt8] {
        let text = try! String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        return hex(text.split(separator: "\n").map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0] }.joined())
    }
}

/// RFC 5769 2.1-2.3 short-term password.
let rfc5769Password = "VOkJxbRl1RmTxUk/WvJxBt"
let rfc5769Key = STUNLongTermKey.shortTerm(password: rfc5769Password)
/// RFC 5769 2.4: MD5("マトリックス:example.org:TheMatrIX"), the username and password after SASLprep.
let rfc5769LongTermKey = STUNLongTermKey.derive(username: "マトリックス", realm: "example.org", password: "TheMatrIX")

/// Bytes from hex text; whitespace ignored ("00 01 00 58").
func hex(_ text: some StringProtocol) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

func hexString(_ bytes: [UInt8]) -> String {
    Hex.encode(bytes)
}

/// The error `decode` throws for `bytes`, or nil when it decodes.
func decodeError(_ bytes: [UInt8]) -> STUNDecodeError? {
    do {
        _ = try STUNMessage.decode(bytes)
        return nil
    } catch {
        return error
    }
}

/// A message on the wire built by hand: the header (length computed unless given) and raw
/// attributes, each padded with `padding` bytes to a multiple of 4.
func wire(type: UInt16 = 0x0001, cookie: UInt32 = STUNMessage.magicCookie,
          transactionID: [UInt8] = Array(1...12), length: Int? = nil,
          attributes: [(UInt16, [UInt8])] = [], padding: UInt8 = 0) -> [UInt8] {
    var body: [UInt8] = []
    for (attributeType, value) in attributes {
        body += attributeBytes(attributeType, value, padding: padding)
    }
    let messageLength = length ?? body.count
    return [UInt8(type >> 8), UInt8(type & 0xFF), UInt8(messageLength >> 8), UInt8(messageLength & 0xFF),
            UInt8(cookie >> 24), UInt8((cookie >> 16) & 0xFF), UInt8((cookie >> 8) & 0xFF), UInt8(cookie & 0xFF)]
        + transactionID + body
}

func attributeBytes(_ type: UInt16, _ value: [UInt8], padding: UInt8 = 0) -> [UInt8] {
    [UInt8(type >> 8), UInt8(type & 0xFF), UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
        + [UInt8](repeating: padding, count: (4 - value.count % 4) % 4)
}

/// Appends a raw attribute to an encoded message and fixes the header length.
func appending(_ type: STUNAttributeType, _ value: [UInt8], to message: [UInt8]) -> [UInt8] {
    var out = message + attributeBytes(type.rawValue, value)
    STUNMessage.setLength(of: &out, to: out.count - STUNMessage.headerLength)
    return out
}

/// Appends MESSAGE-INTEGRITY-SHA256 computed over `message` (RFC 8489 14.6), truncated to `size` bytes.
func appendingIntegritySHA256(key: [UInt8], size: Int = 32, to message: [UInt8]) -> [UInt8] {
    var covered = message
    STUNMessage.setLength(of: &covered, to: covered.count - STUNMessage.headerLength + 4 + size)
    let mac = STUNKeyedHash.hmacSHA256(key: key, message: covered)
    return appending(.messageIntegritySHA256, Array(mac.prefix(size)), to: message)
}

/// Appends FINGERPRINT computed over `message` (RFC 8489 14.7).
func appendingFingerprint(to message: [UInt8]) -> [UInt8] {
    var covered = message
    STUNMessage.setLength(of: &covered, to: covered.count - STUNMessage.headerLength + 8)
    let crc = CRC32.checksum(covered) ^ 0x5354_554E
    return appending(.fingerprint, [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)], to: message)
}

/// The attributes a re-encode writes: all but MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT.
func nonComputed(_ attributes: [STUNAttribute]) -> [STUNAttribute] {
    attributes.filter { ![.messageIntegrity, .messageIntegritySHA256, .fingerprint].contains($0.type) }
}

let fixedTransactionID = STUNTransactionID(bytes: [0xB7, 0xE7, 0xA7, 0x01, 0xBC, 0x34, 0xD6, 0x86, 0xFA, 0x87, 0xDF, 0xAE])!

/// A TURN Allocate request as a client sends it after a 401 (RFC 8656 7.1 and RFC 8489 9.2.3).
func allocateRequest(transactionID: STUNTransactionID = fixedTransactionID) -> STUNMessage {
    STUNMessage(.allocate, .request, transactionID: transactionID, attributes: [
        .requestedTransport(17),
        .lifetime(600),
        .addressFamily(.requestedAddressFamily, .ipv6),
        .text(.username, "alice"),
        .text(.realm, "example.org"),
        .text(.nonce, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"),
        .text(.software, "swift-sfu test"),
        .passwordAlgorithm(.sha256),
    ])
}

/// The TURN messages the fuzzer starts from, beside the RFC 5769 vectors.
func turnMessages() -> [[UInt8]] {
    let key = STUNLongTermKey.derive(username: "alice", realm: "example.org", password: "secret")
    let id = fixedTransactionID
    let peer4 = STUNTransportAddress(ip: IPAddress("192.0.2.15")!, port: 49152)
    let peer6 = STUNTransportAddress(ip: IPAddress("2001:db8::15")!, port: 3478)
    return [
        allocateRequest().encode(integrity: .sha1(key: key), fingerprint: true),
        allocateRequest().encode(integrity: .sha256(key: key), fingerprint: true),
        STUNMessage(.allocate, .successResponse, transactionID: id, attributes: [
            .xorAddress(.xorRelayedAddress, peer6, transactionID: id),
            .xorAddress(.xorMappedAddress, peer4, transactionID: id),
            .lifetime(600),
        ]).encode(integrity: .sha1(key: key), fingerprint: true),
        STUNMessage(.allocate, .errorResponse, transactionID: id, attributes: [
            .errorCode(.unauthenticated),
            .text(.realm, "example.org"),
            .text(.nonce, "nonce-1"),
            .passwordAlgorithms([.md5, .sha256]),
            .unknownAttributes([.evenPort, STUNAttributeType(rawValue: 0x0031)]),
        ]).encode(fingerprint: true),
        STUNMessage(.createPermission, .request, transactionID: id, attributes: [
            .xorAddress(.xorPeerAddress, peer4, transactionID: id),
            .xorAddress(.xorPeerAddress, peer6, transactionID: id),
        ]).encode(integrity: .sha1(key: key)),
        STUNMessage(.channelBind, .request, transactionID: id, attributes: [
            .channelNumber(0x4001),
            .xorAddress(.xorPeerAddress, peer4, transactionID: id),
        ]).encode(integrity: .sha1(key: key), fingerprint: true),
        STUNMessage(.send, .indication, transactionID: id, attributes: [
            .xorAddress(.xorPeerAddress, peer6, transactionID: id),
            STUNAttribute(type: .dontFragment, value: []),
            STUNAttribute(type: .data, value: Array("hello, peer".utf8)),
        ]).encode(),
        STUNMessage(.refresh, .errorResponse, transactionID: id, attributes: [
            .errorCode(.staleNonce),
            .addressErrorCode(.ipv6, .addressFamilyNotSupported),
            .plainAddress(.alternateServer, peer4),
            STUNAttribute(type: .evenPort, value: [0x80]),
        ]).encode(integrity: .sha256(key: key)),
    ]
}
