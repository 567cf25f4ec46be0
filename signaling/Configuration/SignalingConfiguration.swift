import SFU

/// Settings of the signaling service. Built by `SignalingConfigurationLoader` from flags, the
/// environment and a JSON file; usable directly in tests.
public struct SignalingConfiguration: Sendable, Equatable {
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    /// Development mode: the documented development key is accepted, `/dev/token` mints tokens
    /// for anyone and `/debug/token-timing` is served. Never on a public address.
    public var devMode: Bool
    /// Keys whose secrets sign join tokens (in development mode, the development key is added).
    public var apiKeys: [APIKey]
    /// The URL clients reach this server at, when a proxy or NAT makes it differ from the bind
    /// address (for example `https://sfu.example.com`); shown at start-up and in `/dev/token`.
    public var publicURL: String?
    /// Sent to clients in `joined`, before the bundled relay's entry (other STUN/TURN servers).
    public var iceServers: [ICEServer]
    public var limits: SignalingLimits
    /// Leeway for token `exp`/`nbf` against clock skew.
    public var tokenLeeway: Duration
    /// The media side's settings (ports, addresses, workers, consent timeout).
    public var media = MediaSettings()
    /// The bundled STUN/TURN relay.
    public var relay = RelaySettings()
    /// The bearer token `/metrics` and `/stats/...` require (`Authorization: Bearer TOKEN`).
    /// Without one they are refused, except in development mode, where they are open.
    public var metricsToken: String?

    public init(host: String = "127.0.0.1", port: Int = 8080, devMode: Bool = false, apiKeys: [APIKey] = [],
                publicURL: String? = nil, iceServers: [ICEServer] = [], limits: SignalingLimits = SignalingLimits(),
                tokenLeeway: Duration = .seconds(5)) {
        self.host = host
        self.port = port
        self.devMode = devMode
        self.apiKeys = apiKeys
        self.publicURL = publicURL
        self.iceServers = iceServers
        self.limits = limits
        self.tokenLeeway = tokenLeeway
    }

    /// The keys tokens are checked against: the configured ones, plus the development key in
    /// development mode (a configured key of the same name wins).
    public var effectiveAPIKeys: [APIKey] {
        guard devMode, !apiKeys.contains(where: { $0.id == DevelopmentCredentials.key }) else { return apiKeys }
        return apiKeys + [DevelopmentCredentials.apiKey]
    }

    /// Refuses settings the server cannot run with.
    /// The limits in force: the joined message limit raised, when the room limit asks for it,
    /// to what a full room's session descriptions need (at most 16 MiB), so that every
    /// subscriber of a full room can send its answer.
    public var effectiveLimits: SignalingLimits {
        var effective = limits
        let needed = SignalingLimits.sessionDescriptionBytes(participants: media.maxParticipantsPerRoom,
                                                             tracksPerParticipant: SFUConfiguration.defaultMaxPublishedTracksPerParticipant)
        effective.maxJoinedMessageBytes = max(limits.maxJoinedMessageBytes, min(needed, 16 << 20))
        return effective
    }

    public func validate() throws(ConfigurationError) {
        guard !host.isEmpty else { throw .invalidValue(setting: "host", value: host, reason: "must not be empty") }
        guard (0...65535).contains(port) else { throw .invalidValue(setting: "port", value: "\(port)", reason: "must be 0 to 65535") }
        guard !effectiveAPIKeys.isEmpty else { throw .noAPIKey }
        var seen: Set<String> = []
        for key in apiKeys {
            guard seen.insert(key.id).inserted else { throw .invalidAPIKey(key.id, reason: "configured twice") }
        }
        if let publicURL {
            let lowered = publicURL.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), publicURL.count > 8 else {
                throw .invalidValue(setting: "publicURL", value: publicURL, reason: "must be an http:// or https:// URL")
            }
        }
        if iceServers.contains(where: { $0.urls.isEmpty }) {
            throw .invalidValue(setting: "iceServers", value: "[]", reason: "every ICE server needs at least one URL")
        }
        if let metricsToken, metricsToken.count < 16 {
            throw .invalidValue(setting: "metricsToken", value: "(\(metricsToken.count) characters)", reason: "must be at least 16 characters")
        }
        try limits.validate()
        try media.validate()
        try relay.validate(media: media)
    }

    /// Whether `host` is a loopback address: development mode elsewhere earns a warning.
    public var bindsLoopbackOnly: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
