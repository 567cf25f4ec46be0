/// `a=msid` (RFC 8830 2): the MediaStream id and, optionally, the track id.
public struct MSID: Hashable, Sendable {
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    init?(attributeValue value: Substring) {
        let words = SDPToken.words(value)
        guard (1...2).contains(words.count), words.allSatisfy(SDPToken.isVisible) else { return nil }
        self.init(streamID: String(words[0]), trackID: words.count == 2 ? String(words[1]) : nil)
    }

    public var attributeValue: String { trackID.map { "\(streamID) \($0)" } ?? streamID }
}
