/// `a=rid` (RFC 8851 10): names one RTP stream of a simulcast or layered send, with restrictions.
public struct RID: Hashable, Sendable {
    public enum Direction: String, Hashable, Sendable {
        case send, recv
        public var reversed: Direction { self == .send ? .recv : .send }
    }

    /// rid-id = 1*(alpha-numeric / "-" / "_") (RFC 8851 10).
    public var id: String
    public var direction: Direction
    /// `pt=` restriction: the payload types this stream may use; empty means all.
    public var payloadTypes: [UInt8]
    /// Other restrictions (`max-width=1280`, `max-fps=30`, ...) in order.
    public var restrictions: [FormatParameter]

    public init(id: String, direction: Direction, payloadTypes: [UInt8] = [], restrictions: [FormatParameter] = []) {
        self.id = id
        self.direction = direction
        self.payloadTypes = payloadTypes
        self.restrictions = restrictions
    }

    static func isRIDID(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.count <= 255
            && s.utf8.allSatisfy { b in
                (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2D
                    || b == 0x5F
            }
    }

    init?(attributeValue value: Substring) {
        let words = SDPToken.words(value)
        guard (2...3).contains(words.count), Self.isRIDID(words[0]),
            let direction = Direction(rawValue: String(words[1]))
        else { return nil }
        var pts: [UInt8] = []
        var restrictions: [FormatParameter] = []
        if words.count == 3 {
            for part in words[2].split(separator: ";") {
                if part.hasPrefix("pt=") {
                    for pt in part.dropFirst(3).split(separator: ",", omittingEmptySubsequences: false) {
                        guard let n: UInt8 = SDPToken.decimal(pt), n <= 127 else { return nil }
                        pts.append(n)
                    }
                } else {
                    guard let p = FormatParameter(parsing: part) else { return nil }
                    restrictions.append(p)
                }
            }
        }
        self.init(id: String(words[0]), direction: direction, payloadTypes: pts, restrictions: restrictions)
    }

    public var attributeValue: String {
        var parts: [String] = []
        if !payloadTypes.isEmpty { parts.append("pt=" + payloadTypes.map(String.init).joined(separator: ",")) }
        parts += restrictions.map(\.text)
        return "\(id) \(direction.rawValue)" + (parts.isEmpty ? "" : " " + parts.joined(separator: ";"))
    }
}
