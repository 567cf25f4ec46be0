/// `a=ssrc` (RFC 5576 4.1): one source attribute such as `cname:...` or `msid:stream track`.
public struct SSRCAttribute: Hashable, Sendable {
    public var ssrc: UInt32
    public var name: String
    public var value: String?

    public init(ssrc: UInt32, name: String, value: String? = nil) {
        self.ssrc = ssrc
        self.name = name
        self.value = value
    }

    init?(attributeValue value: Substring) {
        let value = SDPToken.trimmed(value)
        guard let space = value.firstIndex(of: " "), let ssrc: UInt32 = SDPToken.decimal(value[..<space])
        else { return nil }
        let rest = value[value.index(after: space)...]
        if let colon = rest.firstIndex(of: ":") {
            let name = rest[..<colon]
            guard SDPToken.isToken(name) else { return nil }
            self.init(ssrc: ssrc, name: String(name), value: String(rest[rest.index(after: colon)...]))
        } else {
            guard SDPToken.isToken(rest) else { return nil }
            self.init(ssrc: ssrc, name: String(rest))
        }
    }

    public var attributeValue: String { "\(ssrc) \(name)" + (value.map { ":\($0)" } ?? "") }
}

/// `a=ssrc-group` (RFC 5576 4.2): `FID` pairs a media SSRC with its RTX SSRC (RFC 4588 8.3),
/// `SIM` lists simulcast layers, `FEC-FR` pairs with FEC.
public struct SSRCGroup: Hashable, Sendable {
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    init?(attributeValue value: Substring) {
        let words = SDPToken.words(value)
        guard words.count >= 2, SDPToken.isToken(words[0]) else { return nil }
        var ssrcs: [UInt32] = []
        for word in words.dropFirst() {
            guard let ssrc: UInt32 = SDPToken.decimal(word) else { return nil }
            ssrcs.append(ssrc)
        }
        self.init(semantics: String(words[0]), ssrcs: ssrcs)
    }

    public var attributeValue: String { ([semantics] + ssrcs.map(String.init)).joined(separator: " ") }
}
