/// `a=candidate` (RFC 8839 5.1): one ICE candidate.
///
/// ```
/// candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
///           [raddr <address>] [rport <port>] *(<extension name> <extension value>)
/// ```
/// `tcptype` (RFC 6544 4.5) is an extension but common enough to get a field; the others
/// (`generation`, `ufrag`, `network-id`, ...) are kept in order in `extensions`.
public struct Candidate: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case host, srflx, prflx, relay
        case other(String)

        init(_ s: Substring) {
            switch s {
            case "host": self = .host
            case "srflx": self = .srflx
            case "prflx": self = .prflx
            case "relay": self = .relay
            default: self = .other(String(s))
            }
        }

        var text: String {
            switch self {
            case .host: "host"
            case .srflx: "srflx"
            case .prflx: "prflx"
            case .relay: "relay"
            case .other(let s): s
            }
        }
    }

    public struct Extension: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var foundation: String
    /// 1 for RTP; 2 (RTCP) never appears with rtcp-mux.
    public var component: UInt16
    /// `UDP` or `TCP`; compared case-insensitively (RFC 8839 5.1).
    public var transport: String
    public var priority: UInt32
    /// IP address or FQDN (mDNS `.local` names included).
    public var address: String
    public var port: UInt16
    public var kind: Kind
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    /// `active`, `passive` or `so` (RFC 6544 4.5).
    public var tcpType: String?
    public var extensions: [Extension]

    public init(
        foundation: String, component: UInt16 = 1, transport: String = "udp", priority: UInt32,
        address: String, port: UInt16, kind: Kind, relatedAddress: String? = nil, relatedPort: UInt16? = nil,
        tcpType: String? = nil, extensions: [Extension] = []
    ) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.kind = kind
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.tcpType = tcpType
        self.extensions = extensions
    }

    /// `generation` extension used by libwebrtc to tell ICE restarts apart.
    public var generation: UInt32? { extensions.first { $0.name == "generation" }.flatMap { SDPToken.decimal(Substring($0.value)) } }
    /// `ufrag` extension naming the ICE credentials the candidate belongs to.
    public var ufrag: String? { extensions.first { $0.name == "ufrag" }?.value }

    /// Parses the attribute value; also accepts a leading `candidate:` as trickled candidates
    /// carry it (RFC 8840 4.1.1 without `a=`).
    public init?(attributeValue value: Substring) {
        var value = SDPToken.trimmed(value)
        if value.hasPrefix("a=") { value = value.dropFirst(2) }
        if value.hasPrefix("candidate:") { value = value.dropFirst("candidate:".count) }
        let w = SDPToken.words(value)
        // foundation = 1*32ice-char (RFC 8839 5.1).
        guard w.count >= 8, w.count % 2 == 0, w.allSatisfy(SDPToken.isVisible), (1...32).contains(w[0].utf8.count),
            let component: UInt16 = SDPToken.decimal(w[1]), (1...256).contains(component),
            let priority: UInt32 = SDPToken.decimal(w[3]), let port: UInt16 = SDPToken.decimal(w[5]), w[6] == "typ"
        else { return nil }
        self.init(
            foundation: String(w[0]), component: component, transport: String(w[2]), priority: priority,
            address: String(w[4]), port: port, kind: Kind(w[7]))
        var i = 8
        while i + 1 < w.count {
            let name = w[i]
            let v = w[i + 1]
            switch name {
            case "raddr" where relatedAddress == nil: relatedAddress = String(v)
            case "rport" where relatedPort == nil:
                guard let p: UInt16 = SDPToken.decimal(v) else { return nil }
                relatedPort = p
            case "tcptype" where tcpType == nil: tcpType = String(v)
            default: extensions.append(Extension(name: String(name), value: String(v)))
            }
            i += 2
        }
    }

    public var attributeValue: String {
        var s = "\(foundation) \(component) \(transport) \(priority) \(address) \(port) typ \(kind.text)"
        if let relatedAddress { s += " raddr \(relatedAddress)" }
        if let relatedPort { s += " rport \(relatedPort)" }
        if let tcpType { s += " tcptype \(tcpType)" }
        for e in extensions { s += " \(e.name) \(e.value)" }
        return s
    }

    /// The SDP line value as signalled in trickle (`candidate:...`, RFC 8840 4.1.1).
    public var sdpFragment: String { "candidate:" + attributeValue }
}
