/// `a=group` (RFC 5888 5), e.g. `BUNDLE 0 1 2` (RFC 9143) or `LS` for lip sync.
public struct Group: Hashable, Sendable {
    public var semantics: String
    /// Identification tags (mids); an answer rejecting everything may list none.
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    public static func bundle(_ mids: [String]) -> Group { Group(semantics: "BUNDLE", mids: mids) }

    public var isBundle: Bool { semantics == "BUNDLE" }

    init?(attributeValue value: Substring) {
        let words = SDPToken.words(value)
        guard let first = words.first, SDPToken.isToken(first), words.allSatisfy(SDPToken.isToken)
        else { return nil }
        self.init(semantics: String(first), mids: words.dropFirst().map(String.init))
    }

    public var attributeValue: String { ([semantics] + mids).joined(separator: " ") }
}
