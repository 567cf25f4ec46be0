import Logging
import Signaling
import STUN
import TURN

/// The TURN relay as `sfu serve` runs it: settings derived from the media settings, the SFU's
/// media ports always reachable through it, and the credential issuer signaling hands out.
struct BundledRelay {
    let server: TURNServer
    let credentials: RelayCredentialIssuer

    static func start(settings: RelaySettings, media: MediaSettings, logger: Logger) async throws -> BundledRelay {
        var configuration = TURNConfiguration()
        let listen = settings.listenAddresses.isEmpty ? media.bindAddresses : settings.listenAddresses
        configuration.listenAddresses = listen.compactMap(IPAddress.init)
        configuration.externalAddresses = media.publicAddresses.compactMap(IPAddress.init)
        configuration.port = settings.port
        configuration.tlsPort = settings.tlsPort
        if let certificate = settings.certificatePath, let key = settings.privateKeyPath {
            configuration.tls = TLSSettings(certificatePath: certificate, privateKeyPath: key)
        }
        configuration.relayPorts = settings.relayPorts
        configuration.realm = settings.realm
        // Both ends of the REST scheme live in this process: a per-process random secret is
        // enough unless a standalone relay elsewhere shares a configured one.
        let secret = settings.secret ?? (0..<32).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        configuration.restSecret = secret
        configuration.peerPolicy.allowed = settings.allowedPeers.compactMap(IPNetwork.init)
        configuration.threads = 1
        try configuration.validate()
        let mediaAddresses = Set((media.bindAddresses + media.publicAddresses).compactMap(IPAddress.init).map(\.canonical))
        let server = try TURNServer(
            configuration: configuration,
            mediaEndpoints: PeerAddressPolicy.MediaEndpoints(addresses: media.bindAddresses.isEmpty ? [] : mediaAddresses,
                                                            ports: media.portRange),
            logger: logger)
        try await server.start()
        let host = settings.urlHost ?? media.publicAddresses.first ?? media.bindAddresses.first
            ?? server.listenAddresses.first(where: { !$0.isLoopback && !$0.isLinkLocal && $0.family == .ipv4 })?.description
            ?? server.listenAddresses.first?.description ?? "127.0.0.1"
        let credentials = RelayCredentialIssuer(host: host, port: server.boundAddresses.udp.first?.port ?? settings.port,
                                                tlsPort: configuration.tls == nil ? nil : settings.tlsPort, secret: secret,
                                                lifetimeSeconds: settings.credentialLifetimeSeconds)
        return BundledRelay(server: server, credentials: credentials)
    }
}
