/// `a=fingerprint` (RFC 8122 5): the hash of the DTLS certificate that will be presented.
public struct Fingerprint: Hashable, Sendable {
    /// Lower-case hash function name from the IANA "Hash Function Textual Names" registry.
    public var algorithm: String
    public var bytes: [UInt8]

    public init(algorithm: String = "sha-256", bytes: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.bytes = bytes
    }

    /// Digest sizes of the registered hash functions; a fingerprint of another size is nonsense.
    static let digestSizes: [String: Int] = [
        "md2": 16, "md5": 16, "sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64,
    ]

    /// `sha-256 AB:CD:...`: upper-case hex pairs separated by colons (RFC 8122 5).
    public init?(attributeValue value: Substring) {
        let words = SDPToken.words(value)
        guard words.count == 2, SDPToken.isToken(words[0]) else { return nil }
        let algorithm = words[0].lowercased()
        var bytes: [UInt8] = []
        for pair in words[1].split(separator: ":", omittingEmptySubsequences: false) {
            // Exactly two hex digits: `UInt8(_:radix:)` alone would also take "+F".
            guard pair.utf8.count == 2, pair.utf8.allSatisfy({ $0 < 0x80 && Character(Unicode.Scalar($0)).isHexDigit }),
                let byte = UInt8(pair, radix: 16)
            else { return nil }
            bytes.append(byte)
            if bytes.count > 64 { return nil }
        }
        if let size = Self.digestSizes[algorithm], size != bytes.count { return nil }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// Upper-case colon hex, the form RFC 8122 5 asks for and browsers emit.
    public var hex: String {
        bytes.map { byte in
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined(separator: ":")
    }

    public var attributeValue: String { "\(algorithm) \(hex)" }
}
