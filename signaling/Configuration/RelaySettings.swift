import STUN

/// The bundled STUN/TURN relay as `sfu serve` runs it (turn/): on by default, so clients behind
/// symmetric NATs and UDP-blocking firewalls reach the SFU over TURN UDP, TCP or TLS, with
/// credentials that signaling mints per participant (TURN REST API scheme).
public struct RelaySettings: Sendable, Equatable {
    public var enabled = true
    /// UDP and TCP port (RFC 8656 3.1 default).
    public var port: UInt16 = 3478
    /// TLS port, used when a certificate is configured.
    public var tlsPort: UInt16 = 5349
    public var certificatePath: String?
    public var privateKeyPath: String?
    /// The REST secret shared by signaling and the relay; nil: a random one per process (both
    /// run in this process, so nothing else needs it unless a standalone `sfu turn` shares it).
    public var secret: String?
    /// The host name or address put in the `turn:`/`stun:` URLs; nil: the first public media
    /// address, else the first media bind address, else the first non-loopback interface address.
    public var urlHost: String?
    public var realm = "sfu"
    /// Relay ports; must not overlap the media ports.
    public var relayPorts: ClosedRange<UInt16> = 51000...59999
    /// Peer blocks allowed despite the default refusals (CIDR text).
    public var allowedPeers: [String] = []
    /// Listening addresses; empty: the media bind addresses, or every interface address.
    public var listenAddresses: [String] = []
    /// How long a minted TURN credential works. A relay refresh with an expired one fails, so it
    /// must outlast a session (a rejoin gets a new one).
    public var credentialLifetimeSeconds = 12 * 3600

    public init() {}

    func validate(media: MediaSettings) throws(ConfigurationError) {
        guard enabled else { return }
        guard port != 0 else { throw .invalidValue(setting: "turn.port", value: "0", reason: "must be 1 to 65535") }
        if relayPorts.overlaps(media.portRange) {
            throw .invalidValue(setting: "turn.relayPorts", value: "\(relayPorts.lowerBound)-\(relayPorts.upperBound)",
                                reason: "overlaps the media ports \(media.portRange.lowerBound)-\(media.portRange.upperBound)")
        }
        guard relayPorts.count >= 2, relayPorts.lowerBound >= 1024 else {
            throw .invalidValue(setting: "turn.relayPorts", value: "\(relayPorts)", reason: "needs two or more ports from 1024 up")
        }
        if (certificatePath == nil) != (privateKeyPath == nil) {
            throw .invalidValue(setting: "turn.certificate", value: certificatePath ?? privateKeyPath ?? "",
                                reason: "a TLS certificate and its private key go together")
        }
        if let secret, secret.utf8.count < 16 {
            throw .invalidValue(setting: "turn.secret", value: "(hidden)", reason: "must be at least 16 bytes")
        }
        guard (60...(7 * 86400)).contains(credentialLifetimeSeconds) else {
            throw .invalidValue(setting: "turn.credentialLifetimeSeconds", value: "\(credentialLifetimeSeconds)",
                                reason: "must be 60 to 604800")
        }
        for block in allowedPeers where IPNetwork(block) == nil {
            throw .invalidValue(setting: "turn.allowedPeers", value: block, reason: "must be ADDRESS[/PREFIX]")
        }
        for address in listenAddresses where IPAddress(address) == nil {
            throw .invalidValue(setting: "turn.listen", value: address, reason: "must be an IPv4 or IPv6 address")
        }
        if let urlHost, urlHost.isEmpty || urlHost.contains(where: { $0 == "/" || $0 == "?" || $0 == " " }) {
            throw .invalidValue(setting: "turn.host", value: urlHost, reason: "must be a host name or address")
        }
    }
}

/// Mints the relay's entry of `joined.iceServers`: the STUN and TURN URLs with a fresh REST
/// credential (username `expiry:participantID`).
public struct RelayCredentialIssuer: Sendable, Equatable {
    public let urls: [String]
    private let secret: String
    private let lifetimeSeconds: Int

    /// - Parameters:
    ///   - host: the host clients reach the relay at (an IPv6 address is bracketed here).
    public init(host: String, port: UInt16, tlsPort: UInt16?, secret: String, lifetimeSeconds: Int) {
        let authority = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        var urls = ["stun:\(authority):\(port)", "turn:\(authority):\(port)?transport=udp", "turn:\(authority):\(port)?transport=tcp"]
        if let tlsPort { urls.append("turns:\(authority):\(tlsPort)?transport=tcp") }
        self.urls = urls
        self.secret = secret
        self.lifetimeSeconds = lifetimeSeconds
    }

    public func server(for participantID: String, now: Int) -> ICEServer {
        let credential = TURNRESTCredential.make(secret: secret, identity: participantID, now: now, lifetime: lifetimeSeconds)
        return ICEServer(urls: urls, username: credential.username, credential: credential.password)
    }
}
