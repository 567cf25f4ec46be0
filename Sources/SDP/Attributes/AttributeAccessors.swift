/// Typed views of the attributes of a session or media section. They scan the already-parsed
/// `SDPAttribute` values: nothing is re-parsed from text.
public protocol SDPAttributeContainer {
    var attributes: [SDPAttribute] { get set }
}

extension SessionDescription: SDPAttributeContainer {}
extension MediaDescription: SDPAttributeContainer {}

extension SDPAttributeContainer {
    func first<T>(_ extract: (SDPAttribute) -> T?) -> T? {
        for attribute in attributes {
            if let value = extract(attribute) { return value }
        }
        return nil
    }

    func all<T>(_ extract: (SDPAttribute) -> T?) -> [T] { attributes.compactMap(extract) }

    func has(_ flag: SDPAttribute) -> Bool { attributes.contains(flag) }

    public var iceUfrag: String? { first { if case .iceUfrag(let v) = $0 { return v }; return nil } }
    public var icePwd: String? { first { if case .icePwd(let v) = $0 { return v }; return nil } }
    public var iceOptions: [String] { all { if case .iceOptions(let v) = $0 { return v }; return nil }.flatMap { $0 } }
    public var fingerprints: [Fingerprint] { all { if case .fingerprint(let v) = $0 { return v }; return nil } }
    public var setup: SetupRole? { first { if case .setup(let v) = $0 { return v }; return nil } }
    public var extmapAllowMixed: Bool { has(.extmapAllowMixed) }
    public var extmaps: [ExtMap] { all { if case .extmap(let v) = $0 { return v }; return nil } }
    public var direction: Direction? { first { if case .direction(let v) = $0 { return v }; return nil } }

    /// Removes every attribute for which `predicate` holds, then appends `new` ones.
    public mutating func replaceAttributes(where predicate: (SDPAttribute) -> Bool, with new: [SDPAttribute]) {
        attributes.removeAll(where: predicate)
        attributes += new
    }
}

extension SessionDescription {
    public var groups: [Group] { all { if case .group(let v) = $0 { return v }; return nil } }
    /// The first BUNDLE group (RFC 9143 allows several; browsers offer one).
    public var bundleGroup: Group? { groups.first { $0.isBundle } }
    public var iceLite: Bool { has(.iceLite) }
}

extension MediaDescription {
    public var mid: String? { first { if case .mid(let v) = $0 { return v }; return nil } }
    public var rtcpMux: Bool { has(.rtcpMux) }
    public var rtcpRsize: Bool { has(.rtcpRsize) }
    public var bundleOnly: Bool { has(.bundleOnly) }
    public var endOfCandidates: Bool { has(.endOfCandidates) }
    public var msids: [MSID] { all { if case .msid(let v) = $0 { return v }; return nil } }
    public var ssrcAttributes: [SSRCAttribute] { all { if case .ssrc(let v) = $0 { return v }; return nil } }
    public var ssrcGroups: [SSRCGroup] { all { if case .ssrcGroup(let v) = $0 { return v }; return nil } }
    public var rids: [RID] { all { if case .rid(let v) = $0 { return v }; return nil } }
    public var simulcast: Simulcast? { first { if case .simulcast(let v) = $0 { return v }; return nil } }
    public var rtpmaps: [RTPMap] { all { if case .rtpmap(let v) = $0 { return v }; return nil } }
    public var fmtps: [FMTP] { all { if case .fmtp(let v) = $0 { return v }; return nil } }
    public var rtcpFeedback: [RTCPFeedback] { all { if case .rtcpFeedback(let v) = $0 { return v }; return nil } }
    public var candidates: [Candidate] { all { if case .candidate(let v) = $0 { return v }; return nil } }
    public var sctpPort: UInt16? { first { if case .sctpPort(let v) = $0 { return v }; return nil } }
    public var maxMessageSize: UInt64? { first { if case .maxMessageSize(let v) = $0 { return v }; return nil } }

    /// Distinct SSRCs named by `a=ssrc` lines, in first-seen order.
    public var ssrcs: [UInt32] {
        var seen = Set<UInt32>()
        return ssrcAttributes.compactMap { seen.insert($0.ssrc).inserted ? $0.ssrc : nil }
    }

    public func rtpmap(for payloadType: UInt8) -> RTPMap? {
        first { if case .rtpmap(let v) = $0, v.payloadType == payloadType { return v }; return nil }
    }

    public func fmtp(for payloadType: UInt8) -> FormatParameters {
        first { if case .fmtp(let v) = $0, v.payloadType == payloadType { return v.parameters }; return nil }
            ?? FormatParameters()
    }

    /// Every payload type's rtpmap, fmtp and feedback, gathered in one pass over the attributes.
    func payloadIndex() -> [UInt8: (rtpmap: RTPMap?, fmtp: FormatParameters, feedback: [RTCPFeedback])] {
        var index: [UInt8: (rtpmap: RTPMap?, fmtp: FormatParameters, feedback: [RTCPFeedback])] = [:]
        var wildcard: [RTCPFeedback] = []
        for attribute in attributes {
            switch attribute {
            case .rtpmap(let r) where index[r.payloadType]?.rtpmap == nil:
                index[r.payloadType, default: (nil, FormatParameters(), [])].rtpmap = r
            case .fmtp(let f) where index[f.payloadType]?.fmtp.isEmpty ?? true:
                index[f.payloadType, default: (nil, FormatParameters(), [])].fmtp = f.parameters
            case .rtcpFeedback(let fb):
                if let pt = fb.payloadType {
                    index[pt, default: (nil, FormatParameters(), [])].feedback.append(fb)
                } else {
                    wildcard.append(fb)
                }
            default: break
            }
        }
        if !wildcard.isEmpty {
            for pt in index.keys { index[pt]!.feedback += wildcard }
        }
        return index
    }

    /// Feedback for one payload type, including `*` entries (RFC 4585 4.2).
    public func feedback(for payloadType: UInt8) -> [RTCPFeedback] {
        rtcpFeedback.filter { $0.payloadType == nil || $0.payloadType == payloadType }
    }
}
