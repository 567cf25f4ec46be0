/// One `a=` line, parsed once into a typed value so that accessors never re-parse text.
///
/// Attributes this module does not know stay in `.other` with their text, in place, so that a
/// description written back out keeps them (RFC 8866 5.13: unknown attributes are ignored,
/// not dropped).
public enum SDPAttribute: Hashable, Sendable {
    case mid(String)  // RFC 5888 4
    case direction(Direction)  // RFC 8866 6.7
    case iceUfrag(String)  // RFC 8839 5.4
    case icePwd(String)  // RFC 8839 5.4
    case iceOptions([String])  // RFC 8839 5.6, e.g. trickle (RFC 8840)
    case iceLite  // RFC 8839 5.3
    case fingerprint(Fingerprint)  // RFC 8122 5
    case setup(SetupRole)  // RFC 4145 4
    case rtcpMux  // RFC 5761 5.1.3
    case rtcpRsize  // RFC 5506 5
    case group(Group)  // RFC 5888 5
    case msid(MSID)  // RFC 8830 2
    case ssrc(SSRCAttribute)  // RFC 5576 4.1
    case ssrcGroup(SSRCGroup)  // RFC 5576 4.2
    case rid(RID)  // RFC 8851 10
    case simulcast(Simulcast)  // RFC 8853 5.1
    case extmap(ExtMap)  // RFC 8285 7
    case extmapAllowMixed  // RFC 8285 6
    case rtpmap(RTPMap)  // RFC 8866 6.6
    case fmtp(FMTP)  // RFC 8866 6.15
    case rtcpFeedback(RTCPFeedback)  // RFC 4585 4.2
    case candidate(Candidate)  // RFC 8839 5.1
    case endOfCandidates  // RFC 8840 8.2
    case bundleOnly  // RFC 9143 6
    case sctpPort(UInt16)  // RFC 8841 5
    case maxMessageSize(UInt64)  // RFC 8841 6
    case other(name: String, value: String?)

    /// ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 5.4).
    static func isICEChars(_ s: Substring) -> Bool {
        s.utf8.allSatisfy { b in
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2B || b == 0x2F
        }
    }

    /// Parses `name[:value]`. Returns nil when `name` is one we know and `value` breaks its
    /// grammar: the caller turns that into `SDPParseError.invalidAttribute`.
    static func parse(name: Substring, value: Substring?) -> SDPAttribute? {
        // Switching on a String rather than a Substring keeps each case a cheap comparison.
        let name = String(name)
        guard let value else {
            switch name {
            case "sendrecv": return .direction(.sendrecv)
            case "sendonly": return .direction(.sendonly)
            case "recvonly": return .direction(.recvonly)
            case "inactive": return .direction(.inactive)
            case "rtcp-mux": return .rtcpMux
            case "rtcp-rsize": return .rtcpRsize
            case "ice-lite": return .iceLite
            case "extmap-allow-mixed": return .extmapAllowMixed
            case "end-of-candidates": return .endOfCandidates
            case "bundle-only": return .bundleOnly
            case "mid", "ice-ufrag", "ice-pwd", "ice-options", "fingerprint", "setup", "group", "msid", "ssrc",
                "ssrc-group", "rid", "simulcast", "extmap", "rtpmap", "fmtp", "rtcp-fb", "candidate", "sctp-port",
                "max-message-size":
                return nil
            default: return .other(name: name, value: nil)
            }
        }
        let v = SDPToken.trimmed(value)
        switch name {
        case "sendrecv", "sendonly", "recvonly", "inactive", "rtcp-mux", "rtcp-rsize", "ice-lite",
            "extmap-allow-mixed", "end-of-candidates", "bundle-only":
            return nil
        case "mid":
            // identification-tag = token (RFC 5888 4); 255 bytes is far beyond the 16 that fit the
            // one-byte header extension.
            return SDPToken.isToken(v) && v.utf8.count <= 255 ? .mid(String(v)) : nil
        case "ice-ufrag":
            return (4...256).contains(v.utf8.count) && isICEChars(v) ? .iceUfrag(String(v)) : nil
        case "ice-pwd":
            return (22...256).contains(v.utf8.count) && isICEChars(v) ? .icePwd(String(v)) : nil
        case "ice-options":
            let words = SDPToken.words(v)
            return !words.isEmpty && words.allSatisfy(SDPToken.isToken) ? .iceOptions(words.map(String.init)) : nil
        case "fingerprint": return Fingerprint(attributeValue: v).map(SDPAttribute.fingerprint)
        case "setup": return SetupRole(rawValue: String(v)).map(SDPAttribute.setup)
        case "group": return Group(attributeValue: v).map(SDPAttribute.group)
        case "msid": return MSID(attributeValue: v).map(SDPAttribute.msid)
        case "ssrc": return SSRCAttribute(attributeValue: v).map(SDPAttribute.ssrc)
        case "ssrc-group": return SSRCGroup(attributeValue: v).map(SDPAttribute.ssrcGroup)
        case "rid": return RID(attributeValue: v).map(SDPAttribute.rid)
        case "simulcast": return Simulcast(attributeValue: v).map(SDPAttribute.simulcast)
        case "extmap": return ExtMap(attributeValue: v).map(SDPAttribute.extmap)
        case "rtpmap": return RTPMap(attributeValue: v).map(SDPAttribute.rtpmap)
        case "fmtp": return FMTP(attributeValue: v).map(SDPAttribute.fmtp)
        case "rtcp-fb": return RTCPFeedback(attributeValue: v).map(SDPAttribute.rtcpFeedback)
        case "candidate": return Candidate(attributeValue: v).map(SDPAttribute.candidate)
        case "sctp-port": return SDPToken.decimal(v).map(SDPAttribute.sctpPort)
        case "max-message-size": return SDPToken.decimal(v).map(SDPAttribute.maxMessageSize)
        default: return .other(name: name, value: String(value))
        }
    }

    public var name: String {
        switch self {
        case .mid: "mid"
        case .direction(let d): d.rawValue
        case .iceUfrag: "ice-ufrag"
        case .icePwd: "ice-pwd"
        case .iceOptions: "ice-options"
        case .iceLite: "ice-lite"
        case .fingerprint: "fingerprint"
        case .setup: "setup"
        case .rtcpMux: "rtcp-mux"
        case .rtcpRsize: "rtcp-rsize"
        case .group: "group"
        case .msid: "msid"
        case .ssrc: "ssrc"
        case .ssrcGroup: "ssrc-group"
        case .rid: "rid"
        case .simulcast: "simulcast"
        case .extmap: "extmap"
        case .extmapAllowMixed: "extmap-allow-mixed"
        case .rtpmap: "rtpmap"
        case .fmtp: "fmtp"
        case .rtcpFeedback: "rtcp-fb"
        case .candidate: "candidate"
        case .endOfCandidates: "end-of-candidates"
        case .bundleOnly: "bundle-only"
        case .sctpPort: "sctp-port"
        case .maxMessageSize: "max-message-size"
        case .other(let name, _): name
        }
    }

    /// The text after `name:`, or nil for flag attributes.
    public var value: String? {
        switch self {
        case .mid(let s), .iceUfrag(let s), .icePwd(let s): s
        case .iceOptions(let o): o.joined(separator: " ")
        case .fingerprint(let f): f.attributeValue
        case .setup(let r): r.rawValue
        case .group(let g): g.attributeValue
        case .msid(let m): m.attributeValue
        case .ssrc(let s): s.attributeValue
        case .ssrcGroup(let g): g.attributeValue
        case .rid(let r): r.attributeValue
        case .simulcast(let s): s.attributeValue
        case .extmap(let e): e.attributeValue
        case .rtpmap(let r): r.attributeValue
        case .fmtp(let f): f.attributeValue
        case .rtcpFeedback(let f): f.attributeValue
        case .candidate(let c): c.attributeValue
        case .sctpPort(let p): String(p)
        case .maxMessageSize(let m): String(m)
        case .other(_, let value): value
        case .direction, .iceLite, .rtcpMux, .rtcpRsize, .extmapAllowMixed, .endOfCandidates, .bundleOnly: nil
        }
    }

    /// The full line without `a=` and without line ending.
    public var text: String { value.map { "\(name):\($0)" } ?? name }
}
