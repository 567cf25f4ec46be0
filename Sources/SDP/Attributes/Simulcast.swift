/// `a=simulcast` (RFC 8853 5.1): which rids are sent or received as simulcast streams.
///
/// Each direction is a list of streams separated by `;`; each stream lists alternative rids
/// separated by `,`; a `~` prefix marks a rid that starts paused.
public struct Simulcast: Hashable, Sendable {
    public struct Alternative: Hashable, Sendable {
        public var rid: String
        public var paused: Bool

        public init(rid: String, paused: Bool = false) {
            self.rid = rid
            self.paused = paused
        }
    }

    /// One simulcast stream: the rids that may carry it, in preference order.
    public typealias Stream = [Alternative]

    public var send: [Stream]
    public var recv: [Stream]

    public init(send: [Stream] = [], recv: [Stream] = []) {
        self.send = send
        self.recv = recv
    }

    /// What the peer of a description with this attribute would write: send and recv swapped.
    public var reversed: Simulcast { Simulcast(send: recv, recv: send) }

    init?(attributeValue value: Substring) {
        let words = SDPToken.words(value)
        guard words.count == 2 || words.count == 4 else { return nil }
        var send: [Stream]?
        var recv: [Stream]?
        for i in stride(from: 0, to: words.count, by: 2) {
            guard let streams = Self.parseStreams(words[i + 1]) else { return nil }
            switch words[i] {
            case "send" where send == nil: send = streams
            case "recv" where recv == nil: recv = streams
            default: return nil
            }
        }
        self.init(send: send ?? [], recv: recv ?? [])
    }

    private static func parseStreams(_ list: Substring) -> [Stream]? {
        var streams: [Stream] = []
        for stream in list.split(separator: ";", omittingEmptySubsequences: false) {
            var alternatives: Stream = []
            for alt in stream.split(separator: ",", omittingEmptySubsequences: false) {
                let paused = alt.hasPrefix("~")
                let id = paused ? alt.dropFirst() : alt
                guard RID.isRIDID(id) else { return nil }
                alternatives.append(Alternative(rid: String(id), paused: paused))
            }
            streams.append(alternatives)
        }
        return streams
    }

    private static func format(_ streams: [Stream]) -> String {
        streams.map { $0.map { ($0.paused ? "~" : "") + $0.rid }.joined(separator: ",") }.joined(separator: ";")
    }

    public var attributeValue: String {
        var parts: [String] = []
        if !send.isEmpty { parts.append("send " + Self.format(send)) }
        if !recv.isEmpty { parts.append("recv " + Self.format(recv)) }
        return parts.joined(separator: " ")
    }
}
