import STUN

/// Everything the relay is told at start. Defaults follow coturn's where RFC 8656 leaves a choice,
/// and are safe: loopback, private, link-local and the server's own addresses are refused as
/// peers unless `allowedPeers` lists them (RFC 8656 21.2.3; coturn CVE-2020-26262).
public struct TURNConfiguration: Sendable {
    /// Addresses to listen on (UDP and TCP, and TLS with a certificate). Empty: every address of
    /// every interface that is up, each bound on its own so replies leave from the address the
    /// client used (the 5-tuple of RFC 8656 2).
    public var listenAddresses: [IPAddress] = []
    public var port: UInt16 = 3478
    public var tlsPort: UInt16 = 5349
    public var tls: TLSSettings?
    public var enableUDP = true
    public var enableTCP = true
    /// Relayed transport addresses are taken from these (one per family is used). Empty: the
    /// listening address the allocation request arrived on, or the first listening address of the
    /// requested family.
    public var relayAddresses: [IPAddress] = []
    /// Relayed transport addresses advertised instead of the bound ones (1:1 NAT), by family.
    public var externalAddresses: [IPAddress] = []
    /// Relay ports (coturn's default range; RFC 8656 7.2 asks for ports from the dynamic range).
    public var relayPorts: ClosedRange<UInt16> = 49152...65535
    /// REALM (RFC 8489 14.9).
    public var realm = "sfu"
    /// SOFTWARE (RFC 8489 14.14) in every response.
    public var software: String? = "swift-sfu turn"
    /// Static long-term users (coturn's --user NAME:PASSWORD).
    public var users: [String: String] = [:]
    /// The TURN REST API shared secret (coturn's --static-auth-secret): username `expiry:identity`,
    /// password base64(HMAC-SHA1(secret, username)).
    public var restSecret: String?
    public var peerPolicy = PeerAddressPolicy()
    public var quotas = TURNQuotas()
    public var lifetimes = TURNLifetimes()
    /// Relay worker threads (UDP and the relaying itself), and as many NIO event loops for TCP
    /// and TLS connections; 0: one per core.
    public var threads = 0

    public init() {}

    /// The problems with these settings, for `sfu turn` to refuse to start with.
    public func validate() throws(TURNConfigurationError) {
        if users.isEmpty && restSecret == nil {
            throw .invalid("no credentials: give static users (--user NAME:PASSWORD) or a REST secret (--static-auth-secret)")
        }
        if let secret = restSecret, secret.utf8.count < 16 {
            throw .invalid("the REST secret must be at least 16 bytes")
        }
        if !enableUDP && !enableTCP && tls == nil { throw .invalid("no transport enabled") }
        if relayPorts.count < 2 { throw .invalid("the relay port range needs at least two ports") }
        if realm.isEmpty || realm.utf8.count > 127 { throw .invalid("the realm must be 1 to 127 bytes") }
        for name in users.keys where name.isEmpty || name.utf8.count > 512 || name.contains(":") {
            throw .invalid("user name \"\(name)\" must be 1 to 512 bytes without ':'")
        }
        if threads < 0 || threads > 256 { throw .invalid("threads must be 0 to 256") }
        try lifetimes.validate()
        try quotas.validate()
    }
}

public struct TLSSettings: Sendable, Equatable {
    /// PEM certificate chain and private key (RFC 8656 3.1: TURN over TLS, the `turns:` scheme).
    public var certificatePath: String
    public var privateKeyPath: String

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

/// Limits per user, in total, on bandwidth and on failed authentication.
public struct TURNQuotas: Sendable, Equatable {
    /// Allocations one user may hold at once (for REST credentials: one identity); 486 beyond.
    public var allocationsPerUser = 64
    /// Allocations in total; 486 beyond (RFC 8656 7.2 leaves the code to the server: coturn too).
    public var allocationsTotal = 10_000
    /// Bytes per second one allocation may relay in each direction; 0: unlimited. Packets over it
    /// are dropped (RFC 8656 21.2.1 suggests rate limits against relay abuse).
    public var bytesPerSecondPerAllocation = 4_000_000
    /// Failed authentications one client IP may make in `authenticationWindowSeconds`; beyond it
    /// the client's requests are dropped unanswered until the window passes.
    public var authenticationFailures = 20
    public var authenticationWindowSeconds = 10

    public init() {}

    func validate() throws(TURNConfigurationError) {
        guard allocationsPerUser >= 1, allocationsTotal >= 1 else { throw .invalid("allocation quotas must be at least 1") }
        guard bytesPerSecondPerAllocation >= 0 else { throw .invalid("the bandwidth quota must not be negative") }
        guard authenticationFailures >= 1, authenticationWindowSeconds >= 1 else {
            throw .invalid("the failed-authentication limit needs a count and window of at least 1")
        }
    }
}

/// Lifetimes (RFC 8656 7.2: default 10 minutes, 9.2 permissions 5 minutes, 12.1 channels 10 minutes).
public struct TURNLifetimes: Sendable, Equatable {
    public var defaultAllocationSeconds: UInt32 = 600
    public var maximumAllocationSeconds: UInt32 = 3600
    public var permissionSeconds: UInt32 = 300
    public var channelSeconds: UInt32 = 600
    /// How long a NONCE stays good before 438 Stale Nonce (RFC 8489 9.2.4).
    public var nonceSeconds: UInt32 = 600

    public init() {}

    func validate() throws(TURNConfigurationError) {
        guard defaultAllocationSeconds >= 1, maximumAllocationSeconds >= defaultAllocationSeconds else {
            throw .invalid("allocation lifetimes: 1 <= default <= maximum")
        }
        guard permissionSeconds >= 1, channelSeconds >= 1, nonceSeconds >= 1 else { throw .invalid("lifetimes must be at least 1 s") }
    }
}

public enum TURNConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let reason): "invalid TURN settings: \(reason)"
        }
    }
}
